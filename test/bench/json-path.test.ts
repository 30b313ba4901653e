import { jsonPathTable, type JsonPathRow } from '../../bench/json-path';

const row = (label: string, nativeNs: number, exactNs: number): JsonPathRow => ({
  label,
  nativeNs,
  exactNs,
  ratio: exactNs / nativeNs,
  rounds: 15,
});

describe('the JSON path section of the bench report', () => {
  const table = jsonPathTable({
    payloadBytes: 381,
    parser: [row('ordinary payloads (the fast path)', 2200, 2420)],
    batches: [row('processSqsBatch, 10 ordinary bodies, no store', 12000, 12120)],
  });

  it('gives each parser row in ns per payload with the ratio of the exact parse to JSON.parse', () => {
    expect(table).toContain('| ordinary payloads (the fast path) | 2200 ns/payload | 2420 ns/payload | 1.10× |');
  });

  it('gives each batch row in ns per record', () => {
    expect(table).toContain('| processSqsBatch, 10 ordinary bodies, no store | 12000 ns/record | 12120 ns/record | 1.01× |');
  });

  it('says the payload size and how many interleaved rounds the medians come from', () => {
    expect(table).toContain('payloads of ~381 bytes, median of 15 interleaved rounds');
  });

  it('says the times are CPU time', () => {
    expect(table).toContain('interleaved rounds, CPU time:');
  });
});
