/**
 * What a real DynamoDB table would bill for the requests the benchmark saw, computed from the items each
 * request writes. Pure code (test/bench/billing.test.ts checks it); the rules, from the DynamoDB
 * Developer Guide (cited in docs/benchmark.md):
 *
 * - Item size: the UTF-8 length of each attribute name plus the size of its value. Strings: UTF-8 bytes;
 *   numbers: 1 byte per two significant digits plus 1; binary: raw bytes; booleans and null: 1 byte;
 *   lists and maps: 3 bytes plus their elements plus 1 byte per element; sets: their elements.
 * - Writes: 1 write request unit (WRU) per 1 KB of the item, rounded up. `PutItem` pays for the larger of
 *   the old and the new item, `UpdateItem` for the larger of the item before and after, `DeleteItem` for
 *   the deleted item; a write of a missing or tiny item costs 1.
 * - A conditional write whose condition fails still costs write units: the size of the existing item, at
 *   least 1.
 * - Transactional writes (`TransactWriteItems`) cost 2 WRU per 1 KB of each item, `ConditionCheck`
 *   included.
 * - Reads: 1 read request unit (RRU) per 4 KB for a strongly consistent read (0.5 eventually consistent),
 *   also for a missing item.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

/** 1 KB, the unit of write billing. */
export const WRITE_UNIT_BYTES = 1024;
/** 4 KB, the unit of read billing. */
export const READ_UNIT_BYTES = 4096;

type AttributeMap = Record<string, AttributeValue>;

/** A request as the benchmark's middleware saw it, with how it ended. */
export interface LoggedRequest {
  /** SDK command name, e.g. `PutItemCommand`. */
  readonly command: string;
  /** The command input (low-level attribute values, or plain values for document-client commands). */
  readonly input: unknown;
  /** The name of the error it ended with, if any. */
  readonly errorName?: string;
  /** Capacity units DynamoDB (Local) reported, when the request asked for them and succeeded. */
  readonly reportedUnits?: number;
  /** BatchExecuteStatement: the error code of each statement (undefined where it succeeded). */
  readonly statementErrors?: readonly (string | undefined)[];
}

/** What one request costs. */
export interface RequestBill {
  readonly writeUnits: number;
  readonly readUnits: number;
  /** Size in bytes of each item the request wrote (the size it was billed on). */
  readonly itemBytes: readonly number[];
}

const TYPE_KEYS = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/** True when `value` looks like a low-level `AttributeValue` (exactly one type key). */
function isAttributeValue(value: unknown): value is AttributeValue {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && TYPE_KEYS.has(keys[0] as string);
}

/**
 * The item in low-level form: returned as is when every value already is an `AttributeValue`, marshalled
 * otherwise (document-client commands are logged before the document client marshals them).
 */
export function toAttributeMap(item: unknown): AttributeMap {
  if (item === null || typeof item !== 'object') return {};
  const values = Object.values(item as Record<string, unknown>);
  if (values.every(isAttributeValue)) return item as AttributeMap;
  return marshall(item as Record<string, unknown>, { removeUndefinedValues: true, convertClassInstanceToMap: true });
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes of a number: 1 per two significant digits, plus 1. */
export function numberSize(text: string): number {
  const mantissa = text.trim().replace(/^[-+]/, '').split(/[eE]/)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function binarySize(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.from(value, 'base64').byteLength;
  return 0;
}

/** Size in bytes of one attribute value (without its name). */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binarySize(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + binarySize(b), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + attributeValueSize(element), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + attributeValueSize(element), 0);
  }
  return 0;
}

/** Size in bytes of an item: attribute names plus values. */
export function itemSize(item: AttributeMap): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + attributeValueSize(value), 0);
}

/** Write units for an item of `bytes` (at least 1), doubled for a transactional write. */
export function writeUnits(bytes: number, transactional = false): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES)) * (transactional ? 2 : 1);
}

/** Read units for an item of `bytes` (at least one unit), halved for an eventually consistent read. */
export function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);
}

/** Splits at top-level commas (not inside parentheses). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** The effect of an update expression on the top-level attributes, as sizes. */
export interface UpdateEffect {
  /** Top-level attributes set outright: name → size of the new value. */
  readonly set: ReadonlyMap<string, number>;
  /** Top-level attributes that grow by the size of a nested value (`SET a.b = :v`, `list_append`). */
  readonly grow: ReadonlyMap<string, number>;
  /** Top-level attributes removed. */
  readonly remove: readonly string[];
}

/**
 * Reads the `SET` and `REMOVE` clauses of an update expression (the only ones the two libraries use).
 * Nested paths and functions are approximated by growing the top-level attribute by the values they use.
 */
