import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConsumerCheckpoint, ConsumerHooks } from '../../handlers/chaos-consumer';
import type { SqsRecord } from '../../lib/sqs';
import { draw } from './random';

/**
 * Where a delivery crashes: `before-claim` (the invocation dies before processing the batch),
 * the consumer's checkpoints (`record-start` right after the claim, `after-external-call` inside the
 * charge step before its checkpoint, `between-steps` after the step and before the notification,
 * `after-plain-effect` after the notification and before the commit), and `after-commit` (the batch was
 * processed and committed, and the invocation dies before Lambda deletes the messages).
 */
export type CrashPoint = 'before-claim' | ConsumerCheckpoint | 'after-commit';
export const CRASH_POINTS: readonly CrashPoint[] = [
  'before-claim',
  'record-start',
  'after-external-call',
  'between-steps',
  'after-plain-effect',
  'after-commit',
];
const RECORD_POINTS: readonly ConsumerCheckpoint[] = ['record-start', 'after-external-call', 'between-steps', 'after-plain-effect'];

/** `throw`: the handler fails there. `abandon`: it stalls past its timeout and lease, then carries on (a zombie). */
export type CrashKind = 'throw' | 'abandon';

/** Share of crashes that abandon the attempt rather than throw. */
const ABANDON_SHARE = 0.25;
/** Crashes are only injected into deliveries up to this receive count, so every message can succeed. */
const MAX_CRASHED_ATTEMPT = 3;
/**
 * Crashes that fail a whole batch (abandons, invocation crashes) only hit batches whose records were all
 * received at most this many times, so no healthy message reaches the DLQ's maxReceiveCount.
 */
const MAX_BATCH_CRASHED_ATTEMPT = 2;

/** The error a thrown crash raises. */
export class ChaosCrashError extends Error {
  public constructor(point: CrashPoint) {
    super(`Injected crash at ${point}`);
    this.name = 'ChaosCrashError';
  }
}

interface Invocation {
  readonly records: readonly SqsRecord[];
  /** Messages whose record handler started in this invocation. */
  readonly started: Set<string>;
}

/** Counts of the crashes injected. */
export interface CrashCounts {
  readonly total: number;
  readonly thrown: number;
  readonly abandoned: number;
  readonly byPoint: Readonly<Record<CrashPoint, number>>;
}

/** Called for each crash injected at a record's checkpoint, before it throws or stalls. */
export type CrashObserver = (point: ConsumerCheckpoint, record: SqsRecord, kind: CrashKind) => void;

/** The business event (or poison message) id a chaos message carries. */
export function chaosIdOf(record: SqsRecord): string {
  return record.messageAttributes['chaos-id']?.stringValue ?? record.messageId;
}

function attemptOf(record: SqsRecord): number {
  return Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1;
}

/** The delivery's identity across runs: the event (or poison) id, the copy and the attempt. */
function deliveryKey(record: SqsRecord): string {
  const id = chaosIdOf(record);
  const copy = record.messageAttributes['chaos-copy']?.stringValue ?? '0';
  return `${id}/${copy}/${attemptOf(record)}`;
}

/**
 * Decides, from the seed and each delivery's identity (not from timing), where deliveries crash, and
 * crashes them: each record delivery crashes at one of the consumer's checkpoints with probability
 * `rate`, and each invocation crashes before the claim or after the commit with probability `rate / 2`.
 *
 * Which records share a batch depends on timing, so a seeded draw alone can leave a rare point without a
 * crash in a short run (invocation-level points see about 3 to 9 crashes in 2,000 messages). So that every
 * run exercises every point, the first eligible delivery to reach a point that has not crashed yet
 * crashes there (thrown or abandoned, as its draw says); the rest follow the draws.
 */
