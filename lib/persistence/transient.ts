/**
 * Which store failures are transient: worth retrying because the same request may succeed a moment later
 * (throttling, 5xx, transaction conflicts, timeouts and network errors). A transient failure of a write is
 * also an ambiguous one: the write may have been applied and only its answer lost, so it is resolved by
 * retrying the fenced write, never by undoing it.
 */

/** Error names of AWS SDK v3 (DynamoDB) that a later attempt may not meet. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'ReplicatedWriteConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Per-item codes of `TransactionCanceledException` reasons and `BatchExecuteStatement` responses. */
export const TRANSIENT_CODES = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'TransactionConflict',
  'ReplicatedWriteConflict',
  'InternalServerError',
]);

/** Network failures of a socket under a client (the AWS SDK's, or a Valkey client's). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $retryable?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly CancellationReasons?: readonly { readonly Code?: unknown }[];
}

/**
 * True when `error`, as thrown by the AWS SDK (or a store built on it), is worth retrying: throttling,
 * 5xx, transaction conflicts, timeouts, network errors, and transactions cancelled for those reasons only.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((reason) => reason.Code).filter((code) => code !== undefined && code !== 'None');
    return codes.length > 0 && codes.every((code) => typeof code === 'string' && TRANSIENT_CODES.has(code));
  }
  if (TRANSIENT_NAMES.has(name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  // A raw socket error, not wrapped by the SDK.
  return !('$metadata' in e) && typeof e.message === 'string' && /socket hang up|ECONNRESET|ETIMEDOUT/.test(e.message);
}
