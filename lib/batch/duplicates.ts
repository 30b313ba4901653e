/**
 * Two records of one batch with the same idempotency key run once. In lease mode the second record's claim
 * meets the first's completed record and replays it. In optimistic mode nothing is claimed before the work
 * runs, so the engine would run the second as well: the batch runtime acknowledges it itself, with the
 * same fingerprint check the engine makes on a replay.
 */
import { checkFingerprint, type IdempotencyEngine } from '../engine';
import { IdempotencyPayloadMismatchError } from '../errors';

/**
 * Whether a record of `engine` whose key a record earlier in the batch completed must be acknowledged by the
 * processor (optimistic mode) rather than handed to the engine (lease mode, which replays it).
 */
export function acknowledgesDuplicates(engine: { readonly options: { readonly mode: 'lease' | 'optimistic' } }): boolean {
  return engine.options.mode === 'optimistic';
}

/**
 * The fingerprint the engine compares on a replay, taken before the handler runs, as the engine takes it, so
 * a handler that mutates its input cannot change it.
 */
export function fingerprintOf<TArgs extends unknown[]>(engine: IdempotencyEngine<TArgs, unknown>, args: TArgs): string | undefined {
  return engine.fingerprintOf(args);
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
  try {
    checkFingerprint(key, completed, duplicate);
    return undefined;
  } catch (error) {
    return error as IdempotencyPayloadMismatchError;
  }
}
