/**
 * Exact round trips of stored results: JSON values plus `undefined` (also as an object member or array
 * item), holes of sparse arrays, `NumberValue` (exact numbers of DynamoDB and `parseJson`), `Date`, `Map`,
 * `Set`, `BigInt`, non-finite numbers and `-0`, `Uint8Array` and `Buffer`, the other
 * typed arrays, `ArrayBuffer`, `RegExp` and `Error` (name, message and own enumerable properties); objects
 * with `toJSON` are stored as what it returns, and functions and symbols as `undefined`, as JSON does. A
 * class instance without `toJSON` (or a circular structure) is refused with {@link UnstorableValueError}:
 * it would come back as a different value.
 *
 * Encoding: plain JSON where the value is plain JSON; any other value becomes a tagged object
 * `{"$eo": <tag>, "v": ...}`, and a user object that itself has a `$eo` member is escaped with the tag `o`,
 * so no user value can be mistaken for a tag.
 */

import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

const TAG = '$eo';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value that cannot be stored so that it comes back equal; `path` says where in the value it is. */
export class UnstorableValueError extends TypeError {
  public override name = 'UnstorableValueError';
  public constructor(
    message: string,
    /** Where in the value, e.g. `$.items[2].price`. */
    public readonly path: string,
  ) {
    super(message);
  }
}

/** The typed array classes stored by name. */
const VIEWS: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};

/**
 * Serialises a value to text that {@link deserialize} turns back into an equal value.
 * @throws UnstorableValueError for a circular structure or a value that would not come back equal
 */
export function serialize(value: unknown): string {
  return JSON.stringify(encode(value, new Set(), '$'));
}

/** Inverse of {@link serialize}. */
export function deserialize(text: string): unknown {
  return decode(JSON.parse(text) as Json);
}

function base64(view: ArrayBufferView | ArrayBuffer): string {
  return view instanceof ArrayBuffer
    ? Buffer.from(view).toString('base64')
    : Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

function encode(value: unknown, seen: Set<object>, path: string): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Object.is(value, -0)) return { [TAG]: 'n', v: '-0' };
      return Number.isFinite(value) ? value : { [TAG]: 'n', v: String(value) };
    case 'bigint':
      return { [TAG]: 'b', v: value.toString() };
    case 'undefined':
      return { [TAG]: 'u' };
    case 'function':
    case 'symbol':
      // JSON.stringify drops these; so do we, as undefined.
      return { [TAG]: 'u' };
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) throw new UnstorableValueError('cannot serialise a circular structure', path);
  seen.add(obj);
  try {
    return encodeObject(obj, seen, path);
  } finally {
    seen.delete(obj);
  }
}

function encodeObject(obj: object, seen: Set<object>, path: string): Json {
  const binary = encodeBinary(obj, path);
  if (binary !== undefined) return binary;
  if (Array.isArray(obj)) {
    const items: Json[] = [];
    // A hole stays a hole (JSON would write null).
    for (let index = 0; index < obj.length; index += 1)
      items.push(index in obj ? encode(obj[index], seen, `${path}[${index}]`) : { [TAG]: 'h' });
    return items;
  }
  const builtIn = encodeBuiltIn(obj, seen, path);
  if (builtIn !== undefined) return builtIn;
  const maybeJson = obj as { toJSON?: () => unknown };
  if (typeof maybeJson.toJSON === 'function') return encode(maybeJson.toJSON(), seen, path);
  if (obj instanceof Error) {
    const props: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(obj)) define(props, k, encode(v, seen, `${path}.${k}`));
    return { [TAG]: 'e', n: obj.name, m: obj.message, v: props };
  }
  // A plain object's prototype is an Object.prototype (of any realm: jest's, a vm's) or null.
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== null && Object.getPrototypeOf(proto) !== null) {
    const name = (obj.constructor as { name?: unknown } | undefined)?.name;
    throw new UnstorableValueError(
      `cannot store an instance of ${typeof name === 'string' && name.length > 0 ? name : 'a class'} (at ${path}) so that it comes back as one: return plain data, or give the class a toJSON()`,
      path,
    );
  }
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(obj)) define(out, k, encode(v, seen, `${path}.${k}`));
  return Object.prototype.hasOwnProperty.call(out, TAG) ? { [TAG]: 'o', v: out } : out;
}

/** A `Date` or binary data (bytes, another typed array or view, an `ArrayBuffer`), tagged; undefined for any other object. */
function encodeBinary(obj: object, path: string): Json | undefined {
  if (obj instanceof Date) return { [TAG]: 'd', v: Number.isNaN(obj.getTime()) ? null : obj.toISOString() };
  if (obj instanceof Uint8Array && (obj.constructor === Uint8Array || Buffer.isBuffer(obj))) {
    return { [TAG]: 'y', v: base64(obj), c: Buffer.isBuffer(obj) ? 'Buffer' : 'Uint8Array' };
  }
  if (ArrayBuffer.isView(obj)) {
    const name = obj.constructor.name;
    if (VIEWS[name] === undefined) throw new UnstorableValueError(`cannot store a ${name} faithfully (at ${path})`, path);
    return { [TAG]: 't', c: name, v: base64(obj) };
  }
  if (obj instanceof ArrayBuffer) return { [TAG]: 'a', v: base64(obj) };
  return undefined;
}

