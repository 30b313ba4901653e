/**
 * The JSON path, measured in `npm run bench`: what keeping numbers exact (lib/json `parseJson`, the
 * default `parse` of SQS bodies, Kinesis data and Kafka values) costs against `JSON.parse`.
 *
 * - The parser alone, on ordinary payloads (no number a double cannot hold: the fast path), on payloads with a
 *   13-digit millisecond timestamp, on payloads whose strings hold the digits of real ids (a UUID, a SHA-1 in hex,
 *   a 19-digit id as a string: the fast path, as digits in strings do not count), and on payloads with 64-bit ids
 *   (the exact path).
 * - The batch path a consumer runs: `processSqsBatch` on batches of 10 ordinary bodies and `processStreamBatch`
 *   on Kinesis batches of 10, without a store (no I/O to hide the parse), the default `parse` against
 *   `parse: JSON.parse`.
 *
 * Each side is timed in CPU time (user + system) of this process: the work is synchronous or resolves in
 * microtasks (no I/O), so on a quiet machine CPU time is the wall time, and on a busy one the time the process
 * waits for a core is left out. The two sides are interleaved round by round, in alternating order, so what a
 * noisy machine still adds (caches, frequency) slows both alike; each ratio is the median of the rounds' ratios.
 * Run alone: `npx tsx bench/json-path.ts [--scale=0.2]`.
 */
import { createHash } from 'node:crypto';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { parseJson } from '../lib/json';
import { processSqsBatch } from '../lib/sqs';
import { processStreamBatch } from '../lib/streams';
import { sqsEvent, sqsRecord } from '../test/helpers/sqs-events';
import { kinesisEvent, kinesisRecords } from '../test/helpers/stream-events';
import { median } from './stats';

/** One measured comparison: nanoseconds per payload (parser) or per record (batch), and their ratio. */
export interface JsonPathRow {
  readonly label: string;
  readonly nativeNs: number;
  readonly exactNs: number;
  /** Median over the rounds of exact ÷ native. */
  readonly ratio: number;
  readonly rounds: number;
}

export interface JsonPathResult {
  readonly payloadBytes: number;
  readonly parser: readonly JsonPathRow[];
  readonly batches: readonly JsonPathRow[];
}

const ROUNDS = 45;

/**
 * An order payload (~380 bytes) whose `marker` member is the JSON text `id`; `withIds` makes its `orderId` a UUID
 * and adds a SHA-1 in hex and a 19-digit account id, all strings (~500 bytes). It is a flat string, as a body
 * reaches the handler (the runtime's `JSON.parse` of the event makes it, as `toString` makes Kinesis data); the
 * `replace` that builds it gives a rope, which every later reader would pay to walk.
 */
function order(i: number, id: string, withIds = false): string {
  const hex = (data: string): string => createHash('sha1').update(data).digest('hex');
  const uuid = hex(`uuid-${i}`);
  const text = JSON.stringify({
    orderId: withIds
      ? `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-4${uuid.slice(13, 16)}-a${uuid.slice(17, 20)}-${uuid.slice(20, 32)}`
      : `order-${i}`,
    customer: { id: `c-${i % 97}`, email: `user${i}@example.com`, tier: 'gold' },
    items: Array.from({ length: 5 }, (_, n) => ({ sku: `SKU-${n}-${i}`, quantity: n + 1, price: 12.5 + n })),
    total: 187.5,
    createdAt: '2026-12-06T18:00:00.000Z',
    ...(withIds ? { trace: hex(`trace-${i}`), accountId: String(1234567890123456789n + BigInt(i)) } : {}),
    marker: '@@ID@@',
  }).replace('"@@ID@@"', id);
  return JSON.parse(JSON.stringify(text)) as string;
}

let sink = 0;

/** Nanoseconds of CPU time per call of `step` over `repeat` passes of `count` items. */
async function timeAsync(count: number, repeat: number, step: (index: number) => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let r = 0; r < repeat; r += 1) {
    for (let i = 0; i < count; i += 1) {
      const value = step(i);
      sink += (value instanceof Promise ? await value : value) === undefined ? 0 : 1;
    }
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (count * repeat);
}

async function compare(
  label: string,
  count: number,
  repeat: number,
  perCall: number,
  native: (index: number) => unknown,
  exact: (index: number) => unknown,
): Promise<JsonPathRow> {
  await timeAsync(count, repeat, native);
  await timeAsync(count, repeat, exact);
  const nativeNs: number[] = [];
  const exactNs: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternating which side goes first cancels what one side leaves to the next (garbage to collect).
    let a: number;
    let b: number;
    if (round % 2 === 0) {
      a = (await timeAsync(count, repeat, native)) / perCall;
      b = (await timeAsync(count, repeat, exact)) / perCall;
    } else {
      b = (await timeAsync(count, repeat, exact)) / perCall;
      a = (await timeAsync(count, repeat, native)) / perCall;
    }
    nativeNs.push(a);
    exactNs.push(b);
    ratios.push(b / a);
  }
  return { label, nativeNs: median(nativeNs), exactNs: median(exactNs), ratio: median(ratios), rounds: ROUNDS };
}

