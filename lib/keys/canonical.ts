import { decimalValue, exactNumber } from '../json';
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

/**
 * A value that cannot identify anything: `NaN`, an invalid `Date`, a function, a symbol, a circular
 * structure, or an object whose identity cannot be read (a class instance with no `toJSON` and no own
 * enumerable data). The engine reports it as an `IdempotencyKeyError`: such a key would send different
 * events to one record.
 */
export class UnidentifiableValueError extends Error {
  public override name = 'UnidentifiableValueError';
}

/** Deepest nesting of a key value: deeper values are refused (they would otherwise overflow the stack). */
export const MAX_KEY_DEPTH = 1000;

/**
 * Canonical text of a value, one text per distinct value (the map is injective):
 * - object keys are sorted, so `{a:1,b:2}` and `{b:2,a:1}` give the same text;
 * - types JSON cannot tell apart are tagged (`Date`, `BigInt`, `Map`, `Set`, binary, `Infinity`,
 *   `undefined` and holes in arrays); a plain object's own keys that start with `$` get one more `$`, so
 *   that no plain object is ever written like a tag;
 * - a number is written by its value, whatever its type: a `NumberValue` (`@aws-sdk/util-dynamodb`, what
 *   DynamoDB Streams and `parseJson` give for numbers a `number` cannot hold) that a `number` holds exactly
 *   is that number, one that is an integer is that `bigint`, any other is its decimal value;
 * - an object with `toJSON` (a value object, a `URL`) is written as what `toJSON` returns, as JSON does;
 * - `undefined` object members are left out, as JSON does.
 * A class instance without `toJSON` is refused: its identity would rest on its class name, which
 * minifiers rewrite and two classes may share.
 * @throws UnidentifiableValueError for a value with no identity (see there), a getter or `toJSON` that
 *   throws, or nesting deeper than {@link MAX_KEY_DEPTH}
 */
