import {
  MAX_CLOCK_SKEW_MS,
  MAX_COMPLETION_RETRY_SECONDS,
  MAX_DURABLE_EXECUTION_TIMEOUT_SECONDS,
  MAX_EXPIRES_AFTER_SECONDS,
  MAX_LEASE_SECONDS,
  MAX_LOCAL_CACHE_ITEMS,
  MAX_NAME_BYTES,
  MAX_RESULT_BYTES,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_COMPLETION_RETRY_SECONDS,
  DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS,
  DEFAULT_EXPIRES_AFTER_SECONDS,
  DEFAULT_LOCAL_CACHE_MAX_ITEMS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MODE,
  DEFAULT_ON_IN_PROGRESS,
  DEFAULT_ON_MISSING_KEY,
} from './defaults';
import { IdempotencyConfigError } from './errors';
import { createDefaultLogger, type IdempotencyLogger } from './logger';
import { compileSelector, type Selector } from './selectors/compile';
import { describe } from './describe';
import type { IdempotencyMetricsSink } from './metrics/types';
import type { IdempotencyStore, StoreLimits } from './persistence/store';

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

/**
 * Compiles to `true` only when `Names` lists exactly the keys of `T`: an option set's names are declared
 * once, beside its type, and the compiler keeps the two together (the unknown-name check reads the list).
 */
export type ExactOptionNames<T, Names extends readonly string[]> = [
  Exclude<keyof T, Names[number]>,
  Exclude<Names[number], keyof T>,
] extends [never, never]
  ? true
  : { readonly missing: Exclude<keyof T, Names[number]>; readonly unknown: Exclude<Names[number], keyof T> };

/** The names of {@link IdempotencyOptions}. */
export const IDEMPOTENCY_OPTION_NAMES = [
  'store',
  'key',
  'name',
  'expiresAfterSeconds',
  'leaseSeconds',
  'durableExecutionTimeoutSeconds',
  'fingerprint',
  'localCache',
  'onInProgress',
  'onMissingKey',
  'mode',
  'maxResultBytes',
  'cacheErrors',
  'onReplay',
  'logger',
  'metrics',
  'clock',
  'clockSkewMs',
  'completionRetrySeconds',
] as const;
const _idempotencyOptionNames: ExactOptionNames<IdempotencyOptions, typeof IDEMPOTENCY_OPTION_NAMES> = true;

const KNOWN: ReadonlySet<string> = new Set(IDEMPOTENCY_OPTION_NAMES);

const STORE_METHODS = ['claim', 'takeOver', 'checkpoint', 'extendLease', 'complete', 'putCompleted', 'release', 'get'];

/**
 * Validates options once, at wrap time, and freezes the result. Every message names the option and the
 * value received.
 * @param extraKeys option names an adapter adds on top of these (validated by the adapter)
 */
