/**
 * Every default of the library lives here, once. Internal: the TSDoc `@default` of each option gives the value itself,
 * and test/unit/defaults.test.ts checks that they agree.
 */

/** How long a completed result is kept and replayed, in seconds. */
export const DEFAULT_EXPIRES_AFTER_SECONDS = 3600;
/** Lease length in seconds when no Lambda context tells the remaining time. */
export const DEFAULT_LEASE_SECONDS = 60;
/** Maximum size of a serialised result, in bytes (before compression). */
export const DEFAULT_MAX_RESULT_BYTES = 2 * 1024 * 1024;
/** Largest `maxResultBytes` any store is asked to hold: 64 MiB (a store may declare less, as DynamoDB does). */
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;
/** Serialised results above this many bytes are compressed before they are stored. */
export const DEFAULT_COMPRESS_ABOVE_BYTES = 4 * 1024;
/** Size of one stored chunk of a large result, in bytes (DynamoDB items hold at most 400 KB). */
export const RESULT_CHUNK_BYTES = 350 * 1024;
/** `onInProgress` default. */
export const DEFAULT_ON_IN_PROGRESS = 'throw';
/** `onMissingKey` default. */
export const DEFAULT_ON_MISSING_KEY = 'throw';
/** `mode` default. */
export const DEFAULT_MODE = 'lease';
/** Default size of the local cache when `localCache: {}` gives no `maxItems`. */
export const DEFAULT_LOCAL_CACHE_MAX_ITEMS = 256;
/** Largest `localCache.maxItems`: each item holds a result in the execution environment's memory. */
export const MAX_LOCAL_CACHE_ITEMS = 100_000;
/** First delay of the `onInProgress: 'wait'` polling, in milliseconds (it doubles up to the maximum). */
export const WAIT_INITIAL_DELAY_MS = 25;
/** Largest delay between two `onInProgress: 'wait'` polls, in milliseconds. */
export const WAIT_MAX_DELAY_MS = 1000;
/** Milliseconds kept back from the Lambda remaining time so the lease ends before the invocation does. */
export const LEASE_SAFETY_MARGIN_MS = 1000;
/** Attempts of a `commitWith` transaction that meets a transaction conflict. */
export const COMMIT_MAX_ATTEMPTS = 5;
/**
 * How far apart two invokers' clocks may be, in milliseconds: a lease counts as ended, and a record as
 * expired, only this long after the time written in it.
 */
export const DEFAULT_CLOCK_SKEW_MS = 1000;
/**
 * Seconds for which a claim or a completion that fails transiently is retried when no Lambda context gives
 * the invocation's deadline.
 */
export const DEFAULT_COMPLETION_RETRY_SECONDS = 10;
/** First backoff of the library's retries of transient store failures, in milliseconds (full jitter). */
export const RETRY_BASE_DELAY_MS = 25;
/** Largest backoff of the library's retries of transient store failures, in milliseconds. */
export const RETRY_MAX_DELAY_MS = 1000;
/**
 * Most bytes of serialised step results one execution keeps in its record (all steps together): DynamoDB
 * items hold at most 400 KB, and both stores enforce the same budget.
 */
export const MAX_CHECKPOINT_BYTES = 256 * 1024;
/** Largest `expiresAfterSeconds`: ten years (a TTL DynamoDB stores and acts on). */
export const MAX_EXPIRES_AFTER_SECONDS = 10 * 365 * 24 * 60 * 60;
/** Largest `leaseSeconds`: twelve hours, the longest SQS visibility timeout. */
export const MAX_LEASE_SECONDS = 12 * 60 * 60;
/**
 * How long a Lambda durable execution may own its record, in seconds, when `durableExecutionTimeoutSeconds`
 * does not say: 366 days, the longest `ExecutionTimeout` Lambda allows (the SDK does not tell the handler the
 * function's own).
 */
export const DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS = 366 * 24 * 60 * 60;
/** Largest `durableExecutionTimeoutSeconds`: 366 days, the longest `ExecutionTimeout` of a durable function. */
export const MAX_DURABLE_EXECUTION_TIMEOUT_SECONDS = 366 * 24 * 60 * 60;
/** Largest `clockSkewMs`: five minutes. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Largest `completionRetrySeconds`: one hour. */
export const MAX_COMPLETION_RETRY_SECONDS = 60 * 60;
/**
 * Longest `name`, in UTF-8 bytes: the record key (`<name>#<64 hex digits>`, plus `#chunk#<n>` for the items
 * of a large result) must fit DynamoDB's 2048-byte partition key.
 */
export const MAX_NAME_BYTES = 1024;
/** CloudWatch namespace of the metrics `emfMetrics()` writes when `namespace` is not given. */
export const DEFAULT_EMF_NAMESPACE = 'effectively-once';
/** Logger level of the default logger. */
export const DEFAULT_LOG_LEVEL = 'WARN' as const;
/** `DynamoDBStore` `batchWrites` default: concurrent claims and completions share requests. */
export const DEFAULT_BATCH_WRITES = true;
/** Most items DynamoDB accepts in one TransactWriteItems request (the record, result chunks, staged writes). */
export const MAX_TRANSACTION_ITEMS = 100;
