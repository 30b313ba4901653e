/**
 * Jest globalSetup: starts DynamoDB Local and fauxqs once for the whole run and publishes their endpoints
 * in `EO_DYNAMODB_ENDPOINT` / `EO_SQS_ENDPOINT` (jest workers inherit this process's environment).
 *
 * This runs in jest's own Node process, not in a test sandbox: that is why fauxqs (ESM-only) can be
 * loaded here (Node >= 20.19 loads ESM through `require()` as well as `import()`).
 */
import { startLocalDynamoDB, startLocalSqs } from '../lib/testing';
import type { LocalDynamoDB, LocalSqs } from '../lib/testing';

/** Handles the teardown stops. */
export interface LocalServers {
  dynamodb?: LocalDynamoDB;
  sqs?: LocalSqs;
}

declare global {
  var __EO_LOCAL_SERVERS__: LocalServers | undefined;
}

export default async function globalSetup(): Promise<void> {
  // SDK clients in tests must never look for real credentials or a real region.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_DEFAULT_REGION = 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';

  const servers: LocalServers = {};
  globalThis.__EO_LOCAL_SERVERS__ = servers;
  const [dynamodb, sqs] = await Promise.allSettled([startLocalDynamoDB(), startLocalSqs()]);
  if (dynamodb.status === 'fulfilled') servers.dynamodb = dynamodb.value;
  if (sqs.status === 'fulfilled') servers.sqs = sqs.value;
  if (dynamodb.status === 'rejected' || sqs.status === 'rejected') {
    await Promise.all([servers.dynamodb?.stop(), servers.sqs?.stop()]);
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (sqs as PromiseRejectedResult).reason;
  }
  process.env.EO_DYNAMODB_ENDPOINT = servers.dynamodb?.endpoint;
  process.env.EO_SQS_ENDPOINT = servers.sqs?.endpoint;
}