/** A `NumberValue`, `Map`, `Set` or `RegExp`, tagged; undefined for any other object. */
function encodeBuiltIn(obj: object, seen: Set<object>, path: string): Json | undefined {
  if (obj instanceof NumberValue) return { [TAG]: 'N', v: obj.value };
  if (obj instanceof Map) {
    return {
      [TAG]: 'm',
      v: [...obj.entries()].map(([k, v], index) => [
        encode(k, seen, `${path}.<key ${index}>`),
        encode(v, seen, `${path}.<value ${index}>`),
      ]),
    };
  }
  if (obj instanceof Set) return { [TAG]: 's', v: [...obj.values()].map((item, index) => encode(item, seen, `${path}.<item ${index}>`)) };
  if (obj instanceof RegExp) return { [TAG]: 'r', v: obj.source, f: obj.flags };
  return undefined;
}

type Tagged = { [key: string]: Json };

/** The decoder of each tag: `v` is the tagged object's `v` member. */
const DECODERS: Readonly<Record<string, (v: Json | undefined, tagged: Tagged) => unknown>> = {
  u: () => undefined,
  n: (v) => Number(v),
  b: (v) => BigInt(v as string),
  N: (v) => NumberValue.from(v as string),
  d: (v) => new Date(v === null ? Number.NaN : (v as string)),
  y: (v, tagged) => {
    const bytes = Buffer.from(v as string, 'base64');
    return tagged['c'] === 'Buffer' ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  m: (v) => new Map((v as Json[][]).map(([k, item]) => [decode(k as Json), decode(item as Json)])),
  s: (v) => new Set((v as Json[]).map(decode)),
  o: (v) => decodeMembers(v as Tagged),
  a: (v) => {
    const bytes = Buffer.from(v as string, 'base64');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  },
  t: (v, tagged) => {
    const bytes = Buffer.from(v as string, 'base64');
    const View = VIEWS[tagged['c'] as string];
    if (View === undefined) throw new TypeError(`unknown typed array ${JSON.stringify(tagged['c'])}`);
    return new View(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  },
  r: (v, tagged) => new RegExp(v as string, tagged['f'] as string),
  e: (v, tagged) => {
    const error = new Error(tagged['m'] as string);
    Object.defineProperty(error, 'name', { value: tagged['n'], enumerable: false, writable: true, configurable: true });
    for (const [k, item] of Object.entries(decodeMembers(v as Tagged))) define(error, k, item);
    return error;
  },
};

function decode(value: Json): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items: unknown[] = new Array<unknown>(value.length);
    value.forEach((item, index) => {
      if (!isHole(item)) items[index] = decode(item);
    });
    return items;
  }
  const tag = value[TAG];
  if (tag === undefined) return decodeMembers(value);
  const decoder = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(DECODERS, tag) ? DECODERS[tag] : undefined;
  if (decoder === undefined) throw new TypeError(`unknown serialisation tag ${JSON.stringify(tag)}`);
  return decoder(value['v'], value);
}

function isHole(item: Json): boolean {
  return item !== null && typeof item === 'object' && !Array.isArray(item) && item[TAG] === 'h' && Object.keys(item).length === 1;
}

function decodeMembers(value: { [key: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) define(out, k, decode(v));
  return out;
}

/** Sets an own property, even one named `__proto__`, as JSON.parse does. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What a cached error is stored as (see `cacheErrors`). */
export interface StoredError {
  readonly name: string;
  readonly message: string;
  readonly properties: Record<string, unknown>;
}

/**
 * Captures a thrown value for storage: name, message and those own enumerable properties that can be
 * stored (an HTTP client's error keeps its `code` and `status` but not its circular `request`).
 */
export function captureError(error: unknown): StoredError {
  const storable = (v: unknown): boolean => {
    try {
      serialize(v);
      return true;
    } catch {
      return false;
    }
  };
  if (error instanceof Error) {
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(error)) if (storable(v)) properties[k] = v;
    return { name: error.name, message: error.message, properties };
  }
  let message: string;
  try {
    message = String(error);
  } catch {
    // A null-prototype object has no toString.
    message = Object.prototype.toString.call(error);
  }
  return { name: 'Error', message, properties: storable(error) ? { thrown: error } : {} };
}

/** Rebuilds a cached error for a replay, marked `replayed: true`. */
export function reviveError(stored: StoredError): Error {
  const error = new Error(stored.message);
  Object.assign(error, stored.properties);
  Object.defineProperty(error, 'name', { value: stored.name, enumerable: false, writable: true, configurable: true });
  Object.assign(error, { replayed: true });
  return error;
}
