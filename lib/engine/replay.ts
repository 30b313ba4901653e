/** How a stored outcome comes back: a stored value (through `onReplay`), or a stored error thrown again. */
import { IdempotencyError, IdempotencyResultNotStorableError, IdempotencyResultTooLargeError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { OutcomeKind } from '../persistence/store';
import { deserialize, reviveError, type StoredError } from '../serialize';

/**
 * Returns a stored value (through the `onReplay` option, if any), or throws a stored error marked
 * `replayed: true`. The caller counts the replay.
 */
export function replayOutcome<TResult>(o: ResolvedOptions<never>, key: string, outcome: OutcomeKind, result: string | undefined): TResult {
  const value = result === undefined ? undefined : deserialize(result);
  if (outcome === 'error') throw reviveLibraryError(value as StoredError) ?? reviveError(value as StoredError);
  o.logger.debug(`Replaying the stored result of ${key}`);
  const onReplay = o.onReplay;
  return (onReplay ? onReplay(value, { key }) : value) as TResult;
}

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
