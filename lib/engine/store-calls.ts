/**
 * Store calls as the engine and its executions make them: retried on transient failures until a deadline,
 * and what remains turned into the library's errors (a store's own failure becomes an `IdempotencyStoreError`
 * with it as `cause`), counted for the metrics.
 */
import { IdempotencyError, IdempotencyLeaseLostError, IdempotencyStoreError } from '../errors';
import type { IdempotencyLogger } from '../logger';
import type { IdempotencyMetricName } from '../metrics/types';
import { inWriteBatch, type WriteBatch } from '../persistence/coalesce';
import { isRetryable, retryTransient } from '../retry';
import { settledBy } from './store-answers';

export class StoreCalls {
  readonly #logger: IdempotencyLogger;
  readonly #count: (name: IdempotencyMetricName) => void;

  public constructor(logger: IdempotencyLogger, count: (name: IdempotencyMetricName) => void) {
    this.#logger = logger;
    this.#count = count;
  }

  /**
   * `call`, retried on transient failures until `deadline` (monotonic milliseconds); `onRetry` before each retry;
   * each attempt made in the write-batching scope `writeBatch`, if any (a batching store reads it as the call starts).
   */
  public retry<T>(
    key: string,
    action: string,
    call: () => Promise<T>,
    deadline: number,
    onRetry?: () => void,
    writeBatch?: WriteBatch,
  ): Promise<T> {
    return retryTransient(
      () => settledBy(writeBatch === undefined ? call() : inWriteBatch(writeBatch, call), deadline, key, action),
      deadline,
      (error, attempt) => {
        onRetry?.();
        this.#logger.debug(`Retrying ${action} of idempotency record ${key} after a transient failure (attempt ${attempt + 1})`, error);
      },
      (error) => {
        if (error instanceof IdempotencyLeaseLostError) this.#count('LeasesLost');
        else if (!(error instanceof IdempotencyError) || error instanceof IdempotencyStoreError) this.#count('StoreErrors');
        if (error instanceof IdempotencyError) throw error;
        throw new IdempotencyStoreError(
          `The store failed to ${action} idempotency record ${key} (${(error as Error)?.message ?? String(error)}); retry the invocation`,
          {
            key,
            cause: error,
            retryable: isRetryable(error),
          },
        );
      },
    );
  }
}