export function canonicalize(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (Number.isNaN(value)) throw new UnidentifiableValueError('NaN identifies nothing');
      return Number.isFinite(value) ? JSON.stringify(value) : `{"$num":"${String(value)}"}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `{"$bigint":"${value.toString()}"}`;
    case 'undefined':
      return '{"$undefined":true}';
    case 'object':
      break;
    default:
      throw new UnidentifiableValueError(`a ${typeof value} carries no data to identify an event by`);
  }
  const obj = value;
  if (seen.has(obj)) throw new UnidentifiableValueError('a circular structure cannot be canonicalised');
  if (seen.size >= MAX_KEY_DEPTH) {
    throw new UnidentifiableValueError(`it is nested more than ${MAX_KEY_DEPTH} levels deep; select the part that identifies the event`);
  }
  seen.add(obj);
  try {
    return writeObject(obj, seen);
  } finally {
    seen.delete(obj);
  }
}

function writeObject(obj: object, seen: Set<object>): string {
  const builtIn = writeBuiltIn(obj, seen);
  if (builtIn !== undefined) return builtIn;
  if (Array.isArray(obj)) return writeArray(obj, seen);
  const collection = writeCollection(obj, seen);
  if (collection !== undefined) return collection;
  const toJSON = read(obj, 'toJSON');
  if (typeof toJSON === 'function') return writeToJSON(obj, toJSON as (this: object, key: string) => unknown, seen);
  if (!isPlainObject(obj)) {
    throw new UnidentifiableValueError(
      `an instance of ${className(obj)} has no toJSON(), and a class name is no identity (minifiers rewrite it, and two classes may share one)`,
    );
  }
  const record = obj as Record<string, unknown>;
  const members: string[] = [];
  for (const k of Object.keys(record).sort()) {
    const member = read(record, k);
    if (member !== undefined) members.push(`${JSON.stringify(k.startsWith('$') ? `$${k}` : k)}:${write(member, seen)}`);
  }
  return `{${members.join(',')}}`;
}

/** A `Date`, binary data or a `NumberValue`, tagged; undefined for any other object. */
function writeBuiltIn(obj: object, seen: Set<object>): string | undefined {
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) throw new UnidentifiableValueError('an invalid Date identifies nothing');
    return `{"$date":${JSON.stringify(obj.toISOString())}}`;
  }
  if (obj instanceof Uint8Array) return `{"$bytes":"${Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64')}"}`;
  if (ArrayBuffer.isView(obj)) {
    const bytes = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64');
    return `{"$view":${JSON.stringify(Object.prototype.toString.call(obj))},"bytes":"${bytes}"}`;
  }
  if (obj instanceof ArrayBuffer) return `{"$arraybuffer":"${Buffer.from(obj).toString('base64')}"}`;
  if (obj instanceof NumberValue) return writeNumberValue(obj, seen);
  return undefined;
}

function writeArray(array: readonly unknown[], seen: Set<object>): string {
  const items: string[] = [];
  for (let index = 0; index < array.length; index += 1) {
    // A hole is not `undefined`, nor absent: `[ , ]` is not `[]`.
    items.push(index in array ? write(read(array, index), seen) : '{"$hole":true}');
  }
  return `[${items.join(',')}]`;
}

/** A `Map` or `Set` (members sorted), a `RegExp`, or a boxed primitive; undefined for any other object. */
function writeCollection(obj: object, seen: Set<object>): string | undefined {
  if (obj instanceof Map) {
    const entries = [...obj.entries()].map(([k, v]) => `[${write(k, seen)},${write(v, seen)}]`).sort();
    return `{"$map":[${entries.join(',')}]}`;
  }
  if (obj instanceof Set) {
    const items = [...obj.values()].map((item) => write(item, seen)).sort();
    return `{"$set":[${items.join(',')}]}`;
  }
  if (obj instanceof RegExp) return `{"$regexp":${JSON.stringify(String(obj))}}`;
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) return write(obj.valueOf(), seen);
  return undefined;
}

/** An object with `toJSON`, written as what `toJSON` returns (as JSON does). */
function writeToJSON(obj: object, toJSON: (this: object, key: string) => unknown, seen: Set<object>): string {
  let json: unknown;
  try {
    json = toJSON.call(obj, '');
  } catch (error) {
    throw new UnidentifiableValueError(`its toJSON() threw (${describeError(error)})`, { cause: error });
  }
  if (json === obj) throw new UnidentifiableValueError('toJSON returned the object itself');
  return write(json, seen);
}

/** A member of the value, read once; a getter that throws makes the value unidentifiable. */
function read(obj: object, key: string | number): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (error) {
    throw new UnidentifiableValueError(`reading its member ${JSON.stringify(String(key))} threw (${describeError(error)})`, {
      cause: error,
    });
  }
}

/** A number kept as text, written by its value: as the `number` or `bigint` of that value when there is one. */
function writeNumberValue(obj: NumberValue, seen: Set<object>): string {
  const text = String(obj.value);
  const exact = exactNumber(text);
  const decimal = decimalValue(text);
  if (exact === undefined || decimal === undefined)
    throw new UnidentifiableValueError(`NumberValue ${JSON.stringify(text)} is not a number`);
  if (!(exact instanceof NumberValue)) return write(exact, seen);
  return `{"$decimal":"${decimal.negative ? '-' : ''}${decimal.digits}e${decimal.exponent}"}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An object whose prototype is an `Object.prototype` (of any realm) or null. */
function isPlainObject(obj: object): boolean {
  const proto = Object.getPrototypeOf(obj) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function className(obj: object): string {
  const name = (obj.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'an anonymous class';
}

/**
 * True when a selected key carries no identity: `null`, `undefined`, an empty string, an empty object or
 * array, or an array whose members are all missing (a JMESPath multi-select of absent fields). Values
 * that cannot identify anything (`NaN`, an invalid Date, a function...) are refused by {@link canonicalize}.
 */
export function isMissingKey(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.length === 0;
  if (Array.isArray(value)) return value.length === 0 || value.every((item) => isMissingKey(item));
  if (typeof value === 'object' && isPlainObject(value)) return Object.keys(value).length === 0;
  if (value instanceof Map || value instanceof Set) return value.size === 0;
  return false;
}
