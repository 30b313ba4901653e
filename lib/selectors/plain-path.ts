/**
 * Plain paths: the JMESPath expressions made only of field names and integer indexes (`orderId`,
 * `body.orderId`, `detail."order-id"`, `items[0].sku`, `items[-1]`). They are most keys, and they need no
 * JMESPath engine: this module parses and evaluates them with JMESPath's semantics, so that the engine
 * (the `jmespath` package) is loaded only for an expression that needs it (see `./jmespath-engine`).
 *
 * The grammar, a subset of JMESPath's, without whitespace:
 *
 *     path  = (field | index) ("." field | index)*
 *     field = [A-Za-z_][A-Za-z0-9_]*  |  a JSON string in double quotes
 *     index = "[" "-"? digits "]"
 */

/** One step of a plain path: a field name, or an index (negative counts from the end). */
export type PathStep = string | number;

const UNQUOTED = /[A-Za-z_][A-Za-z0-9_]*/y;
const QUOTED = /"(?:[^"\\]|\\.)*"/y;
const INDEX = /\[(-?\d+)\]/y;

/**
 * The steps of `expression` if it is a plain path, otherwise `undefined` (the expression is then left to
 * the JMESPath engine, which either evaluates it or reports its syntax error).
 */
export function parsePlainPath(expression: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  let at = 0;
  let needField = false;
  while (at < expression.length) {
    if (!needField && expression[at] === '[') {
      const index = match(INDEX, expression, at);
      if (index === undefined) return undefined;
      const value = Number(index[1]);
      if (!Number.isSafeInteger(value)) return undefined;
      steps.push(value);
      at += index[0].length;
      continue;
    }
    if (steps.length > 0 && !needField) {
      if (expression[at] !== '.') return undefined;
      needField = true;
      at += 1;
      continue;
    }
    const field = readField(expression, at);
    if (field === undefined) return undefined;
    steps.push(field.name);
    at = field.end;
    needField = false;
  }
  return steps.length > 0 && !needField ? steps : undefined;
}

function match(pattern: RegExp, text: string, at: number): RegExpExecArray | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text) ?? undefined;
}

function readField(expression: string, at: number): { name: string; end: number } | undefined {
  const unquoted = match(UNQUOTED, expression, at);
  if (unquoted !== undefined) return { name: unquoted[0], end: at + unquoted[0].length };
  const quoted = match(QUOTED, expression, at);
  if (quoted === undefined) return undefined;
  try {
    const name: unknown = JSON.parse(quoted[0]);
    return typeof name === 'string' ? { name, end: at + quoted[0].length } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The value a plain path selects, with JMESPath's semantics: a field of anything but an object, an index of
 * anything but an array, and anything absent select `null`. One difference, on purpose: a field is an own
 * property only (`constructor` or `toString` of a plain object select `null`, where the `jmespath`
 * package would return the inherited function).
 */
export function evaluatePlainPath(value: unknown, steps: readonly PathStep[]): unknown {
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
