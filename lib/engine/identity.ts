/**
 * What identifies an invocation: its record key and its payload fingerprint, each the hash of what a selector
 * of the options selects from the arguments. Whatever goes wrong (the selector throws, the value cannot
 * identify anything) is an `IdempotencyKeyError`: a key that cannot identify an event must never send
 * different events to one record.
 */
import { IdempotencyKeyError, IdempotencyPayloadMismatchError } from '../errors';
import { hashValue } from '../keys/hash';
import { isMissingKey, UnidentifiableValueError } from '../keys/canonical';
import type { ResolvedOptions } from '../options';

/** The record key for `args` (`<name>#<hash>`), or `undefined` when the key selector finds no key. */
export function recordKeyOf<TArgs extends unknown[]>(o: ResolvedOptions<TArgs>, args: TArgs): string | undefined {
  let missing = false;
  const hash = hashSelected(
    o.name,
    'key',
    () => {
      const value = o.selectKey(args);
      missing = isMissingKey(value);
      return value;
    },
    () => missing,
  );
  return hash === undefined ? undefined : `${o.name}#${hash}`;
}

/** The hash of the `fingerprint` selector's value for `args`, or `undefined` without that option. */
export function fingerprintHashOf<TArgs extends unknown[]>(o: ResolvedOptions<TArgs>, args: TArgs): string | undefined {
  const select = o.selectFingerprint;
  return select === undefined ? undefined : hashSelected(o.name, 'fingerprint', () => select(args));
}

/** The hash of what a selector selects, or `undefined` when `skip` says the value is missing. */
function hashSelected(
  name: string,
  what: 'key' | 'fingerprint',
  select: () => unknown,
  skip: () => boolean = () => false,
): string | undefined {
  let value: unknown;
  try {
    value = select();
  } catch (error) {
    throw new IdempotencyKeyError(
      `The \`${what}\` selector of ${name} failed on this input (${(error as Error)?.message ?? String(error)}); fix the selector or the event`,
      { cause: error },
    );
  }
  if (skip()) return undefined;
  try {
    return hashValue(value);
  } catch (error) {
    // Whatever reading the value throws (a getter, toJSON, a stack overflow) is the key's failure.
    const detail =
      error instanceof UnidentifiableValueError ? error.message : `reading it threw ${(error as Error)?.message ?? String(error)}`;
    throw new IdempotencyKeyError(
      `The \`${what}\` of ${name} cannot identify an event: ${detail}. Select a field with an identity (a string, a number, an object of those), or give the class a toJSON()`,
      { cause: error },
    );
  }
}

/** Refuses a replay whose payload differs from the one stored under the key (both fingerprints known). */
export function checkFingerprint(key: string, stored: string | undefined, current: string | undefined): void {
  if (stored !== undefined && current !== undefined && stored !== current) {
    throw new IdempotencyPayloadMismatchError(
      `Idempotency key ${key} was used before with a different payload (the fingerprint differs); use a new key for a different request`,
      { key },
    );
  }
}

/** How a missing key is named in messages: what the key selector returned. */
export function describeMissing(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return 'an empty string';
  return Array.isArray(value) ? 'an array of missing values' : 'an empty value';
}