export function parseUpdateExpression(
  expression: string,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
): UpdateEffect {
  const set = new Map<string, number>();
  const grow = new Map<string, number>();
  const remove: string[] = [];
  const resolve = (token: string): string => (token.startsWith('#') ? (names[token] ?? token) : token);
  const topLevel = (path: string): { name: string; nested: boolean } => {
    const match = /^\s*([#\w-]+)(.*)$/s.exec(path);
    const head = match?.[1] ?? path.trim();
    return { name: resolve(head), nested: (match?.[2] ?? '').trim().length > 0 };
  };
  const valueBytes = (operand: string): number =>
    (operand.match(/:[\w-]+/g) ?? []).reduce((sum, placeholder) => {
      const value = values[placeholder];
      return sum + (isAttributeValue(value) ? attributeValueSize(value) : value === undefined ? 0 : attributeValueSize(marshallOne(value)));
    }, 0);
  const clauses = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i);
  for (let i = 1; i < clauses.length; i += 2) {
    const keyword = (clauses[i] as string).toUpperCase();
    const body = clauses[i + 1] ?? '';
    for (const action of splitTopLevel(body)) {
      if (keyword === 'SET') {
        const eq = action.indexOf('=');
        if (eq < 0) continue;
        const target = topLevel(action.slice(0, eq));
        const bytes = valueBytes(action.slice(eq + 1));
        if (target.nested) grow.set(target.name, (grow.get(target.name) ?? 0) + bytes);
        else set.set(target.name, bytes);
      } else if (keyword === 'REMOVE') {
        const target = topLevel(action);
        if (!target.nested) remove.push(target.name);
      } else {
        // ADD / DELETE: `path :value`
        const [path = '', ...rest] = action.split(/\s+/);
        const target = topLevel(path);
        grow.set(target.name, (grow.get(target.name) ?? 0) + valueBytes(rest.join(' ')));
      }
    }
  }
  return { set, grow, remove };
}

function marshallOne(value: unknown): AttributeValue {
  return (marshall({ v: value }, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as AttributeMap)['v'] ?? { NULL: true };
}

/** Per item: attribute name → size of name plus value. */
type Shadow = Map<string, number>;

function shadowSize(shadow: Shadow | undefined): number {
  if (!shadow) return 0;
  let total = 0;
  for (const bytes of shadow.values()) total += bytes;
  return total;
}

function shadowOf(item: AttributeMap): Shadow {
  return new Map(Object.entries(item).map(([name, value]) => [name, utf8(name) + attributeValueSize(value)]));
}

interface WriteInput {
  readonly TableName?: string;
  readonly Item?: unknown;
  readonly Key?: unknown;
  readonly UpdateExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
  readonly ConsistentRead?: boolean;
}

/**
 * Keeps a shadow of every item's attribute sizes, built from the writes it is shown in order, so that an
 * `UpdateItem` is billed on the larger of the item before and after, and a failed condition on the
 * existing item.
 */
export class BillingModel {
  readonly #items = new Map<string, Shadow>();
  readonly #keyAttrs: readonly string[];

  /** @param keyAttrs the key attributes of every table (the benchmark's tables all use `id`) */
  public constructor(keyAttrs: readonly string[] = ['id']) {
    this.#keyAttrs = keyAttrs;
  }

  /** Number of items the model tracks. */
  public get size(): number {
    return this.#items.size;
  }

  #id(table: string, key: AttributeMap): string {
    return `${table}\u0000${this.#keyAttrs.map((attr) => JSON.stringify(key[attr] ?? null)).join('\u0000')}`;
  }

  /** Bills one request and applies its effect (when it succeeded) to the shadow. */
  public apply(request: LoggedRequest): RequestBill {
    const input = (request.input ?? {}) as Record<string, unknown>;
    const ok = request.errorName === undefined;
    const conditionFailed = request.errorName === 'ConditionalCheckFailedException';
    switch (request.command) {
      case 'PutItemCommand':
      case 'UpdateItemCommand':
      case 'DeleteItemCommand': {
        if (!ok && !conditionFailed) return { writeUnits: 0, readUnits: 0, itemBytes: [] };
        const bytes = this.#write(request.command, input, ok);
        return { writeUnits: writeUnits(bytes), readUnits: 0, itemBytes: [bytes] };
      }
      case 'TransactWriteItemsCommand': {
        const items = (input['TransactItems'] as Record<string, WriteInput>[] | undefined) ?? [];
        // A cancelled transaction applies nothing; it is still billed (conservatively) as if it ran.
        const applied = ok;
        const sizes = items.map((entry) => {
          const [kind, body] = Object.entries(entry)[0] ?? ['', {}];
          const command =
            kind === 'Put'
              ? 'PutItemCommand'
              : kind === 'Update'
                ? 'UpdateItemCommand'
                : kind === 'Delete'
                  ? 'DeleteItemCommand'
                  : 'ConditionCheck';
          if (command === 'ConditionCheck') {
            return shadowSize(this.#items.get(this.#id(String(body.TableName), toAttributeMap(body.Key))));
          }
          return this.#write(command, body, applied);
        });
        return {
          writeUnits: sizes.reduce((sum, bytes) => sum + writeUnits(bytes, true), 0),
          readUnits: 0,
          itemBytes: sizes,
        };
      }
      case 'GetItemCommand': {
        const body = input as WriteInput;
        const bytes = shadowSize(this.#items.get(this.#id(String(body.TableName), toAttributeMap(body.Key))));
        return { writeUnits: 0, readUnits: readUnits(bytes, body.ConsistentRead === true), itemBytes: [] };
      }
      case 'BatchGetItemCommand': {
        let units = 0;
        const tables = (input['RequestItems'] as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }> | undefined) ?? {};
        for (const [table, spec] of Object.entries(tables)) {
          for (const key of spec.Keys ?? []) {
            units += readUnits(shadowSize(this.#items.get(this.#id(table, toAttributeMap(key)))), spec.ConsistentRead === true);
          }
        }
        return { writeUnits: 0, readUnits: units, itemBytes: [] };
      }
      case 'BatchExecuteStatementCommand': {
        // Each statement is billed as the single write it stands for (PartiQL writes cost what their API
        // equivalents cost, not transactional prices); a failed one on the existing item, as a failed condition.
        const statements = (input['Statements'] as { Statement: string; Parameters?: unknown[] }[] | undefined) ?? [];
        if (!ok) return { writeUnits: 0, readUnits: 0, itemBytes: [] };
        const sizes = statements.map((statement, index) => {
          const write = statementAsWrite(statement.Statement, statement.Parameters ?? []);
          if (!write) return 0;
          return this.#write(write.command, write.input, request.statementErrors?.[index] === undefined);
        });
        return { writeUnits: sizes.reduce((sum, bytes) => sum + writeUnits(bytes), 0), readUnits: 0, itemBytes: sizes };
      }
      default:
        return { writeUnits: 0, readUnits: 0, itemBytes: [] };
    }
  }

  /** Applies one write (when `applied`) and returns the size it is billed on. */
  #write(command: string, input: WriteInput, applied: boolean): number {
    const table = String(input.TableName);
    if (command === 'PutItemCommand') {
      const item = toAttributeMap(input.Item);
      const id = this.#id(table, item);
      const before = shadowSize(this.#items.get(id));
      const after = itemSize(item);
      if (!applied) return before; // failed condition: the existing item (0 → at least 1 unit)
      this.#items.set(id, shadowOf(item));
      return Math.max(before, after);
    }
    const key = toAttributeMap(input.Key);
    const id = this.#id(table, key);
    const existing = this.#items.get(id);
    const before = shadowSize(existing);
    if (command === 'DeleteItemCommand') {
      if (applied) this.#items.delete(id);
      return before;
    }
    if (!applied) return before;
    const next: Shadow = new Map(existing ?? shadowOf(key));
    const effect = parseUpdateExpression(input.UpdateExpression ?? '', input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    for (const name of effect.remove) next.delete(name);
    for (const [name, bytes] of effect.set) next.set(name, utf8(name) + bytes);
    for (const [name, bytes] of effect.grow) next.set(name, (next.get(name) ?? utf8(name) + 3) + bytes);
    this.#items.set(id, next);
    return Math.max(before, shadowSize(next));
  }
}

/**
 * The PutItem (INSERT) or UpdateItem (UPDATE ... SET ... REMOVE ... WHERE key AND condition) input that a
 * PartiQL statement of the library stands for; undefined for any other statement.
 */
export function statementAsWrite(statement: string, parameters: readonly unknown[]): { command: string; input: WriteInput } | undefined {
  const table = /^(?:INSERT INTO|UPDATE)\s+"((?:[^"]|"")+)"/.exec(statement)?.[1]?.replace(/""/g, '"');
  if (table === undefined) return undefined;
  if (statement.startsWith('INSERT')) {
    const names = [...statement.matchAll(/'((?:[^']|'')*)':\s*\?/g)].map((m) => (m[1] ?? '').replace(/''/g, "'"));
    const item = Object.fromEntries(names.map((name, i) => [name, parameters[i]]));
    return { command: 'PutItemCommand', input: { TableName: table, Item: item } };
  }
  const set = [...statement.matchAll(/SET\s+"((?:[^"]|"")+)"=\?/g)].map((m) => (m[1] ?? '').replace(/""/g, '"'));
  const removed = [...statement.matchAll(/REMOVE\s+"((?:[^"]|"")+)"/g)].map((m) => (m[1] ?? '').replace(/""/g, '"'));
  const keyName = /WHERE\s+"((?:[^"]|"")+)"=\?/.exec(statement)?.[1]?.replace(/""/g, '"');
  if (keyName === undefined) return undefined;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses = set.map((name, i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = parameters[i];
    return `#s${i} = :s${i}`;
  });
  removed.forEach((name, i) => (names[`#r${i}`] = name));
  const expression = `${clauses.length > 0 ? `SET ${clauses.join(', ')}` : ''}${removed.length > 0 ? ` REMOVE ${removed.map((_, i) => `#r${i}`).join(', ')}` : ''}`;
  return {
    command: 'UpdateItemCommand',
    input: {
      TableName: table,
      Key: { [keyName]: parameters[set.length] },
      UpdateExpression: expression.trim(),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