/** Measures the JSON path; `scale` shortens it (at least one pass of each). */
export async function measureJsonPath(scale = 1): Promise<JsonPathResult> {
  const repeat = Math.max(1, Math.round(7 * scale));
  const ordinary = Array.from({ length: 1000 }, (_, i) => order(i, String(i)));
  const timestamps = Array.from({ length: 1000 }, (_, i) => order(i, String(1733508000000 + i)));
  const stringIds = Array.from({ length: 1000 }, (_, i) => order(i, String(i), true));
  const bigIds = Array.from({ length: 1000 }, (_, i) => order(i, `${12345678901234567890n + BigInt(i)}`));
  const parserRow = (label: string, texts: readonly string[]): Promise<JsonPathRow> =>
    compare(
      label,
      texts.length,
      repeat,
      1,
      (i) => JSON.parse(texts[i] as string),
      (i) => parseJson(texts[i] as string),
    );
  const parser = [
    await parserRow('ordinary payloads (the fast path)', ordinary),
    await parserRow('a 13-digit ms timestamp (the fast path)', timestamps),
    await parserRow('a UUID, a SHA-1 and a 19-digit id in strings (the fast path)', stringIds),
    await parserRow('a 64-bit id (the exact path)', bigIds),
  ];

  const sqsBatches: SQSEvent[] = Array.from({ length: 100 }, (_, b) =>
    sqsEvent(Array.from({ length: 10 }, (_, r) => sqsRecord({ body: ordinary[b * 10 + r] as string }))),
  );
  const kinesisBatches: KinesisStreamEvent[] = Array.from({ length: 100 }, (_, b) =>
    kinesisEvent(kinesisRecords(Array.from({ length: 10 }, (_, r) => ordinary[b * 10 + r] as string))),
  );
  const handle = (): void => undefined;
  // One options object per side, as a consumer declares them once (the options are resolved once per object).
  const sqsNative = { parse: (body: string): unknown => JSON.parse(body) };
  const kinesisNative = { parse: (text: string): unknown => JSON.parse(text) };
  const sqsExact = {};
  const kinesisExact = {};
  const batches = [
    await compare(
      'processSqsBatch, 10 ordinary bodies, no store',
      sqsBatches.length,
      repeat,
      10,
      (i) => processSqsBatch(sqsBatches[i] as SQSEvent, handle, sqsNative),
      (i) => processSqsBatch(sqsBatches[i] as SQSEvent, handle, sqsExact),
    ),
    await compare(
      'processStreamBatch (Kinesis), 10 ordinary records, no store',
      kinesisBatches.length,
      repeat,
      10,
      (i) => processStreamBatch(kinesisBatches[i] as KinesisStreamEvent, handle, kinesisNative),
      (i) => processStreamBatch(kinesisBatches[i] as KinesisStreamEvent, handle, kinesisExact),
    ),
  ];
  if (sink < 0) process.stderr.write(String(sink));
  return { payloadBytes: Buffer.byteLength(ordinary[0] as string), parser, batches };
}

/** The JSON path as a markdown section of the report. */
export function jsonPathTable(result: JsonPathResult): string {
  const row = (r: JsonPathRow, unit: string): string =>
    `| ${r.label} | ${r.nativeNs.toFixed(0)} ${unit} | ${r.exactNs.toFixed(0)} ${unit} | ${r.ratio.toFixed(2)}× |`;
  return [
    `The JSON path: numbers kept exact (\`parseJson\`, the default \`parse\`) against \`JSON.parse\`, payloads of ~${result.payloadBytes} bytes, median of ${result.parser[0]?.rounds ?? ROUNDS} interleaved rounds, CPU time:`,
    '',
    '| What | `JSON.parse` | numbers exact | ratio |',
    '|---|--:|--:|--:|',
    ...result.parser.map((r) => row(r, 'ns/payload')),
    ...result.batches.map((r) => row(r, 'ns/record')),
    '',
  ].join('\n');
}

if (require.main === module) {
  const scale = Number(/^--scale=(.+)$/.exec(process.argv[2] ?? '')?.[1] ?? 1);
  measureJsonPath(scale)
    .then((result) => process.stdout.write(`${jsonPathTable(result)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    });
}
