/**
 * The one builder behind `applyIfNewer` and `newerThan`: validates the caller's input and merges the version
 * guard into the caller's UpdateExpression and ConditionExpression. The two entry points only differ in how
 * they encode the values (low-level AttributeValues or lib-dynamodb plain values).
 */
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfigError } from '../errors';
import { versionText } from './version';

/** Name of the attribute that holds the version when `versionAttribute` is not given. */
export const DEFAULT_VERSION_ATTRIBUTE = 'version';

/** Attribute-name placeholder of the version attribute (reserved: the caller's expressions may not use it). */
export const VERSION_NAME = '#eoVersion';
/** Attribute-value placeholder of the new version (reserved: the caller's expressions may not use it). */
export const VERSION_VALUE = ':eoVersion';

/**
 * The guard: the item has no version yet, or an older one. DynamoDB compares Numbers numerically; an item
 * without the version attribute (or no item at all) passes.
 */
export const GUARD_CONDITION = `(attribute_not_exists(${VERSION_NAME}) OR ${VERSION_NAME} < ${VERSION_VALUE})`;

/** The guard's own SET action. */
const VERSION_SET_ACTION = `${VERSION_NAME} = ${VERSION_VALUE}`;

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
  return String(value);
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

/** Whether `text` uses `placeholder` as a whole token (`#eoVersion` but not `#eoVersionX`). */
function usesPlaceholder(text: string, placeholder: string): boolean {
  return new RegExp(`${placeholder}(?![A-Za-z0-9_])`).test(text);
}

/**
 * The SET keyword of an UpdateExpression. SET is a reserved word, so outside a clause keyword it can only
 * appear inside a placeholder (`#set`, `:set`) or a longer name (`reset`, `set_a`), which the
 * surrounding-character tests exclude.
 */
const SET_KEYWORD = /(^|[^A-Za-z0-9_#:.-])SET(?![A-Za-z0-9_])/i;

/**
 * Adds the guard's `SET #eoVersion = :eoVersion` to an UpdateExpression: as the first action of the caller's
 * SET clause when there is one (the clauses may come in any order), as a new SET clause otherwise.
 */
export function mergeUpdateExpression(updateExpression: string | undefined): string {
  if (updateExpression === undefined) return `SET ${VERSION_SET_ACTION}`;
  const match = SET_KEYWORD.exec(updateExpression);
  if (match === null) return `SET ${VERSION_SET_ACTION} ${updateExpression.trim()}`;
  const keywordEnd = match.index + match[0].length;
  return `${updateExpression.slice(0, keywordEnd)} ${VERSION_SET_ACTION},${updateExpression.slice(keywordEnd)}`.trim();
}

const CLAUSE = /(^|[^A-Za-z0-9_#:.-])(SET|REMOVE|ADD|DELETE)(?![A-Za-z0-9_])/gi;

/** The paths an UpdateExpression writes: the left side of each SET action, each REMOVE path, each ADD/DELETE path. */
export function writtenTargets(updateExpression: string): string[] {
  const clauses: { keyword: string; body: string }[] = [];
  let last: { keyword: string; start: number } | undefined;
  for (const match of updateExpression.matchAll(CLAUSE)) {
    const keywordStart = (match.index ?? 0) + (match[1] ?? '').length;
    if (last !== undefined) clauses.push({ keyword: last.keyword, body: updateExpression.slice(last.start, keywordStart) });
    last = { keyword: (match[2] ?? '').toUpperCase(), start: keywordStart + (match[2] ?? '').length };
  }
  if (last !== undefined) clauses.push({ keyword: last.keyword, body: updateExpression.slice(last.start) });
  const targets: string[] = [];
  for (const { keyword, body } of clauses) {
    for (const action of topLevelParts(body)) {
      const text = action.trim();
      const target = keyword === 'SET' ? text.split('=')[0] : keyword === 'REMOVE' ? text : text.split(/\s+/)[0];
      if (target !== undefined && target.trim() !== '') targets.push(target.trim());
    }
  }
  return targets;
}

/** The comma-separated parts of a clause, commas inside function calls left alone. */
function topLevelParts(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** The top-level attribute a document path starts with, its placeholder resolved. */
function rootName(path: string, names: Record<string, string> | undefined): string {
  const root = /^[^.[\s]+/.exec(path)?.[0] ?? path;
  return root.startsWith('#') ? (names?.[root] ?? root) : root;
}

/** Combines the guard with the caller's condition: both must hold. */
export function mergeConditionExpression(conditionExpression: string | undefined): string {
  return conditionExpression === undefined ? GUARD_CONDITION : `${GUARD_CONDITION} AND (${conditionExpression})`;
}

/**
 * Validates the input of `applyIfNewer` / `newerThan` and builds the guarded update.
 *
 * @param caller name of the public function, for messages.
 * @param allowReturnValues whether `ReturnValues` is accepted (not in a transaction).
 * @throws IdempotencyConfigError for a missing, mistyped or unknown option, or a reserved placeholder.
 * @throws IdempotencyVersionError for an unusable version.
 */
export function buildGuardedUpdate(input: unknown, caller: string, allowReturnValues: boolean): GuardedUpdate {
  if (!isRecord(input)) throw config(`Expected the input of ${caller} to be an object, got ${show(input)}`);
  const known: readonly string[] = allowReturnValues ? [...COMMON_KEYS, 'ReturnValues'] : COMMON_KEYS;
  const unknown = Object.keys(input).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw config(
      `Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `\`${name}\``).join(', ')} ` +
        `given to ${caller}; expected only ${known.map((name) => `\`${name}\``).join(', ')}`,
    );
  }

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
  for (const [entry, expression] of [
    ['UpdateExpression', updateExpression],
    ['ConditionExpression', conditionExpression],
  ] as const) {
    if (expression === undefined) continue;
    for (const placeholder of [VERSION_NAME, VERSION_VALUE]) {
      if (usesPlaceholder(expression, placeholder)) {
        throw config(`\`${entry}\` uses ${placeholder}, which ${caller} reserves for the version guard: ${JSON.stringify(expression)}`);
      }
    }
  }

  if (updateExpression !== undefined) {
    const target = writtenTargets(updateExpression).find(
      (path) => rootName(path, names as Record<string, string> | undefined) === versionAttribute,
    );
    if (target !== undefined) {
      throw config(
        `\`UpdateExpression\` writes the version attribute ${show(versionAttribute)} (${JSON.stringify(target)}), which ${caller} writes itself (DynamoDB would refuse two writes of one path): remove that action from ${JSON.stringify(updateExpression)}`,
      );
    }
  }

  let returnValues: GuardReturnValues | undefined;
  if (input.ReturnValues !== undefined) {
    const given = input.ReturnValues;
    const match = RETURN_VALUES.find((candidate) => candidate === given);
    if (match === undefined) {
      throw config(`Expected \`ReturnValues\` to be one of ${RETURN_VALUES.join(', ')}, got ${show(given)}`);
    }
    returnValues = match;
  }

  return {
    tableName,
    key: key as Record<string, NativeAttributeValue>,
    versionAttribute,
    versionText: text,
    updateExpression: mergeUpdateExpression(updateExpression),
    conditionExpression: mergeConditionExpression(conditionExpression),
    names: { ...(names as Record<string, string> | undefined), [VERSION_NAME]: versionAttribute },
    values: { ...(values as Record<string, NativeAttributeValue> | undefined) },
    returnValues,
  };
}
