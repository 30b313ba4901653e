// docs/examples/testing-with-faults.ts
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withFaults, type LocalDynamoDB } from 'effectively-once/testing';

export async function underFaults(dynamo: LocalDynamoDB, run: (client: DynamoDBClient) => Promise<void>): Promise<void> {
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint }); // the SDK's default retries, as in production
  const faults = withFaults(client, { seed: 42, throttleRate: 0.05, lostResponseRate: 0.02 });
  await run(client); // ... run the handler with a DynamoDBStore on `client` ...
  faults.injected(); // { requests, throttled, lostResponses, delayed }
  faults.remove();
}
