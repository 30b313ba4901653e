/** The types the engine and its adapters share: the lifecycle hooks, invocation facts, what a release found. */
import type { WriteBatch } from '../persistence/coalesce';

/** The lease of a running execution, as a hook may keep it alive (SQS: renewed while a long handler runs). */
export interface LeaseHolder {
  /** The record key. */
  readonly key: string;
  /** Length of the lease, in milliseconds. */
  readonly leaseMs: number;
  /** Extends the lease to `ms` from now, and the record's expiry beyond it. */
  extendLease(ms: number): Promise<void>;
}

/**
 * Where adapters differ, they plug into the one lifecycle (begin → run → complete or fail → replay) here,
 * instead of driving its steps themselves.
 */
export interface LifecycleHooks<TResult> {
  /**
   * Called when the work starts (SQS: lease renewal); the function it returns is awaited when the work ends,
   * before the outcome is stored or the lease released.
   */
  readonly whileRunning?: (execution: LeaseHolder) => (() => Promise<void>) | undefined;
  /**
   * Whether a result is stored. `false` releases the lease and returns the result as it is, so a retry runs
   * again (HTTP: a 5xx response is not a success).
   */
  readonly shouldStore?: (value: TResult) => boolean;
  /** A stored result being replayed, as the adapter returns it (HTTP marks it replayed; SQS logs it). */
  readonly onReplay?: (value: TResult) => TResult;
}

/** Per-invocation facts an adapter passes to the engine. */
export interface InvocationInfo {
  /** Milliseconds the invocation has left (from the Lambda context), when known. */
  readonly remainingMs?: number;
  /**
   * The ARN of the Lambda durable execution the invocation belongs to, when it runs inside one: every
   * invocation of that execution owns its record (see `durableExecutionTimeoutSeconds`).
   */
  readonly durableExecutionArn?: string;
  /**
   * How long (ms) this call waits for an invocation that holds the record to finish, whatever `onInProgress`
   * says: an ordered batch whose claim made ahead met another consumer's waits this long before failing.
   */
  readonly waitForHolderMs?: number;
  /**
   * The write-batching scope of a batch's records (the batch runtime's): the execution's claim, completion
   * and release go through it, so that concurrent records' writes may share requests. Without one, the
   * scope current when `begin` is called, if any (`withWriteBatching`).
   */
  readonly writeBatch?: WriteBatch;
}

/** What a hand-made release (`release`, `completeStep`) found and did. */
export type RecordResolution =
  /** The in-progress record was deleted: the next delivery runs the work afresh. */
  | 'released'
  /** The step was marked done with the given result and the lease ended: the next delivery replays it. */
  | 'stepDone'
  /** There was no live record: nothing to do. */
  | 'absent'
  /** The record is completed: it is left as it is (its result is replayed). */
  | 'completed';
