/** What is stored as an outcome and how it comes back: cached errors, the library's own errors, step results given by hand. */
import { MAX_CHECKPOINT_BYTES } from '../defaults';
import { IdempotencyError, IdempotencyResultNotStorableError, IdempotencyResultTooLargeError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { IdempotencyStore } from '../persistence/store';
import { captureError, serialize, type StoredError } from '../serialize';

/**
 * The library's own errors kept as outcomes (a result that could not be stored) come back as instances of
 * their classes, marked `replayed: true`; other stored errors are revived by `reviveError`.
 */
export function reviveLibraryError(stored: StoredError | undefined): Error | undefined {
  const p = stored?.properties ?? {};
  const key = typeof p['key'] === 'string' ? p['key'] : undefined;
  let error: IdempotencyError | undefined;
  if (stored?.name === 'IdempotencyResultTooLargeError') {
    error = new IdempotencyResultTooLargeError(stored.message, { key, bytes: Number(p['bytes']), maxBytes: Number(p['maxBytes']) });
  } else if (stored?.name === 'IdempotencyResultNotStorableError') {
    error = new IdempotencyResultNotStorableError(stored.message, { key, ...(typeof p['path'] === 'string' ? { path: p['path'] } : {}) });
  }
  return error === undefined ? undefined : Object.assign(error, { replayed: true });
}

/** A result given by hand for a step (`completeStep`), serialised; refused before anything is written. */
export function storableStepResult(key: string, step: string, value: unknown): string {
  let text: string;
  try {
    text = serialize(value);
  } catch (error) {
    throw new IdempotencyResultNotStorableError(
      `The result given for step "${step}" cannot be stored (${(error as Error).message}); nothing was written`,
      {
        key,
        cause: error,
      },
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CHECKPOINT_BYTES) {
    throw new IdempotencyResultTooLargeError(
      `The result given for step "${step}" is ${bytes} bytes, above the ${MAX_CHECKPOINT_BYTES} a record holds; nothing was written`,
      {
        key,
        bytes,
        maxBytes: MAX_CHECKPOINT_BYTES,
      },
    );
  }
  return text;
}

/**
 * The error as it is stored, when `cacheErrors` says to cache it and it can be stored; otherwise
 * `undefined` (logged), and the caller releases the lease: the caller always gets its own error.
 */
export function cacheableError(o: ResolvedOptions<never>, key: string, error: unknown): string | undefined {
  if (o.cacheErrors === undefined) return undefined;
  let cache: boolean;
  try {
    cache = o.cacheErrors(error) === true;
  } catch (predicateError) {
    o.logger.warn(`cacheErrors threw for ${key}; the error is not cached and the lease is released`, predicateError);
    return undefined;
  }
  if (!cache) return undefined;
  let text: string;
  try {
    text = serialize(captureError(error));
  } catch (serialiseError) {
    o.logger.warn(`The error of ${key} cannot be stored, so it is not cached; the lease is released`, serialiseError);
    return undefined;
  }
  if (Buffer.byteLength(text) > o.maxResultBytes) {
    o.logger.warn(`The error of ${key} is above maxResultBytes (${o.maxResultBytes}), so it is not cached; the lease is released`);
    return undefined;
  }
  return text;
}

/** Bytes of step results one record holds: the library's budget, or less when the store says so. */
export function checkpointBudget(store: IdempotencyStore): number {
  return Math.min(MAX_CHECKPOINT_BYTES, store.limits?.maxCheckpointBytes ?? MAX_CHECKPOINT_BYTES);
}
