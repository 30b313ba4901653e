/**
 * The outbox end to end (CI size) on DynamoDB Local and fauxqs: duplicated deliveries, attempts that fail
 * after publishing, throttles and lost answers everywhere, relay invocations lost after publishing. Every
 * completed event's downstream effect happens exactly once and no message of an uncompleted attempt exists.
 * `npm run chaos -- --outbox` runs the same proof at any size.
 */
import { runOutboxProof } from '../../scripts/chaos/outbox-proof';
import { newDynamoClient, newSqsClient } from '../helpers/local';

describe('outbox proof', () => {
  it('has every committed event’s effect exactly once, and no message of an attempt that did not complete', async () => {
    const report = await runOutboxProof({
      events: 40,
      seed: 26,
      makeDynamo: () => newDynamoClient(),
      makeSqs: () => newSqsClient(),
      timeoutMs: 150_000,
    });

    expect(report.violations).toEqual([]);
    expect(report.effects).toBe(40);
    // The faults were there: the proof is not vacuous.
    expect(report.failedAttemptsOfA).toBeGreaterThan(0);
    expect(report.relayCrashes).toBeGreaterThan(0);
    expect(report.faults.throttled + report.faults.lostResponses).toBeGreaterThan(0);
    expect(report.deliveriesToA).toBeGreaterThanOrEqual(80);
  }, 200_000);
});
