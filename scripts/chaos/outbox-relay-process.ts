/**
 * The outbox relay as a process of its own, for the outbox proof's `--kill-relay` mode: runs
 * `startLocalOutboxRelay` on the table named by `OUTBOX_TABLE` (DynamoDB Local at `OUTBOX_DYNAMODB_ENDPOINT`,
 * fauxqs at `OUTBOX_SQS_ENDPOINT`) until it is killed. Killed with SIGKILL, it loses the batch in hand (maybe
 * published, not checkpointed): the next one resumes from the positions in `OUTBOX_CHECKPOINTS` (a file), as
 * Lambda's event source mapping resumes a restarted function.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalOutboxRelay } from '../../lib/testing';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string, e?: unknown) => console.error('relay process:', m, String(e)),
  error: () => undefined,
};

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === '') throw new Error(`${name} is not set`);
    return value;
  };
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamodb = new DynamoDBClient({ region: 'us-east-1', credentials, endpoint: env('OUTBOX_DYNAMODB_ENDPOINT') });
  const sqs = new SQSClient({ region: 'us-east-1', credentials, endpoint: env('OUTBOX_SQS_ENDPOINT') });
  // The shards' positions outlive the process, as Lambda's event source mapping keeps them.
  const file = env('OUTBOX_CHECKPOINTS');
  const positions = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, string>;
  const checkpoints = {
    get: (shard: string) => positions[shard],
    set: (shard: string, sequence: string) => {
      positions[shard] = sequence;
      writeFileSync(`${file}.tmp`, JSON.stringify(positions));
      renameSync(`${file}.tmp`, file);
    },
  };
  await startLocalOutboxRelay({
    client: dynamodb,
    tableName: env('OUTBOX_TABLE'),
    clients: { sqs },
    logger: quiet,
    retryDelayMs: 50,
    checkpoints,
  });
  process.send?.('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
