/**
 * Validation shared by the batch processors: their options are the idempotency options (all optional, since
 * a batch may be processed without a store) plus options of their own.
 */
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { resolveOptions, type IdempotencyOptions, type ResolvedOptions } from '../options';
import type { IdempotencyStore } from '../persistence/store';

/** A stand-in that passes `resolveOptions`' store check, so options without a store are validated alike. */
const VALIDATION_ONLY_STORE: IdempotencyStore = /* @__PURE__ */ new Proxy({} as IdempotencyStore, {
  get: (_target, property) =>
    typeof property === 'string' && property !== 'limits'
      ? () => {
          throw new Error(`a batch processor without a store called ${property}: this is a bug`);
        }
      : undefined,
});

/**
 * Validates a batch processor's options: the idempotency options through the engine's own resolver (unknown
 * names refused there, `batchOptions` allowed), and, without a `store`, refuses every idempotency option
 * (it would silently do nothing). Returns the resolved idempotency options (for the logger).
 * @param caller the processor's name, for messages
 * @param batchOptions the processor's own option names (validated by the processor)
 */
export function resolveBatchOptions<TArgs extends unknown[]>(
  options: unknown,
  caller: string,
  batchOptions: readonly string[],
): ResolvedOptions<TArgs> {
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected ${caller}'s options to be an object, got ${describe(options)}`);
  }
  const given = options as IdempotencyOptions<TArgs> & Record<string, unknown>;
  const store = given.store as unknown;
  const resolved = resolveOptions(store === undefined ? { ...given, store: VALIDATION_ONLY_STORE } : given, 'validation', batchOptions);
  if (store === undefined) {
    const withoutStore = new Set([...batchOptions, 'store', 'logger']);
    const idempotencyOnly = Object.keys(given).filter((name) => !withoutStore.has(name) && given[name] !== undefined);
    if (idempotencyOnly.length > 0) {
      throw new IdempotencyConfigError(
        `Option \`${idempotencyOnly[0]}\` is an idempotency option and needs \`store\`: pass a store (a DynamoDBStore) or remove ${idempotencyOnly
          .map((name) => `\`${name}\``)
          .join(', ')}`,
      );
    }
  }
  return resolved;
}

/**
 * Checks the Lambda context given as the `context` option: `undefined`, or an object with
 * `getRemainingTimeInMillis()`. Read per call (it changes with every invocation). Returns it as given.
 */
export function checkContext<TContext>(context: TContext): TContext {
  if (context === undefined) return context;
  if (
    context === null ||
    typeof context !== 'object' ||
    typeof (context as { getRemainingTimeInMillis?: unknown }).getRemainingTimeInMillis !== 'function'
  ) {
    throw new IdempotencyConfigError(
      `Expected \`context\` to be the Lambda context (with getRemainingTimeInMillis), got ${describe(context)}`,
    );
  }
  return context;
}
