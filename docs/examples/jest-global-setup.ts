// docs/examples/jest-global-setup.ts (this repository's is test/global-setup.ts)
// jest.config.js: globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts'
import { startLocalDynamoDB, startLocalSqs, type LocalDynamoDB, type LocalSqs } from 'effectively-once/testing';

declare global {
  var __LOCAL_SERVERS__: { dynamodb: LocalDynamoDB; sqs: LocalSqs } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const [dynamodb, sqs] = await Promise.all([startLocalDynamoDB(), startLocalSqs()]);
  globalThis.__LOCAL_SERVERS__ = { dynamodb, sqs }; // the teardown stops them
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint; // jest workers inherit the environment
  process.env.SQS_ENDPOINT = sqs.endpoint;
}
