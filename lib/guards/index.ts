/**
 * `effectively-once/guards`: version-guarded writes: apply an update only when it carries a newer version than the item holds.
 *
 * At-least-once delivery and retries bring the same write twice and sometimes out of order. A version that
 * only grows (an SQS FIFO `SequenceNumber`, a counter, an event timestamp) makes a write safe to repeat:
 * one conditional UpdateItem applies the caller's update and records the version, only when the item has
 * no version yet or an older one. A duplicate or stale write is skipped without an exception.
 *
 * ```ts
 * const outcome = await applyIfNewer(client, {
 *   TableName: 'accounts',
 *   Key: { id: accountId },
 *   version: record.attributes.SequenceNumber, // a 20-digit decimal string, compared numerically
 *   UpdateExpression: 'SET balance = :balance',
 *   ExpressionAttributeValues: { ':balance': balance },
 * });
 * if (!outcome.applied) logger.info(`skipped a ${outcome.reason} write; the item is at ${outcome.currentVersion}`);
 * ```
 * @module effectively-once/guards
 */
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { NumberValue, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  marshall,
  unmarshall,
  type NativeAttributeValue,
  type marshallOptions as MarshallOptions,
  type unmarshallOptions as UnmarshallOptions,
} from '@aws-sdk/util-dynamodb';
import { IdempotencyConditionError, IdempotencyConfigError } from '../errors';
import { VERSION_VALUE } from './expression';
import { buildGuardedUpdate, type GuardReturnValues, type GuardedUpdate } from './input';
import { guardFailure, type GuardedWriteSkipped } from './failure';
import { type GuardVersion } from './version';

export type { GuardReturnValues, GuardVersion, GuardedWriteSkipped };
export { IdempotencyVersionError, IdempotencyConditionError } from '../errors';

/**
 * Input of {@link newerThan}, and of {@link applyIfNewer} apart from `ReturnValues`. Names and meaning follow
 * DynamoDB's UpdateItem; every attribute value is a plain JavaScript value (as with lib-dynamodb's
 * DocumentClient), whichever client is used.
 */
export interface VersionGuardInput {
  /** The table to write to. */
  readonly TableName: string;
  /** The key of the item, as plain JavaScript values (`{ id: 'order-1' }`). The item need not exist. */
  readonly Key: Record<string, NativeAttributeValue>;
  /**
   * The version this write carries; it is applied only when the stored version is absent or numerically
   * smaller. An integer given as a safe-integer `number`, a `bigint`, a `Date` (its epoch milliseconds) or a
   * decimal integer string of at most 38 digits (an SQS FIFO `SequenceNumber` as it arrives). All four are
   * stored as the same DynamoDB Number, so they compare with each other numerically.
   */
  readonly version: GuardVersion;
  /**
   * The top-level attribute that holds the version (a name, not a path: dots are part of the name). It must
   * not be a key attribute, and the caller's expressions must not write it.
   * @default 'version'
   */
  readonly versionAttribute?: string;
  /**
   * The caller's update, with any of the SET, REMOVE, ADD and DELETE clauses in any order; the guard adds
   * `#eoVersion = :eoVersion` to its SET clause (or adds a SET clause).
   * @default - no update of its own: only the version attribute is written (the item is created if absent)
   */
  readonly UpdateExpression?: string;
  /**
   * The caller's own condition, combined with the guard as `(guard) AND (condition)`. When it fails while the
   * guard passes, {@link applyIfNewer} throws {@link IdempotencyConditionError}; a stale or duplicate version
   * wins over a failed condition and resolves to `{ applied: false }`.
   * @default - no condition besides the version guard
   */
  readonly ConditionExpression?: string;
  /**
   * Placeholders of attribute names used in the expressions. `#eoVersion` is reserved.
   * @default - none
   */
  readonly ExpressionAttributeNames?: Record<string, string>;
  /**
   * Placeholders of values used in the expressions, as plain JavaScript values (`NumberValue` for numbers
   * beyond 2^53). `:eoVersion` is reserved.
   * @default - none
   */
  readonly ExpressionAttributeValues?: Record<string, NativeAttributeValue>;
}

