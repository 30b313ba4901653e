// docs/examples/testing-with-faults.ts
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig, withFaults, type InjectedFaults } from 'effectively-once/testing';

// In a jest test file: `endpoint` is process.env.DYNAMODB_ENDPOINT, set by the globalSetup above.
export async function underFaults(endpoint: string, run: (client: DynamoDBClient) => Promise<void>): Promise<InjectedFaults> {
  const client = new DynamoDBClient(localClientConfig(endpoint)); // the SDK's default retries, as in production
  const faults = withFaults(client, { seed: 42, throttleRate: 0.05, lostResponseRate: 0.02 });
  try {
    await run(client); // ... run the handler with a DynamoDBStore on `client` ...
    return faults.injected(); // { requests, throttled, lostResponses, delayed }
  } finally {
    faults.remove();
    client.destroy();
  }
}
