import { createHash } from 'node:crypto';
import { IdempotencyConfigError } from './errors';
import { jmespathEngine } from './selectors/jmespath-engine';
import { evaluatePlainPath, parsePlainPath } from './selectors/plain-path';

/**
 * A value that cannot identify anything: `NaN`, an invalid `Date`, a function, a symbol, a circular
 * structure, or an object whose identity cannot be read (a class instance with no `toJSON` and no own
 * enumerable data). The engine reports it as an `IdempotencyKeyError`: such a key would send different
 * events to one record.
 */
export class UnidentifiableValueError extends Error {
  public override name = 'UnidentifiableValueError';
}

/**
 * Canonical text of a value, one text per distinct value (the map is injective):
 * - object keys are sorted, so `{a:1,b:2}` and `{b:2,a:1}` give the same text;
 * - types JSON cannot tell apart are tagged (`Date`, `BigInt`, `Map`, `Set`, binary, `Infinity`,
 *   `undefined` in arrays); a plain object's own keys that start with `$` get one more `$`, so that no
 *   plain object is ever written like a tag;
 * - an object with `toJSON` (a value object, a `URL`) is written as what `toJSON` returns, as JSON does;
 * - a class instance without `toJSON` is written as its class name and its own enumerable data;
 * - `undefined` object members are left out, as JSON does.
 * @throws UnidentifiableValueError for a value with no identity (see there)
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
  const obj = value as object;
  if (seen.has(obj)) throw new UnidentifiableValueError('a circular structure cannot be canonicalised');
  seen.add(obj);
  try {
    return writeObject(obj, seen);
  } finally {
    seen.delete(obj);
  }
}

function writeObject(obj: object, seen: Set<object>): string {
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) throw new UnidentifiableValueError('an invalid Date identifies nothing');
    return `{"$date":${JSON.stringify(obj.toISOString())}}`;
  }
  if (obj instanceof Uint8Array) return `{"$bytes":"${Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64')}"}`;
  if (ArrayBuffer.isView(obj)) {
    const bytes = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64');
    return `{"$view":${JSON.stringify(obj.constructor.name)},"bytes":"${bytes}"}`;
  }
  if (obj instanceof ArrayBuffer) return `{"$arraybuffer":"${Buffer.from(obj).toString('base64')}"}`;
  if (Array.isArray(obj)) return `[${obj.map((item) => write(item, seen)).join(',')}]`;
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
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(obj, '');
    if (json === obj) throw new UnidentifiableValueError('toJSON returned the object itself');
    return write(json, seen);
  }
  const record = obj as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  const members = keys.map((k) => `${JSON.stringify(k.startsWith('$') ? `$${k}` : k)}:${write(record[k], seen)}`).join(',');
  if (isPlainObject(obj)) return `{${members}}`;
  // A class instance: its class is part of its identity; with no readable data it has none.
  if (keys.length === 0) {
    throw new UnidentifiableValueError(
      `an instance of ${className(obj)} has no own enumerable data and no toJSON(), so every instance would look the same`,
    );
  }
  return `{"$class":${JSON.stringify(className(obj))},"data":{${members}}}`;
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

/** SHA-256 of the canonical text, hex encoded. */
export function hashValue(value: unknown): string {
  return createHash('sha256').update(canonicalize(value)).digest('hex');
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

/** A selector of part of the wrapped function's arguments. */
export type Selector<TArgs extends unknown[]> = string | ((...args: TArgs) => unknown);

/**
 * Turns a selector option into a function. A string is a JMESPath expression on the first argument: a plain
 * path (`orderId`, `body.orderId`, `items[0]`) is evaluated natively and needs no JMESPath engine; any other
 * expression is compiled now by the engine (loaded on this first use), so a syntax error is reported at wrap time.
 */
export function compileSelector<TArgs extends unknown[]>(option: string, selector: Selector<TArgs> | undefined): (args: TArgs) => unknown {
  if (selector === undefined) return (args) => args[0];
  if (typeof selector === 'function') return (args) => selector(...args);
  if (typeof selector === 'string') {
    const path = parsePlainPath(selector);
    if (path) return (args) => evaluatePlainPath(args[0], path);
    const jmespath = jmespathEngine();
    let ast: unknown;
    try {
      ast = jmespath.compile(selector);
    } catch (error) {
      throw new IdempotencyConfigError(
        `Expected \`${option}\` to be a valid JMESPath expression, got ${JSON.stringify(selector)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const problem = checkExpression(ast);
    if (problem !== undefined) {
      throw new IdempotencyConfigError(
        `Expected \`${option}\` to be a valid JMESPath expression, got ${JSON.stringify(selector)}: ${problem}`,
      );
    }
    return (args) => {
      try {
        return jmespath.search(args[0], selector);
      } catch (error) {
        throw new SelectorError(
          `The JMESPath \`${option}\` ${JSON.stringify(selector)} failed on this input: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    };
  }
  throw new IdempotencyConfigError(`Expected \`${option}\` to be a function or a JMESPath string, got ${describe(selector)}`);
}

/** A JMESPath expression failed on one input (a function given the wrong type, say). */
export class SelectorError extends Error {
  public override name = 'SelectorError';
}

/** The functions jmespath.js knows; any other name fails on every call. */
const JMESPATH_FUNCTIONS = new Set([
  'abs',
  'avg',
  'ceil',
  'contains',
  'ends_with',
  'floor',
  'join',
  'keys',
  'length',
  'map',
  'max',
  'max_by',
  'merge',
  'min',
  'min_by',
  'not_null',
  'reverse',
  'sort',
  'sort_by',
  'starts_with',
  'sum',
  'to_array',
  'to_number',
  'to_string',
  'type',
  'values',
]);

interface AstNode {
  readonly type: string;
  readonly name?: string;
  readonly children?: readonly (AstNode | null | undefined)[];
  /** The value of a `KeyValuePair` of a multi-select hash. */
  readonly value?: AstNode | null;
}

/** The sub-expressions of a node (a slice's children are its numbers, not expressions). */
function childrenOf(node: AstNode): readonly (AstNode | null | undefined)[] {
  if (node.type === 'Slice') return [];
  if (node.type === 'KeyValuePair') return [node.value];
  return node.children ?? [];
}

/**
 * What is wrong with a compiled expression that jmespath.js accepts but that cannot select a key: an
 * incomplete one (`a.`, `a..b`), an unknown function, or one that does not read its input at all (an
 * unterminated `'raw string`, an `&expression` reference, a literal), which would give every event the same key.
 */
function checkExpression(ast: unknown): string | undefined {
  const problems: string[] = [];
  const visit = (node: AstNode | null | undefined): void => {
    if (node === null || node === undefined || typeof node !== 'object') {
      problems.push('it is incomplete (a missing field name, as in `a.` or `a..b`)');
      return;
    }
    if (node.type === 'Function' && !JMESPATH_FUNCTIONS.has(node.name ?? '')) problems.push(`unknown function ${node.name ?? ''}()`);
    for (const child of childrenOf(node)) visit(child);
  };
  visit(ast as AstNode);
  if (problems.length > 0) return problems[0];
  if (!readsInput(ast as AstNode)) {
    return 'it does not read the input (a literal, a raw string or an &expression reference), so every event would get the same key';
  }
  return undefined;
}

/** Whether evaluating the node reads the value it is applied to. */
function readsInput(node: AstNode): boolean {
  switch (node.type) {
    case 'Field':
    case 'Current':
    case 'Identity':
      return true;
    case 'Literal':
    case 'ExpressionReference':
      return false;
    case 'Subexpression':
    case 'Pipe':
    case 'Projection':
    case 'ValueProjection':
    case 'FilterProjection':
    case 'Flatten':
    case 'IndexExpression':
      // The right-hand side is applied to what the left-hand side selected.
      return node.children?.[0] ? readsInput(node.children[0]) : false;
    default:
      return childrenOf(node).some((child) => child !== null && child !== undefined && readsInput(child));
  }
}

/**
 * The steps of a plain path (field names and indexes: `order.id`, `items[0].sku`), or undefined for any
 * other expression. See `./selectors/plain-path`.
 */
export const simplePath = parsePlainPath;

/** JMESPath semantics for field and index steps: anything absent or of the wrong kind is null. */
export const walk = evaluatePlainPath;

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
