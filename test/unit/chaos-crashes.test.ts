/**
 * The chaos suite's crash injector: seeded crashes, bounded by receive count so that healthy messages never
 * reach the DLQ, and every crash point exercised in every run whatever the timing of the batches.
 */
import { ChaosCrashError, CrashInjector, CRASH_POINTS, type CrashPoint } from '../../scripts/chaos/crashes';
import type { SqsRecord } from '../../lib/sqs';
import { sqsRecord } from '../helpers/sqs-events';

/** A rate no seeded draw falls under in these few deliveries: only the coverage rule can crash. */
const NEAR_ZERO_RATE = 1e-12;
const SEED = 7;

function delivery(id: string, attempt = 1): SqsRecord {
  return sqsRecord({
    messageAttributes: { 'chaos-id': { stringValue: id, stringListValues: [], binaryListValues: [], dataType: 'String' } },
    attributes: { ApproximateReceiveCount: String(attempt) },
  });
}

/** Runs one crash point for `records` inside an invocation; a thrown crash is swallowed (it is counted). */
async function reach(injector: CrashInjector, point: CrashPoint, records: readonly SqsRecord[]): Promise<void> {
  await injector.run(records, async () => {
    try {
      if (point === 'before-claim' || point === 'after-commit') await injector.invocation(point, records);
      else await injector.hooks.checkpoint?.(point, records[0] as SqsRecord);
    } catch (error) {
      if (!(error instanceof ChaosCrashError)) throw error;
    }
  });
}

describe('CrashInjector', () => {
  it('crashes the first eligible delivery at each point even when no draw falls under the rate', async () => {
    const injector = new CrashInjector(SEED, NEAR_ZERO_RATE, () => 0);
    for (const [i, point] of CRASH_POINTS.entries()) await reach(injector, point, [delivery(`event-${i}`)]);
    expect(injector.counts().byPoint).toEqual({
      'before-claim': 1,
      'record-start': 1,
      'after-external-call': 1,
      'between-steps': 1,
      'after-plain-effect': 1,
      'after-commit': 1,
    });
  });

  it('counts the crashes of each record checkpoint per business event, and tells its observer before crashing', async () => {
    const observed: string[] = [];
    const injector = new CrashInjector(
      SEED,
      NEAR_ZERO_RATE,
      () => 0,
      (point, record, kind) => {
        observed.push(`${point} ${record.messageAttributes['chaos-id']?.stringValue ?? '?'} ${kind}`);
      },
    );
    await reach(injector, 'after-plain-effect', [delivery('event-a')]);
    await reach(injector, 'after-plain-effect', [delivery('event-b')]);
    expect(Object.fromEntries(injector.crashesPerEvent('after-plain-effect'))).toEqual({ 'event-a': 1 });
    expect(injector.crashesPerEvent('record-start').size).toBe(0);
    expect(observed).toHaveLength(1);
    expect(observed[0]).toMatch(/^after-plain-effect event-a (throw|abandon)$/);
  });

  it('leaves later deliveries at an already covered point to the seeded draw', async () => {
    const injector = new CrashInjector(SEED, NEAR_ZERO_RATE, () => 0);
    for (let i = 0; i < 20; i += 1) await reach(injector, 'after-commit', [delivery(`event-${i}`)]);
    expect(injector.counts().byPoint['after-commit']).toBe(1);
  });

  it('never crashes a batch with a record received more than twice, even at an uncovered point', async () => {
    const injector = new CrashInjector(SEED, NEAR_ZERO_RATE, () => 0);
    await reach(injector, 'before-claim', [delivery('fresh'), delivery('retried', 3)]);
    expect(injector.counts().byPoint['before-claim']).toBe(0);
  });

  it('never crashes a record received more than three times, even at an uncovered point', async () => {
    const injector = new CrashInjector(SEED, NEAR_ZERO_RATE, () => 0);
    await reach(injector, 'record-start', [delivery('retried', 4)]);
    expect(injector.counts().byPoint['record-start']).toBe(0);
  });

  it('never crashes at rate 0', async () => {
    const injector = new CrashInjector(SEED, 0, () => 0);
    for (const [i, point] of CRASH_POINTS.entries()) await reach(injector, point, [delivery(`event-${i}`)]);
    expect(injector.counts().total).toBe(0);
  });

  it('throws a ChaosCrashError naming the point when a crash is thrown rather than abandoned', async () => {
    // Rate 0.5: find a delivery whose draws say "crash at record-start, by throwing".
    const injector = new CrashInjector(SEED, 0.5, () => 0);
    const errors: unknown[] = [];
    for (let i = 0; errors.length === 0 && i < 200; i += 1) {
      const record = delivery(`event-${i}`);
      await injector.run([record], async () => {
        try {
          await injector.hooks.checkpoint?.('record-start', record);
        } catch (error) {
          errors.push(error);
        }
      });
    }
    expect(errors[0]).toBeInstanceOf(ChaosCrashError);
    expect((errors[0] as Error).message).toBe('Injected crash at record-start');
  });
});
