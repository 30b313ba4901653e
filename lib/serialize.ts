/**
 * Exact round trips of stored results: JSON values plus `undefined` (also as an object member or array
 * item), `Date`, `Map`, `Set`, `BigInt`, non-finite numbers, `Uint8Array` and `Buffer`.
 *
 * Encoding: plain JSON where the value is plain JSON; any other value becomes a tagged object
 * `{"$eo": <tag>, "v": ...}`, and a user object that itself has a `$eo` member is escaped with the tag `o`,
 * so no user value can be mistaken for a tag.
 */

const TAG = '$eo';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Serialises a value to text that {@link deserialize} turns back into an equal value. */
export function serialize(value: unknown): string {
  return JSON.stringify(encode(value, new Set()));
}

/** Inverse of {@link serialize}. */
export function deserialize(text: string): unknown {
  return decode(JSON.parse(text) as Json);
}

function encode(value: unknown, seen: Set<object>): Json {
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
  if (seen.has(obj)) throw new TypeError('cannot serialise a circular structure');
  seen.add(obj);
  try {
    if (obj instanceof Date) return { [TAG]: 'd', v: Number.isNaN(obj.getTime()) ? null : obj.toISOString() };
    if (obj instanceof Uint8Array) {
      return {
        [TAG]: 'y',
        v: Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64'),
        c: Buffer.isBuffer(obj) ? 'Buffer' : 'Uint8Array',
      };
    }
    if (Array.isArray(obj)) return obj.map((item) => encode(item, seen));
    if (obj instanceof Map) return { [TAG]: 'm', v: [...obj.entries()].map(([k, v]) => [encode(k, seen), encode(v, seen)]) };
    if (obj instanceof Set) return { [TAG]: 's', v: [...obj.values()].map((item) => encode(item, seen)) };
    const maybeJson = obj as { toJSON?: () => unknown };
    if (typeof maybeJson.toJSON === 'function') return encode(maybeJson.toJSON(), seen);
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(obj)) define(out, k, encode(v, seen));
    return Object.prototype.hasOwnProperty.call(out, TAG) ? { [TAG]: 'o', v: out } : out;
  } finally {
    seen.delete(obj);
  }
}

function decode(value: Json): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const tag = value[TAG];
  if (tag === undefined) return decodeMembers(value);
  const v = value['v'];
  switch (tag) {
    case 'u':
      return undefined;
    case 'n':
      return Number(v);
    case 'b':
      return BigInt(v as string);
    case 'd':
      return new Date(v === null ? Number.NaN : (v as string));
    case 'y': {
      const bytes = Buffer.from(v as string, 'base64');
      return value['c'] === 'Buffer' ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    case 'm':
      return new Map((v as Json[][]).map(([k, item]) => [decode(k as Json), decode(item as Json)]));
    case 's':
      return new Set((v as Json[]).map(decode));
    case 'o':
      return decodeMembers(v as { [key: string]: Json });
    default:
      throw new TypeError(`unknown serialisation tag ${JSON.stringify(tag)}`);
  }
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

/** Captures a thrown value for storage: name, message and own enumerable properties. */
export function captureError(error: unknown): StoredError {
  if (error instanceof Error) {
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(error)) properties[k] = v;
    return { name: error.name, message: error.message, properties };
  }
  return { name: 'Error', message: String(error), properties: { thrown: error } };
}

/** Rebuilds a cached error for a replay, marked `replayed: true`. */
export function reviveError(stored: StoredError): Error {
  const error = new Error(stored.message);
  Object.assign(error, stored.properties);
  Object.defineProperty(error, 'name', { value: stored.name, enumerable: false, writable: true, configurable: true });
  Object.assign(error, { replayed: true });
  return error;
}
