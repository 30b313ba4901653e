import { createHash } from 'node:crypto';
// The default import: jmespath is CommonJS whose exports Node's ES module loader cannot name (dist/esm).
import jmespathLib from 'jmespath';

/** The jmespath package exports `compile`, which its type definitions omit. */
const jmespath = jmespathLib as typeof jmespathLib & { compile(expression: string): unknown };
import { IdempotencyConfigError } from './errors';

/**
 * Canonical text of a value: object keys sorted, so `{a:1,b:2}` and `{b:2,a:1}` give the same text.
 * Types JSON cannot tell apart are tagged (`Date`, `BigInt`, `Map`, `Set`, binary), `undefined` object
 * members are left out as JSON does.
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
      // functions and symbols carry no data
      return 'null';
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('cannot canonicalize a circular structure');
  seen.add(obj);
  try {
    if (obj instanceof Date) return `{"$date":${JSON.stringify(Number.isNaN(obj.getTime()) ? null : obj.toISOString())}}`;
    if (obj instanceof Uint8Array) return `{"$bytes":"${Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64')}"}`;
    if (Array.isArray(obj)) return `[${obj.map((item) => write(item, seen)).join(',')}]`;
    if (obj instanceof Map) {
      const entries = [...obj.entries()].map(([k, v]) => `[${write(k, seen)},${write(v, seen)}]`).sort();
      return `{"$map":[${entries.join(',')}]}`;
    }
    if (obj instanceof Set) {
      const items = [...obj.values()].map((item) => write(item, seen)).sort();
      return `{"$set":[${items.join(',')}]}`;
    }
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], seen)}`).join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

/** SHA-256 of the canonical text, hex encoded. */
export function hashValue(value: unknown): string {
  return createHash('sha256').update(canonicalize(value)).digest('hex');
}

/**
 * True when a selected key carries no identity: `null`, `undefined`, an empty string, an empty object or
 * array, or an array whose members are all missing (a JMESPath multi-select of absent fields).
 */
export function isMissingKey(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.length === 0;
  if (Array.isArray(value)) return value.length === 0 || value.every((item) => isMissingKey(item));
  if (typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    if (value instanceof Map || value instanceof Set) return value.size === 0;
    return Object.keys(value).length === 0;
  }
  return false;
}

/** A selector of part of the wrapped function's arguments. */
export type Selector<TArgs extends unknown[]> = string | ((...args: TArgs) => unknown);

/**
 * Turns a selector option into a function. A string is a JMESPath expression on the first argument,
 * compiled now so a syntax error is reported at wrap time.
 */
export function compileSelector<TArgs extends unknown[]>(
  option: string,
  selector: Selector<TArgs> | undefined,
): (args: TArgs) => unknown {
  if (selector === undefined) return (args) => args[0];
  if (typeof selector === 'function') return (args) => selector(...args);
  if (typeof selector === 'string') {
    try {
      jmespath.compile(selector);
    } catch (error) {
      throw new IdempotencyConfigError(
        `Expected \`${option}\` to be a valid JMESPath expression, got ${JSON.stringify(selector)}: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    const path = simplePath(selector);
    if (path) return (args) => walk(args[0], path);
    return (args) => jmespath.search(args[0], selector) as unknown;
  }
  throw new IdempotencyConfigError(
    `Expected \`${option}\` to be a function or a JMESPath string, got ${describe(selector)}`,
  );
}

const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[-?\d+\])*$/;

/**
 * The steps of a JMESPath expression made only of field names and indexes (`order.id`, `items[0].sku`),
 * evaluated natively: the common case costs no parse per call. Anything else returns undefined.
 */
export function simplePath(expression: string): (string | number)[] | undefined {
  if (!SIMPLE_PATH.test(expression)) return undefined;
  const steps: (string | number)[] = [];
  for (const match of expression.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]/g)) {
    steps.push(match[1] ?? Number(match[2]));
  }
  return steps;
}

/** JMESPath semantics for field and index steps: anything absent or of the wrong kind is null. */
export function walk(value: unknown, steps: readonly (string | number)[]): unknown {
  let current: unknown = value;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return null;
      current = current[step < 0 ? current.length + step : step];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
      current = Object.prototype.hasOwnProperty.call(current, step) ? (current as Record<string, unknown>)[step] : null;
    }
    if (current === undefined) return null;
  }
  return current;
}

/** Short description of a received option value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return `an object (${Object.prototype.toString.call(value)})`;
}
