/**
 * The one builder behind `applyIfNewer` and `newerThan`: validates the caller's input and merges the version
 * guard into the caller's UpdateExpression and ConditionExpression. The two entry points only differ in how
 * they encode the values (low-level AttributeValues or lib-dynamodb plain values).
 */
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfigError } from '../errors';
import {
  mergeConditionExpression,
  mergeUpdateExpression,
  rootName,
  usesPlaceholder,
  VERSION_NAME,
  VERSION_VALUE,
  writtenTargets,
} from './expression';
import { versionText } from './version';

/** Name of the attribute that holds the version when `versionAttribute` is not given. */
export const DEFAULT_VERSION_ATTRIBUTE = 'version';

/** What DynamoDB may return after an UpdateItem (`ReturnValues`). */
export type GuardReturnValues = 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
const RETURN_VALUES: readonly GuardReturnValues[] = ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'];

/** A validated guarded update, values still plain JavaScript. */
export interface GuardedUpdate {
  readonly tableName: string;
  readonly key: Record<string, NativeAttributeValue>;
  readonly versionAttribute: string;
  /** Canonical DynamoDB Number text of the new version. */
  readonly versionText: string;
  readonly updateExpression: string;
  readonly conditionExpression: string;
  /** The caller's names plus the version attribute's placeholder. */
  readonly names: Record<string, string>;
  /** The caller's values only (the version is encoded by each output). */
  readonly values: Record<string, NativeAttributeValue>;
  readonly returnValues: GuardReturnValues | undefined;
}

const COMMON_KEYS = [
  'TableName',
  'Key',
  'version',
  'versionAttribute',
  'UpdateExpression',
  'ConditionExpression',
  'ExpressionAttributeNames',
  'ExpressionAttributeValues',
] as const;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'undefined';
}

function config(message: string): IdempotencyConfigError {
  return new IdempotencyConfigError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(entry: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw config(`Expected \`${entry}\` to be a non-empty string, got ${show(value)}`);
  }
  return value;
}

/**
 * Validates the input of `applyIfNewer` / `newerThan` and builds the guarded update.
 *
 * @param caller name of the public function, for messages; `newerThan` (a transaction item) takes no `ReturnValues`.
 * @throws IdempotencyConfigError for a missing, mistyped or unknown option, or a reserved placeholder.
 * @throws IdempotencyVersionError for an unusable version.
 */
export function buildGuardedUpdate(input: unknown, caller: 'applyIfNewer' | 'newerThan'): GuardedUpdate {
  if (!isRecord(input)) throw config(`Expected the input of ${caller} to be an object, got ${show(input)}`);
  // A transaction item (newerThan) has no ReturnValues of its own.
  checkKnownEntries(input, caller, caller === 'applyIfNewer');

  const tableName = optionalString('TableName', input.TableName);
  if (tableName === undefined) throw config(`Expected \`TableName\` to be a non-empty string, got undefined`);

  const key = input.Key;
  if (!isRecord(key) || Object.keys(key).length === 0) {
    throw config(`Expected \`Key\` to be an object of key attributes, got ${show(key)}`);
  }

  const text = versionText(input.version);

  const versionAttribute = optionalString('versionAttribute', input.versionAttribute) ?? DEFAULT_VERSION_ATTRIBUTE;
  if (Object.prototype.hasOwnProperty.call(key, versionAttribute)) {
    throw config(
      `\`versionAttribute\` ${show(versionAttribute)} is a key attribute of \`Key\`; ` + 'the version must live in a non-key attribute',
    );
  }

  const updateExpression = optionalString('UpdateExpression', input.UpdateExpression);
  const conditionExpression = optionalString('ConditionExpression', input.ConditionExpression);
  const { names, values } = attributeMaps(input, caller);
  checkReservedPlaceholders(caller, { UpdateExpression: updateExpression, ConditionExpression: conditionExpression });
  if (updateExpression !== undefined) checkVersionNotWritten(caller, updateExpression, names, versionAttribute);

  return {
    tableName,
    key: key as Record<string, NativeAttributeValue>,
    versionAttribute,
    versionText: text,
    updateExpression: mergeUpdateExpression(updateExpression),
    conditionExpression: mergeConditionExpression(conditionExpression),
    names: { ...names, [VERSION_NAME]: versionAttribute },
    values: { ...values },
    returnValues: returnValuesOf(input.ReturnValues),
  };
}