/** Input of {@link applyIfNewer}. */
export interface ApplyIfNewerInput extends VersionGuardInput {
  /**
   * Item attributes to return when the write is applied, as UpdateItem's `ReturnValues`; they come back in
   * `attributes` as plain JavaScript values.
   * @default 'NONE' - nothing is returned
   */
  readonly ReturnValues?: GuardReturnValues;
}

/** The write was applied: the item now carries the new version. */
export interface GuardedWriteApplied {
  readonly applied: true;
  /** The attributes asked for with `ReturnValues`, as plain JavaScript values; absent when none were asked. */
  readonly attributes?: Record<string, NativeAttributeValue>;
}

/** Outcome of {@link applyIfNewer}. */
export type ApplyIfNewerResult = GuardedWriteApplied | GuardedWriteSkipped;

/** The `Update` of a {@link newerThan} entry: lib-dynamodb's transaction update, every field set. */
export type GuardedTransactUpdate = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']> & {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, NativeAttributeValue>;
  readonly ReturnValuesOnConditionCheckFailure: 'ALL_OLD';
};

/** A `TransactItems` entry of lib-dynamodb's `TransactWriteCommand` (and of `commitWith`). */
export interface GuardedTransactItem {
  readonly Update: GuardedTransactUpdate;
}

/** A client of either kind: both send the low-level UpdateItemCommand (a DocumentClient shares its stack). */
type GuardClient = DynamoDBClient | DynamoDBDocumentClient;

interface UpdateItemSender {
  send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
  readonly config?: {
    readonly translateConfig?: { readonly marshallOptions?: MarshallOptions; readonly unmarshallOptions?: UnmarshallOptions };
  };
}

function asSender(client: unknown, caller: string): UpdateItemSender {
  if (typeof client !== 'object' || client === null || typeof (client as { send?: unknown }).send !== 'function') {
    throw new IdempotencyConfigError(
      `Expected the client given to ${caller} to be a DynamoDBClient or a DynamoDBDocumentClient, got ${
        client === null ? 'null' : typeof client
      }`,
    );
  }
  return client as UpdateItemSender;
}

