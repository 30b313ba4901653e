/**
 * How an execution's outcome is written: the two modes as two strategies. Lease mode claimed the record
 * before the work ran and completes it, fenced by its token; optimistic mode claimed nothing and puts the
 * completed record unless another execution's outcome is there first, which then wins.
 */
import { IdempotencyInProgressError, IdempotencyLeaseLostError, IdempotencyResultTooLargeError, IdempotencyStoreError } from '../errors';
import type { ResolvedOptions } from '../options';
import { RecordStatus, type CompleteInput, type IdempotencyRecord } from '../persistence/store';
import { isRetryable } from '../retry';
import { serialize } from '../serialize';
import type { ExecutionHost } from './host';
import { checkFingerprint } from './identity';
import { checkedPut } from './store-answers';

/** What a completion strategy needs from the execution whose outcome it writes. */
export interface OutcomeWriter {
  readonly key: string;
  readonly token: string;
  readonly fingerprint: string | undefined;
  readonly host: ExecutionHost<unknown>;
  /** The completion's input for one attempt, built afresh from the clock. */
  attempt(): CompleteInput;
  /** A completion write retried (and counted) until the deadline; `attempts.ambiguous` once one may have applied. */
  writeCompletion<T>(call: () => Promise<T>, attempts?: { ambiguous: boolean }): Promise<T>;
  /** Whether the record holds this execution's completion (`unknown` when the read fails too). */
  ownCompletion(): Promise<'yes' | 'no' | 'unknown'>;
  /** The error a completion that failed after the work ran is reported with (see `Execution`). */
  notStored(error: unknown, ambiguous: boolean): Promise<unknown>;
  /** Marks that the store refused the outcome definitively for its size (nothing was written). */
  refusedForSize(): void;
}

export interface CompletionStrategy {
  /**
   * Whether the work runs under a lease this execution holds: only then are there steps to checkpoint, a
   * lease to renew and a record to release.
   */
  readonly holdsLease: boolean;
  /** Writes the outcome; returns the record of another execution whose outcome won instead, if any. */
  write(writer: OutcomeWriter): Promise<IdempotencyRecord | undefined>;
}

/** Lease mode: complete the claimed record, fenced by the token and the in-progress status. */
const leaseCompletion: CompletionStrategy = {
  holdsLease: true,
  write(w) {
    const o = w.host.options;
    const attempts = { ambiguous: false };
    // A retry after a lost answer finds its own completed record and stops there, so staged writes apply once.
    // (A then, not an async function: every record's completion comes through here.)
    return w
      .writeCompletion(() => o.store.complete(w.attempt()), attempts)
      .then(
        () => undefined,
        async (error: unknown) => {
          // An earlier attempt may have been applied (its answer lost): a consistent read tells.
          const stored = error instanceof IdempotencyLeaseLostError ? 'no' : await w.ownCompletion();
          if (stored !== 'yes') throw await w.notStored(error, attempts.ambiguous || stored === 'unknown');
          return undefined;
        },
      );
  },
};

/** Optimistic mode: put the completed record unless one is there; an earlier completion wins. */
const optimisticCompletion: CompletionStrategy = {
  holdsLease: false,
  async write(w) {
    const o = w.host.options;
    let written: Awaited<ReturnType<typeof o.store.putCompleted>>;
    const attempts = { ambiguous: false };
    try {
      written = await w.writeCompletion(() => o.store.putCompleted(w.attempt()).then((answer) => checkedPut(answer, w.key)), attempts);
    } catch (error) {
      if (error instanceof IdempotencyResultTooLargeError && !attempts.ambiguous) {
        w.refusedForSize();
        throw error;
      }
      // An earlier attempt may have been applied (its answer lost): a consistent read tells.
      if ((await w.ownCompletion()) !== 'yes') {
        throw new IdempotencyStoreError(
          `The work of ${w.key} ran (optimistic mode), but its outcome could not be stored (${(error as Error)?.message ?? String(error)}); nothing was held, so a redelivery runs it again unless an earlier attempt stored it`,
          { key: w.key, cause: error, retryable: isRetryable(error), workRan: true },
        );
      }
      written = { written: true };
    }
    if (written.written || written.existing.token === w.token) return undefined;
    const existing = written.existing;
    try {
      checkFingerprint(w.key, existing.fingerprint, w.fingerprint);
    } catch (mismatch) {
      w.host.count('PayloadMismatches');
      throw mismatch;
    }
    if (existing.status !== RecordStatus.Completed) {
      w.host.count('InProgressRejections');
      throw new IdempotencyInProgressError(
        `Idempotency record ${w.key} is held by a lease-mode invocation; this optimistic run's writes were dropped`,
        { key: w.key, retryAfterMs: Math.max(0, existing.leaseUntil + o.clockSkewMs - o.clock()) },
      );
    }
    // Another execution completed first: its outcome wins and this run's staged writes were dropped.
    w.host.remember(w.key, existing.result ?? serialize(undefined), existing.outcome ?? 'value', w.fingerprint, existing.expiresAt);
    return existing;
  },
};

/** The completion strategy of a mode. */
export function completionOf(mode: ResolvedOptions<never>['mode']): CompletionStrategy {
  return mode === 'optimistic' ? optimisticCompletion : leaseCompletion;
}