/** Refuses entries the caller does not take (`ReturnValues` only where `allowReturnValues`). */
function checkKnownEntries(input: Record<string, unknown>, caller: string, allowReturnValues: boolean): void {
  const known: readonly string[] = allowReturnValues ? [...COMMON_KEYS, 'ReturnValues'] : COMMON_KEYS;
  const unknown = Object.keys(input).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw config(
      `Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `\`${name}\``).join(', ')} ` +
        `given to ${caller}; expected only ${known.map((name) => `\`${name}\``).join(', ')}`,
    );
  }
}

/** The caller's `ExpressionAttributeNames` and `ExpressionAttributeValues`, checked, without the guard's placeholders. */
function attributeMaps(
  input: Record<string, unknown>,
  caller: string,
): { names: Record<string, string> | undefined; values: Record<string, NativeAttributeValue> | undefined } {
  const names = input.ExpressionAttributeNames;
  if (names !== undefined) {
    if (!isRecord(names)) throw config(`Expected \`ExpressionAttributeNames\` to be an object, got ${show(names)}`);
    for (const [placeholder, name] of Object.entries(names)) {
      if (typeof name !== 'string') {
        throw config(`Expected \`ExpressionAttributeNames[${JSON.stringify(placeholder)}]\` to be a string, got ${show(name)}`);
      }
    }
  }
  const values = input.ExpressionAttributeValues;
  if (values !== undefined && !isRecord(values)) {
    throw config(`Expected \`ExpressionAttributeValues\` to be an object, got ${show(values)}`);
  }
  if (names !== undefined && Object.prototype.hasOwnProperty.call(names, VERSION_NAME)) {
    throw config(`\`ExpressionAttributeNames\` uses ${VERSION_NAME}, which ${caller} reserves for the version attribute`);
  }
  if (values !== undefined && Object.prototype.hasOwnProperty.call(values, VERSION_VALUE)) {
    throw config(`\`ExpressionAttributeValues\` uses ${VERSION_VALUE}, which ${caller} reserves for the version`);
  }
  return { names: names as Record<string, string> | undefined, values: values as Record<string, NativeAttributeValue> | undefined };
}

/** Refuses an expression of the caller's that uses the guard's placeholders. */
function checkReservedPlaceholders(caller: string, expressions: Readonly<Record<string, string | undefined>>): void {
  for (const [entry, expression] of Object.entries(expressions)) {
    if (expression === undefined) continue;
    for (const placeholder of [VERSION_NAME, VERSION_VALUE]) {
      if (usesPlaceholder(expression, placeholder)) {
        throw config(`\`${entry}\` uses ${placeholder}, which ${caller} reserves for the version guard: ${JSON.stringify(expression)}`);
      }
    }
  }
}

/** Refuses an UpdateExpression that writes the version attribute, which the guard writes itself. */
function checkVersionNotWritten(
  caller: string,
  updateExpression: string,
  names: Record<string, string> | undefined,
  versionAttribute: string,
): void {
  const target = writtenTargets(updateExpression).find((path) => rootName(path, names) === versionAttribute);
  if (target !== undefined) {
    throw config(
      `\`UpdateExpression\` writes the version attribute ${show(versionAttribute)} (${JSON.stringify(target)}), which ${caller} writes itself (DynamoDB would refuse two writes of one path): remove that action from ${JSON.stringify(updateExpression)}`,
    );
  }
}

/** The `ReturnValues` given, checked; undefined when none. */
function returnValuesOf(given: unknown): GuardReturnValues | undefined {
  if (given === undefined) return undefined;
  const match = RETURN_VALUES.find((candidate) => candidate === given);
  if (match === undefined) {
    throw config(`Expected \`ReturnValues\` to be one of ${RETURN_VALUES.join(', ')}, got ${show(given)}`);
  }
  return match;
}