function marshallEntry(
  entry: string,
  value: Record<string, NativeAttributeValue>,
  options: MarshallOptions,
): Record<string, AttributeValue> {
  try {
    return marshall(value, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new IdempotencyConfigError(`\`${entry}\` could not be converted to DynamoDB attribute values: ${reason}`, { cause: error });
  }
}

function toNative(item: Record<string, AttributeValue>, options: UnmarshallOptions | undefined): Record<string, NativeAttributeValue> {
  try {
    return unmarshall(item, options);
  } catch {
    // A Number neither a safe integer nor a BigInt (1e40, 0.5 beyond 2^53): keep its exact text.
    return unmarshall(item, { ...options, wrapNumbers: true });
  }
}

function conditionError(
  update: GuardedUpdate,
  item: Record<string, AttributeValue> | undefined,
  unmarshallOptions: UnmarshallOptions | undefined,
): IdempotencyConditionError {
  const stored = item?.[update.versionAttribute]?.N;
  const state =
    item === undefined
      ? 'the item does not exist'
      : stored === undefined
        ? `the item has no ${JSON.stringify(update.versionAttribute)} yet`
        : `the stored version ${stored} is older than ${update.versionText}`;
  return new IdempotencyConditionError(
    `The ConditionExpression of the version-guarded write to ${JSON.stringify(update.tableName)} failed while the ` +
      `version guard passed (${state}), so nothing was written: ${update.conditionExpression}`,
    { tableName: update.tableName, item: item === undefined ? undefined : toNative(item, unmarshallOptions) },
  );
}

function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Record<string, AttributeValue> } {
  // By name, not instanceof: the caller's client may come from another copy of the SDK.
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Applies an update in one conditional UpdateItem only when it carries a newer version than the item: the
 * item has no version attribute yet (or does not exist) or a numerically smaller one. The version attribute
 * is set in the same write. Duplicates and stale writes resolve to `{ applied: false }` without writing.
 *
 * @param client a `DynamoDBClient` or a lib-dynamodb `DynamoDBDocumentClient` (its marshalling options apply);
 *   values are plain JavaScript values either way.
 * @returns `{ applied: true }` (with `attributes` when `ReturnValues` asked for them), or
 *   `{ applied: false, reason: 'duplicate' | 'stale', currentVersion }`.
 * @throws IdempotencyVersionError when `version` is not a usable integer, or the stored version is not a Number.
 * @throws IdempotencyConditionError when the caller's `ConditionExpression` failed while the guard passed.
 * @throws IdempotencyConfigError for an invalid or unknown option, or a value that cannot be marshalled.
 * @throws the SDK's own error for anything else (throttling, validation, network), unchanged.
 */
export async function applyIfNewer(client: GuardClient, input: ApplyIfNewerInput): Promise<ApplyIfNewerResult> {
  const sender = asSender(client, 'applyIfNewer');
  const update = buildGuardedUpdate(input, 'applyIfNewer');
  const translate = sender.config?.translateConfig;
  const marshallOptions: MarshallOptions = { ...translate?.marshallOptions };
  const command = new UpdateItemCommand({
    TableName: update.tableName,
    Key: marshallEntry('Key', update.key, marshallOptions),
    UpdateExpression: update.updateExpression,
    ConditionExpression: update.conditionExpression,
    ExpressionAttributeNames: update.names,
    ExpressionAttributeValues: {
      ...marshallEntry('ExpressionAttributeValues', update.values, marshallOptions),
      [VERSION_VALUE]: { N: update.versionText },
    },
    ...(update.returnValues === undefined ? {} : { ReturnValues: update.returnValues }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  try {
    const output = await sender.send(command);
    return output.Attributes === undefined
      ? { applied: true }
      : { applied: true, attributes: toNative(output.Attributes, translate?.unmarshallOptions) };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const skipped = guardFailure(update.versionAttribute, update.versionText, error.Item);
    if (skipped !== undefined) return skipped;
    throw conditionError(update, error.Item, translate?.unmarshallOptions);
  }
}

/**
 * The same guarded update as {@link applyIfNewer}, as a `TransactItems` entry of lib-dynamodb's
 * `TransactWriteCommand` (or of `commitWith`): plain JavaScript values, the version as a `NumberValue` so all
 * 38 digits survive, and `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` so a cancellation tells staleness
 * from the caller's condition ({@link transactGuardFailure}). In a transaction a stale or duplicate version
 * cancels the whole transaction.
 *
 * The client may be passed first, as to `applyIfNewer`, so the two calls are interchangeable; it is not used.
 *
 * @throws IdempotencyVersionError when `version` is not a usable integer.
 * @throws IdempotencyConfigError for an invalid or unknown option (`ReturnValues` included: a transaction
 *   returns no attributes).
 */
export function newerThan(input: VersionGuardInput): GuardedTransactItem;
export function newerThan(client: GuardClient, input: VersionGuardInput): GuardedTransactItem;
export function newerThan(...args: [VersionGuardInput] | [GuardClient, VersionGuardInput]): GuardedTransactItem {
  if (args.length === 2) asSender(args[0], 'newerThan');
  const update = buildGuardedUpdate(args.length === 2 ? args[1] : args[0], 'newerThan');
  return {
    Update: {
      TableName: update.tableName,
      Key: update.key,
      UpdateExpression: update.updateExpression,
      ConditionExpression: update.conditionExpression,
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: { ...update.values, [VERSION_VALUE]: NumberValue.from(update.versionText) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}
