// examples/user-project/test/global-setup.ts
import { createIdempotencyTable, startLocalDynamoDB, type LocalDynamoDB } from 'effectively-once/testing';

declare global {
  var __DYNAMODB__: LocalDynamoDB | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dynamodb = await startLocalDynamoDB(); // in memory, on a free port; needs Java 17+
  await createIdempotencyTable(dynamodb.client, 'idempotency');
  globalThis.__DYNAMODB__ = dynamodb; // the teardown stops it
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint; // jest workers inherit the environment
}
