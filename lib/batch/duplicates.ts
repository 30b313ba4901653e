/**
 * Two records of one batch with the same idempotency key run once. In lease mode the second record's claim
 * meets the first's completed record and replays it. In optimistic mode nothing is claimed before the work
 * runs, so the engine would run the second as well: the batch processors acknowledge it themselves, with the
 * same fingerprint check the engine makes on a replay.
 */
import type { IdempotencyEngine } from '../engine';
import { IdempotencyPayloadMismatchError } from '../errors';
import { hashValue } from '../keys';

/**
 * Whether a record of `engine` whose key a record earlier in the batch completed must be acknowledged by the
 * processor (optimistic mode) rather than handed to the engine (lease mode, which replays it).
 */
export function acknowledgesDuplicates(engine: { readonly options: { readonly mode: 'lease' | 'optimistic' } }): boolean {
  return engine.options.mode === 'optimistic';
}

/**
 * The fingerprint the engine compares on a replay (the hash of the `fingerprint` selector's value), or
 * `undefined` without a `fingerprint` option. Taken before the handler runs, as the engine takes it, so a
 * handler that mutates its input cannot change it. Throws whatever the selector throws.
 */
export function fingerprintOf<TArgs extends unknown[]>(engine: IdempotencyEngine<TArgs, unknown>, args: TArgs): string | undefined {
  const select = engine.options.selectFingerprint;
  return select === undefined ? undefined : hashValue(select(args));
}

/**
 * The error the engine raises for a duplicate whose fingerprint differs from the completed record's, or
 * `undefined` when they agree (or there is no fingerprint).
 */
export function fingerprintMismatch(
  key: string,
  completed: string | undefined,
  duplicate: string | undefined,
): IdempotencyPayloadMismatchError | undefined {
  if (completed === undefined || duplicate === undefined || completed === duplicate) return undefined;
  return new IdempotencyPayloadMismatchError(
    `Idempotency key ${key} was used before with a different payload (the fingerprint differs); use a new key for a different request`,
    { key },
  );
}
