/** The types the engine and its adapters share: what `begin` decides, the lifecycle hooks, invocation facts. */
import type { Execution } from './execution';
import type { DisabledExecution } from './kill-switch';

/** What `begin` decided for one invocation. */
export type Begin<TResult> =
  /** A stored outcome: return `value` (or throw `error`) without running the work. */
  | { readonly kind: 'replay'; readonly value: TResult }
  /** No key and `onMissingKey: 'run'`: run the work unprotected. */
  | { readonly kind: 'unprotected' }
  /**
   * `EFFECTIVELY_ONCE_DISABLED=true`: run the work inside `execution` (for `step` and `downstreamKey`), without
   * touching the store.
   */
  | { readonly kind: 'disabled'; readonly execution: DisabledExecution }
  /** This invocation runs the work inside `execution`, then calls `execution.complete` or `execution.fail`. */
  | { readonly kind: 'execute'; readonly execution: Execution<TResult> };

/**
 * Where adapters differ, they plug into the one lifecycle (begin → run → complete or fail → replay) here,
 * instead of driving its steps themselves.
 */
export interface LifecycleHooks<TResult> {
  /**
   * Called when the work starts (SQS: lease renewal); the function it returns is awaited when the work ends,
   * before the outcome is stored or the lease released.
   */
  readonly whileRunning?: (execution: Execution<TResult>) => (() => Promise<void>) | undefined;
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

/** Options of {@link step}. */
export interface StepOptions {
  /**
   * Checkpoint "started" before running, so a later attempt that finds the step started but unfinished
   * throws `IdempotencyStepInterruptedError` instead of running it again.
   * @default false
   */
  readonly atMostOnce?: boolean;
}
