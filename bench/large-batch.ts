/**
 * Where a large SQS batch's time goes, without DynamoDB Local: the client's HTTP handler answers every request
 * after a round trip plus a server time per statement, the server running one request at a time (as the
 * Lambda model's DynamoDB Local runs a batch's statements one after another). Prints the wall time, the
 * requests and the Node CPU per batch of ours.
 *
 *   npx tsx bench/large-batch.ts [records=1000] [concurrency=10] [rtt-ms=3] [server-µs-per-statement=20]
 *
 * With 3 ms per request, a batch of 1,000 at concurrency 10 took 1,740 ms and 215 requests when each of its
 * 100 turns of 10 records waited for its claims and its completions (2026-12-06).
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLambdaContext } from '../lib/testing';
import { sqsEvent, sqsRecord } from '../test/helpers/sqs-events';
import { ours, oursSqs } from './ours';

const [records = 1000, concurrency = 10, rttMs = 3, serverUs = 20] = process.argv.slice(2).map(Number);

let busyUntil = 0;
let requests = 0;

/** Answers after the round trip and the server's time for the statements queued before this request's. */
const modelHandler = {
  async handle(request: { body?: unknown; headers: Record<string, string> }) {
    requests += 1;
    const text = typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array).toString();
    const body = JSON.parse(text) as { Statements?: unknown[] };
    const now = performance.now();
    busyUntil = Math.max(busyUntil, now) + (serverUs / 1000) * (body.Statements?.length ?? 1);
    await sleep(rttMs + (busyUntil - now));
    const json = (request.headers['x-amz-target'] ?? '').endsWith('BatchExecuteStatement')
      ? JSON.stringify({ Responses: (body.Statements ?? []).map(() => ({})) })
      : '{}';
    return {
      response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(json)]) },
    };
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

async function main(): Promise<void> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: modelHandler as never,
  });
  const store = new ours.DynamoDBStore({ tableName: 'large-batch', client });
  const context = createLambdaContext({ timeoutMs: 300_000 });
  const body = JSON.stringify({ orderId: 'order-1' });
  const once = (): Promise<unknown> =>
    oursSqs.processSqsBatch(
      sqsEvent(Array.from({ length: records }, () => sqsRecord({ body }))),
      async () => {
        await sleep(0);
      },
      { store, name: 'large-batch', context, concurrency },
    );
  await once();
  requests = 0;
  const rounds = 3;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) await once();
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${records} records, concurrency ${concurrency}: ${((performance.now() - started) / rounds).toFixed(0)} ms per batch, ` +
      `${(requests / rounds).toFixed(0)} requests per batch, Node CPU ${((used.user + used.system) / 1000 / rounds).toFixed(0)} ms per batch\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
