/**
 * The idempotency options (of `makeIdempotent`, `idempotencyMiddleware`, `@idempotent`, and inside every
 * adapter's options), declared once, and their resolution into what the engine reads.
 */
import {
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_COMPLETION_RETRY_SECONDS,
  DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS,
  DEFAULT_EXPIRES_AFTER_SECONDS,
  DEFAULT_LOCAL_CACHE_MAX_ITEMS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MODE,
  DEFAULT_ON_IN_PROGRESS,
  DEFAULT_ON_MISSING_KEY,
  MAX_CLOCK_SKEW_MS,
  MAX_COMPLETION_RETRY_SECONDS,
  MAX_DURABLE_EXECUTION_TIMEOUT_SECONDS,
  MAX_EXPIRES_AFTER_SECONDS,
  MAX_LEASE_SECONDS,
  MAX_LOCAL_CACHE_ITEMS,
  MAX_NAME_BYTES,
  MAX_RESULT_BYTES,
} from '../defaults';
import { IdempotencyConfigError } from '../errors';
import { sharedDefaultLogger, type IdempotencyLogger } from '../logger';
import { describe } from '../describe';
import { compileSelector, type Selector } from '../selectors/compile';
import type { IdempotencyMetricsSink } from '../metrics/types';
import type { IdempotencyOptions, ReplayInfo, ResolvedOptions } from '../options';
import type { IdempotencyStore, StoreLimits } from '../persistence/store';
import { atMost, fn, nonNegativeNumber, oneOf, positiveInteger, positiveNumber, seconds, withMethods } from './checks';
import { atPath, defineOptions, type At, type Check, type OptionSet, type Resolved, type SameKeys } from './spec';

const STORE_METHODS = ['claim', 'takeOver', 'checkpoint', 'extendLease', 'complete', 'putCompleted', 'release', 'get'];

/** A `key` or `fingerprint`: a function of the arguments, or JMESPath on the first (compiled now). */
function selector(value: unknown, at: At): (args: unknown[]) => unknown {
  return compileSelector<unknown[]>(at.path, value as Selector<unknown[]>);
}

/** An operation name: non-empty, no control character, and short enough for a DynamoDB partition key. */
const operationName: Check<string> = (value: unknown, at: At) => {
  if (typeof value !== 'string' || value.length === 0) at.refuse('to be a non-empty string', value);
  // A control character (NUL above all) in a key is invisible in logs and consoles, and cut short by C tools.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    at.refuse('to hold no control character', value, `(U+${code} at index ${control.index})`);
  }
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_NAME_BYTES) {
    throw new IdempotencyConfigError(
      `Expected \`${at.path}\` to be at most ${MAX_NAME_BYTES} bytes (record keys must fit DynamoDB's 2048-byte partition key), got ${bytes} bytes`,
    );
  }
  return value;
};

/** The clock, asked once now: a clock that does not return epoch milliseconds would fail every call. */
const clock: Check<() => number> = (value: unknown, at: At) => {
  const checked = fn<() => number>()(value, at);
  const now: unknown = checked();
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0 || now > 8.64e15) {
    at.refuse('to return epoch milliseconds (a finite number)', now);
  }
  return checked;
};

const LOCAL_CACHE = defineOptions(
  'localCache',
  {
    maxItems: {
      check: atMost(positiveInteger, MAX_LOCAL_CACHE_ITEMS, 'each item holds a result of up to maxResultBytes in memory'),
      default: DEFAULT_LOCAL_CACHE_MAX_ITEMS,
      doc: 'most results the cache holds',
    },
  },
  IdempotencyConfigError,
);

const localCache: Check<false | Resolved<typeof LOCAL_CACHE.spec>> = (value: unknown, at: At) => {
  if (value === false) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) at.refuse('to be false or { maxItems }', value);
  return LOCAL_CACHE.resolve(value, at.path);
};

