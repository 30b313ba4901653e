/**
 * What an execution needs from the engine that made it, and nothing more: the options, store calls with the
 * engine's retries, metrics, replays, expiries and the local cache. The engine hands each execution one of
 * these instead of itself, so an execution never reaches back into the engine.
 */
import type { IdempotencyMetricName } from '../metrics/types';
import type { ResolvedOptions } from '../options';
import type { WriteBatch } from '../persistence/coalesce';
import type { OutcomeKind } from '../persistence/store';

export interface ExecutionHost<TResult> {
  readonly options: ResolvedOptions<never>;
  /**
   * A store call retried on transient failures until `deadline` (monotonic milliseconds), each attempt made in
   * the write-batching scope `writeBatch`, if any.
   */
  retryStore<T>(
    key: string,
    action: string,
    call: () => Promise<T>,
    deadline: number,
    onRetry: (() => void) | undefined,
    writeBatch: WriteBatch | undefined,
  ): Promise<T>;
  /** Counts one event of `name` for the `metrics` sink. */
  count(name: IdempotencyMetricName): void;
  /** Returns a stored value, or throws a stored error marked `replayed: true`. */
  replay(key: string, outcome: OutcomeKind, result: string | undefined): TResult;
  /** A completed record's expiry (epoch seconds) when it is written at `now`. */
  expiresAt(now: number): number;
  /** The first expiry (epoch seconds) that outlives a lease ending at `leaseUntil` on every invoker's clock. */
  expiresBeyondLease(leaseUntil: number): number;
  /** Keeps a completed outcome in the local cache. */
  remember(key: string, result: string, outcome: OutcomeKind, fingerprint: string | undefined, expiresAt: number): void;
}
