/**
 * One place per default for processStreamBatch: every `@default <value> (`CONSTANT`)` in lib/streams quotes
 * a named constant that has that value, and the processor behaves by it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as coreDefaults from '../../lib/defaults';
import { processStreamBatch } from '../../lib/streams';
import * as streamDefaults from '../../lib/streams/defaults';
import { kafkaRecords, mskEvent } from '../helpers/stream-events';

const constants: Record<string, unknown> = { ...coreDefaults, ...streamDefaults };
const dir = join(__dirname, '../../lib/streams');
const pattern = /@default\s+(\S+)\s+\(`([A-Z_]+)`/g;
const quoted = readdirSync(dir)
  .filter((file) => file.endsWith('.ts'))
  .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(pattern)].map((m) => ({ file, text: m[1] ?? '', constant: m[2] ?? '' })));

describe('documented defaults of processStreamBatch', () => {
  it('are found in the TSDoc', () => {
    expect(quoted.map((q) => q.constant)).toContain('DEFAULT_KAFKA_CONCURRENCY');
  });

  it.each(quoted.map((q) => [q.constant, q.text, q.file]))('%s matches its @default %s (%s)', (constant, text) => {
    expect(constants).toHaveProperty([constant]);
    expect(String(constants[constant])).toBe(text.replace(/^'(.*)'$/, '$1'));
  });

  it(`runs ${streamDefaults.DEFAULT_KAFKA_CONCURRENCY} Kafka partitions at once by default`, async () => {
    const partitions = streamDefaults.DEFAULT_KAFKA_CONCURRENCY + 2;
    const records = Array.from({ length: partitions }, (_, p) => kafkaRecords('topic', p, [p])).flat();
    let running = 0;
    let most = 0;
    await processStreamBatch(mskEvent(records), async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    });
    expect(most).toBe(streamDefaults.DEFAULT_KAFKA_CONCURRENCY);
  });
});