/** The idempotency options, declared once: the entries' order is the order they are checked in. */
export const IDEMPOTENCY_SPEC = {
  store: {
    check: withMethods<IdempotencyStore>(STORE_METHODS, 'to be an IdempotencyStore (a DynamoDBStore, an InMemoryStore or your own)'),
    required: true,
    doc: 'a `DynamoDBStore`, an `InMemoryStore` or your own `IdempotencyStore`',
  },
  key: { check: selector, doc: 'function of the arguments, or JMESPath on the first argument' },
  name: { check: operationName, doc: 'namespace of the keys' },
  expiresAfterSeconds: {
    check: seconds(MAX_EXPIRES_AFTER_SECONDS, 'ten years'),
    default: DEFAULT_EXPIRES_AFTER_SECONDS,
    doc: 'how long a completed result is kept and replayed',
  },
  leaseSeconds: { check: seconds(MAX_LEASE_SECONDS, '12 hours'), doc: 'how long a claim blocks duplicates' },
  durableExecutionTimeoutSeconds: {
    check: atMost(positiveNumber, MAX_DURABLE_EXECUTION_TIMEOUT_SECONDS, '366 days'),
    default: DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS,
    doc: 'how long a durable execution owns its record',
  },
  fingerprint: { check: selector, doc: 'payload fields that must match on a replay' },
  localCache: { check: localCache, default: false, doc: 'in-memory LRU of completed results' },
  onInProgress: { check: oneOf(['throw', 'wait']), default: DEFAULT_ON_IN_PROGRESS, doc: 'what a duplicate does while the first runs' },
  onMissingKey: { check: oneOf(['throw', 'run']), default: DEFAULT_ON_MISSING_KEY, doc: 'what happens without a key' },
  mode: { check: oneOf(['lease', 'optimistic']), default: DEFAULT_MODE, doc: 'claim first, or run first and write once' },
  maxResultBytes: {
    check: atMost(positiveInteger, MAX_RESULT_BYTES, '64 MiB'),
    default: DEFAULT_MAX_RESULT_BYTES,
    doc: 'largest serialised result stored',
  },
  cacheErrors: { check: fn<(error: unknown) => boolean>(), doc: 'errors stored and rethrown on replays' },
  onReplay: { check: fn<(value: unknown, info: ReplayInfo) => unknown>(), doc: 'transforms a replayed result' },
  logger: {
    check: withMethods<IdempotencyLogger>(['debug', 'info', 'warn', 'error'], 'to have debug, info, warn and error methods'),
    doc: 'where the library logs',
  },
  metrics: { check: fn<IdempotencyMetricsSink>(), doc: "a sink for the engine's metrics" },
  // No default here: `Date.now` is read when the options are resolved (a test may have replaced it since this module loaded).
  clock: { check: clock, doc: 'the clock, in epoch milliseconds' },
  clockSkewMs: {
    check: atMost(nonNegativeNumber, MAX_CLOCK_SKEW_MS, '5 minutes'),
    default: DEFAULT_CLOCK_SKEW_MS,
    doc: "how far apart invokers' clocks may be",
  },
  completionRetrySeconds: {
    check: atMost(positiveNumber, MAX_COMPLETION_RETRY_SECONDS, 'one hour'),
    default: DEFAULT_COMPLETION_RETRY_SECONDS,
    doc: 'without a Lambda context: how long transient store failures are retried',
  },
} as const;
const _sameKeys: SameKeys<IdempotencyOptions, typeof IDEMPOTENCY_SPEC> = true;

export type IdempotencySpec = typeof IDEMPOTENCY_SPEC;
/** The idempotency options validated, before an operation name and its key selector are chosen. */
export type ResolvedIdempotencyValues = Resolved<IdempotencySpec>;

/** The names of {@link IdempotencyOptions}, in declaration order. */
export const IDEMPOTENCY_OPTION_NAMES = /* @__PURE__ */ Object.freeze(Object.keys(IDEMPOTENCY_SPEC));

