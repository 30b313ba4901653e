/**
 * Validation shared by the batch processors: their options are the idempotency options (all optional, since
 * a batch may be processed without a store) plus options of their own, declared as one set and resolved once.
 */
import { IDEMPOTENCY_SPEC, checkIdempotencyValues, type IdempotencySpec } from '../config/idempotency';
import { withMethods } from '../config/checks';
import { defineOptions, type Check, type OptionEntry, type OptionSet, type OptionSpec, type Resolved } from '../config/spec';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import type { IdempotencyStore } from '../persistence/store';

/** The idempotency options as a batch processor takes them: `store` optional (no store, no idempotency). */
export type BatchIdempotencySpec = Omit<IdempotencySpec, 'store'> & { readonly store: OptionEntry<IdempotencyStore> };

/** A batch processor's option set: the idempotency options, then (overriding any of the same name) its own. */
export function defineBatchOptions<B extends OptionSpec>(caller: string, own: B): OptionSet<Omit<BatchIdempotencySpec, keyof B> & B> {
  const { store, ...idempotency } = IDEMPOTENCY_SPEC;
  const optionalStore: OptionEntry<IdempotencyStore> = { check: store.check, doc: store.doc };
  return defineOptions(caller, { store: optionalStore, ...idempotency, ...own }, IdempotencyConfigError);
}

/** Idempotency options that mean something without a store. */
const WITHOUT_STORE: ReadonlySet<string> = new Set(['store', 'logger']);

/**
 * Validates a batch processor's options once: every option checked by the set (unknown names refused), the
 * idempotency options' relations and the store's limits checked, and, without a `store`, every idempotency
 * option refused (it would silently do nothing).
 */
export function resolveBatchOptions<S extends OptionSpec>(options: unknown, set: OptionSet<S>): Resolved<S> {
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected ${set.set}'s options to be an object, got ${describe(options)}`);
  }
  const values = set.resolve(options);
  const given = options as Record<string, unknown>;
  if (given.store === undefined) {
    const idempotencyOnly = Object.keys(given).filter(
      (name) => name in IDEMPOTENCY_SPEC && !WITHOUT_STORE.has(name) && given[name] !== undefined,
    );
    if (idempotencyOnly.length > 0) {
      throw new IdempotencyConfigError(
        `Option \`${idempotencyOnly[0]}\` is an idempotency option and needs \`store\`: pass a store (a DynamoDBStore) or remove ${idempotencyOnly
          .map((name) => `\`${name}\``)
          .join(', ')}`,
      );
    }
  }
  checkIdempotencyValues(values as unknown as Parameters<typeof checkIdempotencyValues>[0]);
  return values;
}

/** The `context` option's check: the Lambda context, with `getRemainingTimeInMillis()`. */
export const lambdaContext: Check<{ getRemainingTimeInMillis(): number }> = withMethods(
  ['getRemainingTimeInMillis'],
  'to be the Lambda context (with getRemainingTimeInMillis)',
);

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
