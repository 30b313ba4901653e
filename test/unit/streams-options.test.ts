/**
 * processStreamBatch behaves by its documented defaults (test/unit/defaults.test.ts checks the TSDoc).
 */
import { processStreamBatch } from '../../lib/streams';
import * as streamDefaults from '../../lib/streams/defaults';
import { kafkaRecords, mskEvent } from '../helpers/stream-events';

describe('defaults of processStreamBatch', () => {
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
