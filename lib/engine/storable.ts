/** What may be stored as an outcome: the work's result, or an error `cacheErrors` says to keep. */
import { IdempotencyResultNotStorableError, IdempotencyResultTooLargeError, type IdempotencyError } from '../errors';
import type { ResolvedOptions } from '../options';
import { captureError, serialize, UnstorableValueError } from '../serialize';

/** The error a result that cannot be stored is reported with, given what became of the record (`what`). */
export type Unstorable = (what: string) => IdempotencyError;

/**
 * The result serialised for the store, with its size; or, when it cannot be serialised or is above
 * `maxResultBytes`, the error to report it with.
 */
export function storableResult(
  key: string,
  value: unknown,
  maxResultBytes: number,
): { readonly text: string; readonly bytes: number } | { readonly unstorable: Unstorable } {
  let text: string;
  try {
    text = serialize(value);
  } catch (error) {
    const path = error instanceof UnstorableValueError ? error.path : undefined;
    return {
      unstorable: (what) =>
        new IdempotencyResultNotStorableError(`The result of ${key} cannot be stored (${(error as Error).message}); ${what}`, {
          key,
          cause: error,
          ...(path === undefined ? {} : { path }),
        }),
    };
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxResultBytes) {
    return {
      unstorable: (what) =>
        new IdempotencyResultTooLargeError(
          `The result of ${key} is ${bytes} bytes serialised, above maxResultBytes (${maxResultBytes}); ${what}. Return less (store the payload elsewhere and return a reference) or raise maxResultBytes`,
          { key, bytes, maxBytes: maxResultBytes },
        ),
    };
  }
  return { text, bytes };
}

/** A result of `bytes` that the store refused for its size (nothing was written), as `refusal` says. */
export function refusedForSize(key: string, bytes: number, refusal: IdempotencyResultTooLargeError): Unstorable {
  return (what) =>
    new IdempotencyResultTooLargeError(
      `The result of ${key} (${bytes} bytes serialised) could not be stored: ${refusal.message}; ${what}`,
      {
        key,
        cause: refusal,
        bytes: refusal.bytes,
        maxBytes: refusal.maxBytes,
      },
    );
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
