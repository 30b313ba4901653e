/**
 * Telling a version guard's failure from the caller's own condition, from the item a failed condition
 * returns. Small and free of the document client, so that the store can use it for `commitWith` without
 * pulling the guarded-write helpers into every bundle.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import { IdempotencyVersionError } from '../errors';
import { VERSION_NAME, VERSION_VALUE } from './expression';
import { compareNumberText, isNumberText } from './version';

/** The write was skipped because the item already carries this version or a newer one. Nothing was written. */
export interface GuardedWriteSkipped {
  readonly applied: false;
  /** `duplicate`: the stored version equals this write's; `stale`: the stored version is newer. */
  readonly reason: 'duplicate' | 'stale';
  /** The stored version, as DynamoDB returned its Number text (exact, never a float). */
  readonly currentVersion: string;
}

/**
 * Reads the stored version from the item a failed condition returned (low-level AttributeValues) and decides
 * whether the guard failed. Returns the skip outcome when the stored version is the same or newer, and
 * `undefined` when the guard passed (no item, no version, an older version): then the caller's own condition
 * is what failed.
 *
 * @throws IdempotencyVersionError when the stored version attribute is not a Number (the guard can never pass).
 */
export function guardFailure(
  versionAttribute: string,
  version: string,
  item: Record<string, AttributeValue> | undefined,
): GuardedWriteSkipped | undefined {
  const stored = item?.[versionAttribute];
  if (stored === undefined) return undefined;
  if (stored.N === undefined || !isNumberText(stored.N)) {
    throw new IdempotencyVersionError(
      `The item's version attribute ${JSON.stringify(versionAttribute)} holds ${JSON.stringify(stored)}, not a Number; ` +
        'a version guard compares Numbers, so no write can pass it: remove or convert the attribute, or use another `versionAttribute`',
      { value: stored },
    );
  }
  const order = compareNumberText(stored.N, version);
  if (order < 0) return undefined;
  return { applied: false, reason: order === 0 ? 'duplicate' : 'stale', currentVersion: stored.N };
}

/**
 * For a `TransactItems` entry built by {@link newerThan} whose condition failed in a transaction, decides
 * from the cancellation reason's `Item` (low-level AttributeValues, returned because the entry asks for
 * `ALL_OLD`) whether the version guard failed. Returns `undefined` for an entry not built by `newerThan`, or
 * when the guard passed (so the caller's own condition failed). For `commitWith`.
 *
 * @throws IdempotencyVersionError when the stored version attribute is not a Number.
 */
export function transactGuardFailure(entry: unknown, item: Record<string, AttributeValue> | undefined): GuardedWriteSkipped | undefined {
  const update = (entry as { Update?: { ExpressionAttributeNames?: unknown; ExpressionAttributeValues?: unknown } } | null)?.Update;
  const attribute = (update?.ExpressionAttributeNames as Record<string, unknown> | undefined)?.[VERSION_NAME];
  const version = (update?.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[VERSION_VALUE];
  if (typeof attribute !== 'string' || !(version instanceof NumberValue)) return undefined;
  return guardFailure(attribute, version.toString(), item);
}