export class CrashInjector {
  readonly #invocations = new AsyncLocalStorage<Invocation>();
  readonly #counts = {
    thrown: 0,
    abandoned: 0,
    byPoint: Object.fromEntries(CRASH_POINTS.map((p) => [p, 0])) as Record<CrashPoint, number>,
  };
  /** Record-level crashes per point and business event. */
  readonly #byEvent = new Map<ConsumerCheckpoint, Map<string, number>>();

  public constructor(
    private readonly seed: number,
    private readonly rate: number,
    /** How long an abandoned attempt stalls: past the handler timeout and the lease. */
    private readonly stallMs: () => number,
    private readonly observer?: CrashObserver,
  ) {}

  public counts(): CrashCounts {
    return {
      total: this.#counts.thrown + this.#counts.abandoned,
      thrown: this.#counts.thrown,
      abandoned: this.#counts.abandoned,
      byPoint: { ...this.#counts.byPoint },
    };
  }

  /** How many times each business event crashed at a record checkpoint (`after-plain-effect`, say). */
  public crashesPerEvent(point: ConsumerCheckpoint): ReadonlyMap<string, number> {
    return new Map(this.#byEvent.get(point) ?? []);
  }

  /** Runs an invocation's handling of `records` so that the consumer's checkpoints know their batch. */
  public run<T>(records: readonly SqsRecord[], work: (started: ReadonlySet<string>) => Promise<T>): Promise<T> {
    const invocation: Invocation = { records, started: new Set() };
    return this.#invocations.run(invocation, () => work(invocation.started));
  }

  /** An invocation-level crash point (`before-claim` or `after-commit`). */
  public async invocation(point: 'before-claim' | 'after-commit', records: readonly SqsRecord[]): Promise<void> {
    if (this.rate === 0 || !records.every((record) => attemptOf(record) <= MAX_BATCH_CRASHED_ATTEMPT)) return;
    const key = records.map(deliveryKey).sort().join(',');
    if (!this.#uncovered(point) && draw(this.seed, `${point}|${key}`) >= this.rate / 2) return;
    await this.#crash(point, draw(this.seed, `${point}-kind|${key}`) < ABANDON_SHARE ? 'abandon' : 'throw');
  }

  /** The consumer hooks: the record-level crash points. */
  public readonly hooks: ConsumerHooks = {
    checkpoint: async (point, record) => {
      const invocation = this.#invocations.getStore();
      if (point === 'record-start') invocation?.started.add(record.messageId);
      if (this.rate === 0 || attemptOf(record) > MAX_CRASHED_ATTEMPT) return;
      const key = deliveryKey(record);
      if (!this.#uncovered(point)) {
        if (draw(this.seed, `record|${key}`) >= this.rate) return;
        const chosen = RECORD_POINTS[Math.floor(draw(this.seed, `record-point|${key}`) * RECORD_POINTS.length)];
        if (chosen !== point) return;
      }
      const batchMayFail = (invocation?.records ?? [record]).every((r) => attemptOf(r) <= MAX_BATCH_CRASHED_ATTEMPT);
      const abandon = batchMayFail && draw(this.seed, `record-kind|${key}`) < ABANDON_SHARE;
      const kind: CrashKind = abandon ? 'abandon' : 'throw';
      const perEvent = this.#byEvent.get(point) ?? new Map<string, number>();
      this.#byEvent.set(point, perEvent);
      perEvent.set(chaosIdOf(record), (perEvent.get(chaosIdOf(record)) ?? 0) + 1);
      this.observer?.(point, record, kind);
      await this.#crash(point, kind);
    },
  };

  /** Whether no crash was injected at `point` yet (checked and counted in one synchronous step). */
  #uncovered(point: CrashPoint): boolean {
    return this.#counts.byPoint[point] === 0;
  }

  async #crash(point: CrashPoint, kind: CrashKind): Promise<void> {
    this.#counts.byPoint[point] += 1;
    if (kind === 'throw') {
      this.#counts.thrown += 1;
      throw new ChaosCrashError(point);
    }
    this.#counts.abandoned += 1;
    await new Promise((resolve) => setTimeout(resolve, this.stallMs()));
  }
}
