/**
 * The idempotency options' types: what users read (TSDoc, `@default`) and what the engine reads once they are
 * validated. Declared once as a spec, with their checks and defaults, in config/idempotency.ts.
 */
import type { IdempotencyLogger } from './logger';
import type { Selector } from './selectors/compile';
import type { IdempotencyMetricsSink } from './metrics/types';
import type { IdempotencyStore } from './persistence/store';

/** What the library logs through (declared with the default logger, in logger.ts). */
export type { IdempotencyLogger } from './logger';

/** What `onReplay` learns about a replay. */
export interface ReplayInfo {
  /** The idempotency record key of the replayed outcome. */
  readonly key: string;
}

/** Options of `makeIdempotent` and `idempotencyMiddleware`. */
// `any` by default, so that options declared without a result type (`IdempotencyOptions<[Event]>`) fit any
// wrapped function; makeIdempotent types `onReplay` by the function's result when the options are inline.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface IdempotencyOptions<TArgs extends unknown[] = unknown[], TResult = any> {
  /** Where idempotency records live: a `DynamoDBStore`, an `InMemoryStore`, or your own store. */
  readonly store: IdempotencyStore;
  /**
   * What identifies a logical event: a function of the wrapped function's arguments, or a JMESPath
   * expression on the first argument. The selected value is canonicalised (object key order never
   * matters) and hashed with SHA-256; the raw payload is never stored.
   * @default - the whole first argument
   */
  readonly key?: Selector<TArgs>;
  /**
   * The operation's namespace inside the key, so two operations never share records.
   * @default - `<AWS_LAMBDA_FUNCTION_NAME or "local">.<the wrapped function's name or "anonymous">`; two
   * different functions that would get the same default name are refused at wrap time
   */
  readonly name?: string;
  /**
   * How long a completed result is kept and replayed, in seconds (at least 1).
   * @default 3600
   */
  readonly expiresAfterSeconds?: number;
  /**
   * How long a claim blocks duplicates while the work runs, in seconds. After that another invocation may
   * take the record over (and the late one gets `IdempotencyLeaseLostError`). At least 1. Inside a Lambda durable
   * execution it does not apply: see `durableExecutionTimeoutSeconds`.
   * @default - the Lambda context's remaining time (less one second) when the second argument is a Lambda
   * context, else 60
   */
  readonly leaseSeconds?: number;
  /**
   * Inside a Lambda durable execution (`withDurableExecution(makeIdempotent(handler, options))`): how long,
   * from its first invocation, the execution owns its record, in seconds. Every invocation of that execution
   * (resumes after waits and callbacks, retries) is the same execution and goes on with the record; another
   * execution with the same key gets `IdempotencyInProgressError` until the first completes or fails, or
   * until this time has passed (it crashed, was stopped or timed out). Set it to the function's durable
   * `ExecutionTimeout`: the SDK does not tell the handler that timeout.
   * @default 31622400 (366 days, the longest ExecutionTimeout)
   */
  readonly durableExecutionTimeoutSeconds?: number;
  /**
   * Payload fields that must match on a replay (a function of the arguments, or JMESPath on the first).
   * A duplicate key with a different fingerprint gets `IdempotencyPayloadMismatchError`.
   * @default - no fingerprint check
   */
  readonly fingerprint?: Selector<TArgs>;
  /**
   * An in-memory LRU cache of completed results in this execution environment: replays from it cost no
   * request. `maxItems` (default 256) is at most 100000; no other member is accepted.
   * @default false
   */
  readonly localCache?: false | { readonly maxItems?: number };
  /**
   * What a duplicate does while the first invocation still runs: `'throw'` an
   * `IdempotencyInProgressError`, or `'wait'` for its result (consistent reads with backoff, bounded by
   * the remaining time). `'wait'` is refused with `mode: 'optimistic'`, which claims nothing to wait for.
   * @default 'throw'
   */
  readonly onInProgress?: 'throw' | 'wait';
  /**
   * What to do when no key can be derived: `'throw'` an `IdempotencyKeyError`, or `'run'` unprotected
   * (logging a warning).
   * @default 'throw'
   */
  readonly onMissingKey?: 'throw' | 'run';
  /**
   * `'lease'`: claim the key (one conditional write) before running, complete it after (two requests,
   * the work runs once). `'optimistic'`: run first and write the completed record in one request (the
   * work may run more than once under concurrency; only staged `commitWith` writes are exactly-once).
   * @default 'lease'
   */
  readonly mode?: 'lease' | 'optimistic';
  /**
   * Largest serialised result stored, in bytes; a larger one raises `IdempotencyResultTooLargeError`
   * before anything is committed. At most 64 MiB, and at most what the store can write (`store.limits`:
   * 4170991 for `DynamoDBStore`); a larger value is refused at wrap time.
   * @default 2097152 (2 MiB)
   */
  readonly maxResultBytes?: number;
  /**
   * Errors for which this returns true are stored as the outcome and rethrown on every replay (marked
   * `replayed: true`); other errors release the lease so a retry runs again.
   * @default - no error is cached
   */
  readonly cacheErrors?: (error: unknown) => boolean;
  /**
   * Transforms a replayed result (a duplicate's, never a first run's) before it is returned: mark it as a
   * replay, say, as the HTTP adapter does with `Idempotent-Replayed`. Cached errors are rethrown as they are.
   * @default - a replay returns the stored result as it is
   */
  readonly onReplay?: (value: TResult, info: ReplayInfo) => TResult;
  /**
   * Where the library logs: a Powertools `Logger`, or anything with `debug`, `info`, `warn` and `error`.
   * @default - JSON lines on stdout in the Powertools format, at level WARN
   */
  readonly logger?: IdempotencyLogger;
  /**
   * Where the engine's metrics go (replays, in-progress rejections, lease take-overs, completion retries and
   * more; names and dimensions in docs/metrics.md): `emfMetrics()` (CloudWatch Embedded Metric Format lines),
   * `powertoolsMetrics(yourMetrics)`, or a function of `{ name, value, unit, dimensions }`. A sink that throws
   * is logged and never fails the invocation.
   * @default - no metrics
   */
  readonly metrics?: IdempotencyMetricsSink;
  /**
   * The clock, in epoch milliseconds (inject one in tests to expire leases and records).
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * How far apart the clocks of two invokers of this operation may be, in milliseconds. A lease counts as
   * ended, and a record as expired, only this long after the time written in it, so a duplicate whose
   * clock runs ahead by up to this much never takes over a live lease. Lambda's clocks are synchronised
   * (Amazon Time Sync) far more closely than the default; raise it for invokers with looser clocks. The
   * price: a crashed invocation's record is taken over this much later.
   * @default 1000
   */
  readonly clockSkewMs?: number;
  /**
   * When there is no Lambda context to give the invocation's deadline: for how many seconds a claim, a
   * step checkpoint or the completion that fails transiently (throttling, 5xx, conflicts, timeouts,
   * network errors, lost responses) is retried, with capped exponential backoff and full jitter, on top
   * of the AWS SDK's own attempts. With a Lambda context, retries go on until its remaining time less one
   * second.
   * @default 10
   */
  readonly completionRetrySeconds?: number;
}

/** Options after validation: defaults applied, selectors compiled, frozen. */
export interface ResolvedOptions<TArgs extends unknown[]> {
  readonly store: IdempotencyStore;
  readonly selectKey: (args: TArgs) => unknown;
  readonly selectFingerprint: ((args: TArgs) => unknown) | undefined;
  readonly name: string;
  readonly expiresAfterSeconds: number;
  readonly leaseSeconds: number | undefined;
  readonly durableExecutionTimeoutSeconds: number;
  readonly localCacheMaxItems: number;
  readonly onInProgress: 'throw' | 'wait';
  readonly onMissingKey: 'throw' | 'run';
  readonly mode: 'lease' | 'optimistic';
  readonly maxResultBytes: number;
  readonly cacheErrors: ((error: unknown) => boolean) | undefined;
  readonly onReplay: ((value: unknown, info: ReplayInfo) => unknown) | undefined;
  readonly logger: IdempotencyLogger;
  readonly metrics: IdempotencyMetricsSink | undefined;
  readonly clock: () => number;
  readonly clockSkewMs: number;
  readonly completionRetrySeconds: number;
}
