import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConsumerCheckpoint, ConsumerHooks } from '../../handlers/chaos-consumer';
import type { SqsRecord } from '../../lib';
import { draw } from './random';

/**
 * Where a delivery crashes: `before-claim` (the invocation dies before processing the batch),
 * the consumer's checkpoints (`record-start` right after the claim, `after-external-call` inside the
 * charge step before its checkpoint, `between-steps` after the step and before the commit), and
 * `after-commit` (the batch was processed and committed, and the invocation dies before Lambda deletes
 * the messages).
 */
export type CrashPoint = 'before-claim' | ConsumerCheckpoint | 'after-commit';
export const CRASH_POINTS: readonly CrashPoint[] = ['before-claim', 'record-start', 'after-external-call', 'between-steps', 'after-commit'];
const RECORD_POINTS: readonly ConsumerCheckpoint[] = ['record-start', 'after-external-call', 'between-steps'];

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

function attemptOf(record: SqsRecord): number {
  return Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1;
}

/** The delivery's identity across runs: the event (or poison) id, the copy and the attempt. */
function deliveryKey(record: SqsRecord): string {
  const id = record.messageAttributes['chaos-id']?.stringValue ?? record.messageId;
  const copy = record.messageAttributes['chaos-copy']?.stringValue ?? '0';
  return `${id}/${copy}/${attemptOf(record)}`;
}

/**
 * Decides, from the seed and each delivery's identity (not from timing), where deliveries crash, and
 * crashes them: each record delivery crashes at one of the consumer's checkpoints with probability
 * `rate`, and each invocation crashes before the claim or after the commit with probability `rate`.
 */
export class CrashInjector {
  readonly #invocations = new AsyncLocalStorage<Invocation>();
  readonly #counts = { thrown: 0, abandoned: 0, byPoint: Object.fromEntries(CRASH_POINTS.map((p) => [p, 0])) as Record<CrashPoint, number> };

  public constructor(
    private readonly seed: number,
    private readonly rate: number,
    /** How long an abandoned attempt stalls: past the handler timeout and the lease. */
    private readonly stallMs: () => number,
  ) {}

  public counts(): CrashCounts {
    return { total: this.#counts.thrown + this.#counts.abandoned, thrown: this.#counts.thrown, abandoned: this.#counts.abandoned, byPoint: { ...this.#counts.byPoint } };
  }

  /** Runs an invocation's handling of `records` so that the consumer's checkpoints know their batch. */
  public run<T>(records: readonly SqsRecord[], work: (started: ReadonlySet<string>) => Promise<T>): Promise<T> {
    const invocation: Invocation = { records, started: new Set() };
    return this.#invocations.run(invocation, () => work(invocation.started));
  }

  /** An invocation-level crash point (`before-claim` or `after-commit`). */
  public async invocation(point: 'before-claim' | 'after-commit', records: readonly SqsRecord[]): Promise<void> {
    if (!records.every((record) => attemptOf(record) <= MAX_BATCH_CRASHED_ATTEMPT)) return;
    const key = records.map(deliveryKey).sort().join(',');
    if (draw(this.seed, `${point}|${key}`) >= this.rate / 2) return;
    await this.#crash(point, draw(this.seed, `${point}-kind|${key}`) < ABANDON_SHARE ? 'abandon' : 'throw');
  }

  /** The consumer hooks: the record-level crash points. */
  public readonly hooks: ConsumerHooks = {
    checkpoint: async (point, record) => {
      const invocation = this.#invocations.getStore();
      if (point === 'record-start') invocation?.started.add(record.messageId);
      if (attemptOf(record) > MAX_CRASHED_ATTEMPT) return;
      const key = deliveryKey(record);
      if (draw(this.seed, `record|${key}`) >= this.rate) return;
      const chosen = RECORD_POINTS[Math.floor(draw(this.seed, `record-point|${key}`) * RECORD_POINTS.length)];
      if (chosen !== point) return;
      const batchMayFail = (invocation?.records ?? [record]).every((r) => attemptOf(r) <= MAX_BATCH_CRASHED_ATTEMPT);
      const abandon = batchMayFail && draw(this.seed, `record-kind|${key}`) < ABANDON_SHARE;
      await this.#crash(point, abandon ? 'abandon' : 'throw');
    },
  };

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