export function resolveOptions<TArgs extends unknown[]>(
  options: IdempotencyOptions<TArgs> | undefined,
  defaultName: string,
  extraKeys: readonly string[] = [],
): ResolvedOptions<TArgs> {
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected options to be an object with at least \`store\`, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name) && !extraKeys.includes(name)) {
      throw new IdempotencyConfigError(`Unknown option \`${name}\` (known options: ${[...KNOWN, ...extraKeys].join(', ')})`);
    }
  }
  const store = options.store as unknown;
  if (
    store === null ||
    typeof store !== 'object' ||
    STORE_METHODS.some((method) => typeof (store as Record<string, unknown>)[method] !== 'function')
  ) {
    throw new IdempotencyConfigError(
      `Expected \`store\` to be an IdempotencyStore (a DynamoDBStore, an InMemoryStore or your own), got ${describe(store)}`,
    );
  }
  const name = options.name ?? defaultName;
  if (typeof name !== 'string' || name.length === 0) {
    throw new IdempotencyConfigError(`Expected \`name\` to be a non-empty string, got ${describe(options.name)}`);
  }
  // A control character (NUL above all) in a key is invisible in logs and consoles, and cut short by C tools.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u001f\u007f]/.exec(name);
  if (control !== null) {
    throw new IdempotencyConfigError(
      `Expected \`name\` to hold no control character, got ${JSON.stringify(name)} (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at index ${control.index})`,
    );
  }
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new IdempotencyConfigError(
      `Expected \`name\` to be at most ${MAX_NAME_BYTES} bytes (record keys must fit DynamoDB's 2048-byte partition key), got ${Buffer.byteLength(name)} bytes`,
    );
  }
  const localCache = options.localCache ?? false;
  let localCacheMaxItems = 0;
  if (localCache !== false) {
    if (localCache === null || typeof localCache !== 'object') {
      throw new IdempotencyConfigError(`Expected \`localCache\` to be false or { maxItems }, got ${describe(localCache)}`);
    }
    const unknownKey = Object.keys(localCache).find((k) => k !== 'maxItems');
    if (unknownKey !== undefined) {
      throw new IdempotencyConfigError(`Unknown option \`localCache.${unknownKey}\` (known: maxItems)`);
    }
    localCacheMaxItems = localCache.maxItems ?? DEFAULT_LOCAL_CACHE_MAX_ITEMS;
    atMost(
      'localCache.maxItems',
      positiveInteger('localCache.maxItems', localCacheMaxItems),
      MAX_LOCAL_CACHE_ITEMS,
      'each item holds a result of up to maxResultBytes in memory',
    );
  }
  const resolved: ResolvedOptions<TArgs> = {
    store: store as IdempotencyStore,
    selectKey: compileSelector('key', options.key),
    selectFingerprint: options.fingerprint === undefined ? undefined : compileSelector('fingerprint', options.fingerprint),
    name,
    expiresAfterSeconds: atMost(
      'expiresAfterSeconds',
      atLeastOneSecond(
        'expiresAfterSeconds',
        positiveNumber('expiresAfterSeconds', options.expiresAfterSeconds ?? DEFAULT_EXPIRES_AFTER_SECONDS),
      ),
      MAX_EXPIRES_AFTER_SECONDS,
      'ten years',
    ),
    leaseSeconds:
      options.leaseSeconds === undefined
        ? undefined
        : atMost(
            'leaseSeconds',
            atLeastOneSecond('leaseSeconds', positiveNumber('leaseSeconds', options.leaseSeconds)),
            MAX_LEASE_SECONDS,
            '12 hours',
          ),
    durableExecutionTimeoutSeconds: atMost(
      'durableExecutionTimeoutSeconds',
      positiveNumber('durableExecutionTimeoutSeconds', options.durableExecutionTimeoutSeconds ?? DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS),
      MAX_DURABLE_EXECUTION_TIMEOUT_SECONDS,
      '366 days',
    ),
    localCacheMaxItems,
    onInProgress: oneOf('onInProgress', options.onInProgress ?? DEFAULT_ON_IN_PROGRESS, ['throw', 'wait'] as const),
    onMissingKey: oneOf('onMissingKey', options.onMissingKey ?? DEFAULT_ON_MISSING_KEY, ['throw', 'run'] as const),
    mode: oneOf('mode', options.mode ?? DEFAULT_MODE, ['lease', 'optimistic'] as const),
    maxResultBytes: storableResultBytes(store as IdempotencyStore, options.maxResultBytes),
    cacheErrors: optionalFunction('cacheErrors', options.cacheErrors),
    onReplay: optionalFunction('onReplay', options.onReplay as ((value: unknown, info: ReplayInfo) => unknown) | undefined),
    logger: options.logger ?? defaultLogger(),
    metrics: optionalFunction('metrics', options.metrics),
    clock: checkedClock(options.clock),
    clockSkewMs: atMost(
      'clockSkewMs',
      nonNegativeNumber('clockSkewMs', options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS),
      MAX_CLOCK_SKEW_MS,
      '5 minutes',
    ),
    completionRetrySeconds: atMost(
      'completionRetrySeconds',
      positiveNumber('completionRetrySeconds', options.completionRetrySeconds ?? DEFAULT_COMPLETION_RETRY_SECONDS),
      MAX_COMPLETION_RETRY_SECONDS,
      'one hour',
    ),
  };
  if (resolved.mode === 'optimistic' && resolved.onInProgress === 'wait') {
    throw new IdempotencyConfigError(
      "`onInProgress: 'wait'` does nothing with `mode: 'optimistic'` (an optimistic run claims nothing, so there is no holder to wait for): use mode 'lease', or leave onInProgress out",
    );
  }
  const logger = resolved.logger as unknown as Record<string, unknown>;
  if (['debug', 'info', 'warn', 'error'].some((method) => typeof logger[method] !== 'function')) {
    throw new IdempotencyConfigError(`Expected \`logger\` to have debug, info, warn and error methods, got ${describe(options.logger)}`);
  }
  return Object.freeze(resolved);
}

