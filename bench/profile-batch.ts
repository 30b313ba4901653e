/**
 * Where an SQS batch's Node CPU goes: ours against the floor, with no network and no server.
 * The DynamoDB client's HTTP handler answers every request at once (an empty success; a BatchExecuteStatement
 * gets one empty response per statement), so what is measured is the SDK's work and the library's, nothing else.
 *
 *   npx tsx bench/profile-batch.ts [ours|optimistic|fifo-10|fifo-1|floor-batched|floor-single] [batches]
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/profile-batch.ts ours 3000
 *   npx tsx bench/profile-batch.ts --summarize .tmp/prof/<file>.cpuprofile
 *   npm run build && EO_BENCH_OURS=dist npx tsx bench/profile-batch.ts ours   # ours as built (bench/ours.ts)
 *
 * The first form prints the Node CPU and wall time per record of batches of 10 (after 300 warm-up batches; the
 * median of up to 10 blocks timed one by one, and the lowest block's CPU): a
 * standard queue's, or (`fifo-10`, `fifo-1`) a FIFO queue's in 10 message groups or one, claimed ahead;
 * the profile's summary gives the self time by package or directory and by function.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createLambdaContext } from '../lib/testing';
import { fifoRecord, sqsEvent, sqsRecord } from '../test/helpers/sqs-events';
import { floorBatchContenders } from './floor';
import { ours, oursSqs } from './ours';

const { DynamoDBStore } = ours;
const { processSqsBatch } = oursSqs;

/** An HTTP handler that answers at once, as DynamoDB would when every write succeeds. */
const instantHandler = {
  handle(request: { body?: unknown; headers: Record<string, string> }) {
    const body = JSON.parse(typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array).toString()) as {
      Statements?: unknown[];
    };
    const json = (request.headers['x-amz-target'] ?? '').endsWith('BatchExecuteStatement')
      ? JSON.stringify({ Responses: (body.Statements ?? []).map(() => ({})) })
      : '{}';
    return Promise.resolve({
      response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(json)]) },
    });
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

async function measure(which: string, batches: number): Promise<void> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: instantHandler as never,
  });
  const store = new DynamoDBStore({ tableName: 'profile', client });
  const body = JSON.stringify({ orderId: 'order-1', amount: 129.9, currency: 'EUR' });
  const event = (): ReturnType<typeof sqsEvent> => sqsEvent(Array.from({ length: 10 }, () => sqsRecord({ body })));
  let sequence = 0;
  const fifo = (groups: number): ReturnType<typeof sqsEvent> =>
    sqsEvent(Array.from({ length: 10 }, (_, index) => fifoRecord(`group-${index % groups}`, `dedup-${sequence}`, (sequence += 1), body)));
  const env = { client, ours: { idempotency: 'profile', business: 'b' }, incumbent: { idempotency: 'i', business: 'c' }, scale: 1 };
  const [batched, single] = floorBatchContenders(env, event, 'together', 10);
  const context: Context = createLambdaContext({ timeoutMs: 30_000 });
  const runs: Record<string, () => Promise<unknown>> = {
    ours: () => processSqsBatch(event(), async () => undefined, { store, name: 'profile', context }),
    'fifo-10': () => processSqsBatch(fifo(10), async () => undefined, { store, name: 'profile', context }),
    'fifo-1': () => processSqsBatch(fifo(1), async () => undefined, { store, name: 'profile', context }),
    optimistic: () => processSqsBatch(event(), async () => undefined, { store, name: 'profile', mode: 'optimistic', context }),
    'floor-batched': () => (batched as NonNullable<typeof batched>).prepare()(),
    'floor-single': () => (single as NonNullable<typeof single>).prepare()(),
  };
  const once = runs[which];
  if (!once) throw new Error(`Expected one of ${Object.keys(runs).join(', ')}, got ${which}`);
  for (let i = 0; i < 300; i += 1) await once();
  // Blocks of batches, each timed on its own: on a shared machine the median block (and the lowest) says more
  // than one long run, which every neighbour's burst disturbs.
  const blocks = Math.max(1, Math.min(10, Math.floor(batches / 100)));
  const perBlock = Math.floor(batches / blocks);
  const cpuPerRecord: number[] = [];
  const wallPerRecord: number[] = [];
  for (let block = 0; block < blocks; block += 1) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < perBlock; i += 1) await once();
    const used = process.cpuUsage(cpu);
    cpuPerRecord.push((used.user + used.system) / (perBlock * 10));
    wallPerRecord.push(Number(process.hrtime.bigint() - started) / 1e3 / (perBlock * 10));
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  process.stdout.write(
    `${which}: Node CPU ${median(cpuPerRecord).toFixed(1)} µs per record (median of ${blocks} blocks of ${perBlock} batches; lowest ${Math.min(...cpuPerRecord).toFixed(1)}), wall ${median(wallPerRecord).toFixed(1)} µs per record\n`,
  );
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
}

/** Self time of a `.cpuprofile` by package or directory and by function, in percent of the total. */
function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const frame = nodes.get(id)?.callFrame;
    const url = (frame?.url ?? '').replace(/^file:\/\//, '').replace(/.*node_modules\//, 'node_modules/');
    const parts = url.split('/');
    const place = url.startsWith('node_modules/')
      ? parts.slice(1, parts[1]?.startsWith('@') ? 3 : 2).join('/')
      : url.includes('/lib/') || url.includes('/bench/')
        ? url
            .replace(/.*\/(lib|bench)\//, '$1/')
            .split('/')
            .slice(0, 2)
            .join('/')
        : url || (frame?.functionName ?? '?');
    byPlace.set(place, (byPlace.get(place) ?? 0) + delta);
    const name = `${frame?.functionName || '(anonymous)'} ${place}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const top = (map: Map<string, number>, count: number): string =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  process.stdout.write(
    `${(total / 1000).toFixed(0)} ms sampled\n\nBy package or directory:\n${top(byPlace, 20)}\n\nBy function:\n${top(byFunction, 30)}\n`,
  );
}

const [first, second] = process.argv.slice(2);
if (first === '--summarize' && second !== undefined) summarize(second);
else
  measure(first ?? 'ours', Number(second ?? 2000)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