const SETS = new Map<string, OptionSet<IdempotencySpec>>();

/** The idempotency options as the set of `caller` (for messages). */
export function idempotencySet(caller: string): OptionSet<IdempotencySpec> {
  let set = SETS.get(caller);
  if (set === undefined) {
    set = defineOptions(caller, IDEMPOTENCY_SPEC, IdempotencyConfigError);
    SETS.set(caller, set);
  }
  return set;
}

/**
 * The checks that relate two options, and the store's own limits: run once the values are checked one by one.
 * Without a store (a batch processed without idempotency) only the store-free ones apply.
 */
export function checkIdempotencyValues(values: ResolvedIdempotencyValues | Omit<ResolvedIdempotencyValues, 'store'>): void {
  if (values.mode === 'optimistic' && values.onInProgress === 'wait') {
    throw new IdempotencyConfigError(
      "`onInProgress: 'wait'` does nothing with `mode: 'optimistic'` (an optimistic run claims nothing, so there is no holder to wait for): use mode 'lease', or leave onInProgress out",
    );
  }
  const store = (values as { store?: IdempotencyStore }).store;
  if (store === undefined) return;
  const max = storeLimits(store)?.maxResultBytes;
  if (max !== undefined && values.maxResultBytes > max) {
    throw new IdempotencyConfigError(
      `Expected \`maxResultBytes\` to be at most ${max}, the largest result ${storeName(store)} can always write (a DynamoDB completion is one transaction of at most 4 MB, and a result that does not compress must fit), got ${values.maxResultBytes}. Return large payloads by reference (store them in S3, say) and keep maxResultBytes within the store's limit`,
    );
  }
}

/**
 * What the engine reads, from validated values: the operation's name (`defaultName` when none was given,
 * checked alike) and its key selector (`selectKey` when an adapter derives its own).
 */
export function engineOptions<TArgs extends unknown[]>(
  values: ResolvedIdempotencyValues,
  defaultName: string,
  selectKey?: (args: TArgs) => unknown,
): ResolvedOptions<TArgs> {
  const { key, fingerprint, localCache: cache, logger, ...rest } = values;
  return Object.freeze({
    ...rest,
    name: values.name ?? operationName(defaultName, atPath('name', IdempotencyConfigError)),
    selectKey: selectKey ?? key ?? compileSelector<TArgs>('key', undefined),
    selectFingerprint: fingerprint,
    localCacheMaxItems: cache === false ? 0 : cache.maxItems,
    onReplay: values.onReplay,
    logger: logger ?? sharedDefaultLogger(),
    clock: values.clock ?? Date.now,
  });
}

/**
 * Validates options once, at wrap time, and freezes the result. Every message names the option and the
 * value received.
 * @param caller the function the options are given to, for messages
 */
export function resolveOptions<TArgs extends unknown[]>(options: unknown, defaultName: string, caller: string): ResolvedOptions<TArgs> {
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected options to be an object with at least \`store\`, got ${describe(options)}`);
  }
  const values = idempotencySet(caller).resolve(options);
  checkIdempotencyValues(values);
  return engineOptions<TArgs>(values, defaultName);
}

/** The store's declared limits, checked: each a positive whole number of bytes when given. */
export function storeLimits(store: IdempotencyStore): StoreLimits | undefined {
  const limits = store.limits as unknown;
  if (limits === undefined) return undefined;
  const at = atPath('store.limits', IdempotencyConfigError);
  if (limits === null || typeof limits !== 'object') return at.refuse('to be an object of byte counts', limits);
  for (const [name, value] of Object.entries(limits as Record<string, unknown>)) {
    if (value !== undefined) positiveInteger(value, at.at(name));
  }
  return limits;
}

function storeName(store: IdempotencyStore): string {
  const name = (store as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 && name !== 'Object' ? name : 'the store';
}
