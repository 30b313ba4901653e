/**
 * Micro-measure of the JSON payload parser: `parseJson` (numbers kept exact) against `JSON.parse` on
 * ordinary SQS-sized payloads (no number a double cannot hold: the fast path), on payloads with a 13-digit
 * millisecond timestamp (a run of 8 digits is looked at, then `JSON.parse`), and on payloads with 64-bit ids
 * (the exact path). The two are interleaved round by round, so a noisy machine slows both alike; the
 * ratio is the median of the rounds' ratios. Run: `npx tsx bench/json-parse.ts`.
 */
import { parseJson } from '../lib/json';

const order = (i: number, id: string): string =>
  JSON.stringify({
    orderId: `order-${i}`,
    customer: { id: `c-${i % 97}`, email: `user${i}@example.com`, tier: 'gold' },
    items: Array.from({ length: 5 }, (_, n) => ({ sku: `SKU-${n}-${i}`, quantity: n + 1, price: 12.5 + n })),
    total: 187.5,
    createdAt: '2026-12-06T18:00:00.000Z',
    marker: '@@ID@@',
  }).replace('"@@ID@@"', id);

const ordinary = Array.from({ length: 1000 }, (_, i) => order(i, String(i)));
const timestamps = Array.from({ length: 1000 }, (_, i) => order(i, String(1733508000000 + i)));
const bigIds = Array.from({ length: 1000 }, (_, i) => order(i, `${12345678901234567890n + BigInt(i)}`));

let sink = 0;
function time(texts: readonly string[], parse: (text: string) => unknown): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < 20; r += 1) for (const text of texts) sink += parse(text) === undefined ? 0 : 1;
  return Number(process.hrtime.bigint() - start) / (20 * texts.length);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function compare(label: string, texts: readonly string[]): void {
  time(texts, JSON.parse);
  time(texts, parseJson);
  const native: number[] = [];
  const exact: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < 15; round += 1) {
    const a = time(texts, JSON.parse);
    const b = time(texts, parseJson);
    native.push(a);
    exact.push(b);
    ratios.push(b / a);
  }
  console.log(
    `${label.padEnd(32)} JSON.parse ${median(native).toFixed(0).padStart(6)} ns, parseJson ${median(exact).toFixed(0).padStart(6)} ns, ratio ${median(ratios).toFixed(2)} (median of 15 interleaved rounds)`,
  );
}

console.log(`payloads of ~${Buffer.byteLength(ordinary[0] as string)} bytes, 1000 distinct`);
compare('ordinary payloads (fast path)', ordinary);
compare('13-digit ms timestamps (runs looked at)', timestamps);
compare('64-bit ids (exact path)', bigIds);
if (sink < 0) console.log(sink);