/**
 * `maxResultBytes`, within what the store declares it can write (`store.limits`) and never above
 * {@link MAX_RESULT_BYTES}: a larger setting would let the work run and then fail to store its result.
 */
function storableResultBytes(store: IdempotencyStore, option: unknown): number {
  const value = atMost('maxResultBytes', positiveInteger('maxResultBytes', option ?? DEFAULT_MAX_RESULT_BYTES), MAX_RESULT_BYTES, '64 MiB');
  const limits = storeLimits(store);
  const max = limits?.maxResultBytes;
  if (max !== undefined && value > max) {
    throw new IdempotencyConfigError(
      `Expected \`maxResultBytes\` to be at most ${max}, the largest result ${storeName(store)} can always write (a DynamoDB completion is one transaction of at most 4 MB, and a result that does not compress must fit), got ${value}. Return large payloads by reference (store them in S3, say) and keep maxResultBytes within the store's limit`,
    );
  }
  return value;
}

/** The store's declared limits, checked: each a positive whole number of bytes when given. */
export function storeLimits(store: IdempotencyStore): StoreLimits | undefined {
  const limits = store.limits as unknown;
  if (limits === undefined) return undefined;
  if (limits === null || typeof limits !== 'object') {
    throw new IdempotencyConfigError(`Expected \`store.limits\` to be an object of byte counts, got ${describe(limits)}`);
  }
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined) positiveInteger(`store.limits.${name}`, value);
  }
  return limits;
}

function storeName(store: IdempotencyStore): string {
  const name = (store as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 && name !== 'Object' ? name : 'the store';
}

export function positiveNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new IdempotencyConfigError(`Expected \`${option}\` to be a positive number, got ${describe(value)}`);
  }
  return value;
}

/** Leases and expiries are written in whole seconds and compared across clocks: below a second they mean nothing. */
function atLeastOneSecond(option: string, value: number): number {
  if (value < 1) throw new IdempotencyConfigError(`Expected \`${option}\` to be at least 1 (second), got ${describe(value)}`);
  return value;
}

function atMost(option: string, value: number, max: number, inWords: string): number {
  if (value > max) {
    throw new IdempotencyConfigError(`Expected \`${option}\` to be at most ${max} (${inWords}), got ${describe(value)}`);
  }
  return value;
}

/** The clock, asked once now: a clock that does not return epoch milliseconds would fail every call. */
function checkedClock(clock: (() => number) | undefined): () => number {
  const checked = optionalFunction('clock', clock);
  if (checked === undefined) return Date.now;
  const now: unknown = checked();
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0 || now > 8.64e15) {
    throw new IdempotencyConfigError(`Expected \`clock\` to return epoch milliseconds (a finite number), got ${describe(now)}`);
  }
  return checked;
}

export function nonNegativeNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new IdempotencyConfigError(`Expected \`${option}\` to be a number >= 0, got ${describe(value)}`);
  }
  return value;
}

export function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new IdempotencyConfigError(`Expected \`${option}\` to be a positive whole number, got ${describe(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new IdempotencyConfigError(
      `Expected \`${option}\` to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

export function optionalFunction<F extends (...args: never[]) => unknown>(option: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new IdempotencyConfigError(`Expected \`${option}\` to be a function, got ${describe(value)}`);
  }
  return value;
}

let sharedLogger: IdempotencyLogger | undefined;

/** The default logger, one for the whole process, created on first use. */
function defaultLogger(): IdempotencyLogger {
  sharedLogger ??= createDefaultLogger();
  return sharedLogger;
}
