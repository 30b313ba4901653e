import { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './defaults';
import { IdempotencyError, IdempotencyStoreError } from './errors';
import { isTransientAwsError } from './persistence/transient';
import { backoffMs, sleep, type Backoff } from './time';

/**
 * Retries of store calls that fail transiently, on top of the AWS SDK's own attempts: capped exponential
 * backoff with full jitter, until a deadline. Every write the engine retries is fenced by its token, so a
 * retry that lands after a take-over fails with `IdempotencyLeaseLostError` instead of writing.
 */

/** Capped exponential backoff with full jitter: up to twice the base delay after the first attempt. */
const RETRY_BACKOFF: Backoff = { firstMs: RETRY_BASE_DELAY_MS * 2, maxMs: RETRY_MAX_DELAY_MS, jitter: 'full' };

/** Milliseconds on a monotonic clock (deadlines of retries are real time, whatever clock the options inject). */
export function monotonicNow(): number {
  return performance.now();
}

/** Whether a store failure is worth retrying. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof IdempotencyStoreError) return error.retryable;
  // A custom store's raw SDK error is judged by its shape; the library's other errors are definite.
  return !(error instanceof IdempotencyError) && isTransientAwsError(error);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or the next backoff would
 * end past `deadline` (monotonic milliseconds); then throws the last error, or what `fail` makes of it.
 */
export function retryTransient<T>(
  attempt: () => Promise<T>,
  deadline: number,
  onRetry?: (error: unknown, attempt: number) => void,
  fail: (error: unknown) => never = rethrow,
): Promise<T> {
  return attemptFrom(1, attempt, deadline, onRetry, fail);
}

function rethrow(error: unknown): never {
  throw error;
}

/**
 * Attempt `n` and, on a retryable failure, the ones after it. A first attempt that succeeds costs one
 * promise beyond its own: every store call of every record goes through here.
 */
function attemptFrom<T>(
  n: number,
  attempt: () => Promise<T>,
  deadline: number,
  onRetry: ((error: unknown, attempt: number) => void) | undefined,
  fail: (error: unknown) => never,
): Promise<T> {
  let sent: Promise<T>;
  try {
    sent = Promise.resolve(attempt());
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the attempt's own failure, passed on as it is
    sent = Promise.reject(error);
  }
  return sent.catch(async (error: unknown) => {
    if (!isRetryable(error)) fail(error);
    const delayMs = backoffMs(RETRY_BACKOFF, n);
    if (monotonicNow() + delayMs >= deadline) fail(error);
    try {
      onRetry?.(error, n);
      await sleep(delayMs);
    } catch (failure) {
      fail(failure);
    }
    // The next attempts' last failure goes through `fail` there.
    return attemptFrom(n + 1, attempt, deadline, onRetry, fail);
  });
}
