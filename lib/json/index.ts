/**
 * JSON payloads parsed so that no number loses information. `JSON.parse` rounds every number to a double:
 * `12345678901234567890` and `12345678901234567891` both become `12345678901234567000`, and
 * `0.1000000000000000055511151231257827` becomes `0.1`. {@link parseJson} gives what `JSON.parse` gives,
 * except such numbers:
 * - an integer beyond `Number.MAX_SAFE_INTEGER` (in either sign) is a `bigint`, exact;
 * - any other number whose value a `number` does not hold exactly (more significant digits than a double
 *   keeps, or beyond its range: `1e400`) is a `NumberValue` (`@aws-sdk/util-dynamodb`) holding the text;
 * - every other number is the `number` `JSON.parse` gives.
 * These are the types a DynamoDB Streams image already gives such numbers, so keys, fingerprints and
 * handlers see one representation whatever the source.
 *
 * The common case costs two regular-expression searches on top of `JSON.parse` ({@link mayRound}). A number
 * that `JSON.parse` may not give exactly has 16 significant digits or more (then, without an exponent, a run of 16
 * digits and points: `12345678901234567890`, `0.1000000000000000055`) or an exponent (`1e16`, `1e-400`); any other
 * number has at most 15 significant digits and lies between 10^-15 and 10^15, where the double `JSON.parse` gives
 * prints back as the same number. Each candidate counts only where a number stands (not in a string: ids, hashes,
 * UUIDs and dates stay on the fast path) and only if {@link exactNumber} finds that a `number` does not hold it;
 * then the whole text is parsed exactly.
 */
import { define, ExactParser } from './exact-parser';
import { inexactNumbers, mayRound } from './search';

export { decimalValue, exactNumber, type DecimalValue } from './numbers';
export { mayRound } from './search';

/** A JSON text parsed with every number exact (see the module's documentation). Throws `SyntaxError` as `JSON.parse`. */
export function parseJson(text: string): unknown {
  if (typeof text !== 'string' || !mayRound(text)) return JSON.parse(text);
  return substituted(text) ?? new ExactParser(text).parse();
}

/**
 * The faster exact parse: each number `JSON.parse` would not give exactly is replaced by the string
 * `"\u0000<n>"`, the text is parsed natively, and the exact values are put back by one walk of the result (a
 * reviver costs several parses: it is called for every value). {@link inexactNumbers} finds those numbers (the
 * two searches of {@link mayRound}, without what stands in a string). No string of the text can hold a NUL character
 * unless it writes the escape `\u0000` (JSON refuses a raw one), so such texts are left to the iterative parser
 * (`undefined`); so are texts that fail to parse (for the native error message).
 */
function substituted(text: string): unknown {
  if (text.includes('\\u0000')) return undefined;
  const numbers = inexactNumbers(text);
  if (numbers.length === 0) return JSON.parse(text);
  let rewritten = '';
  let copied = 0;
  for (const [n, number] of numbers.entries()) {
    rewritten += `${text.slice(copied, number.start)}"\\u0000${n}"`;
    copied = number.end;
  }
  rewritten += text.slice(copied);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rewritten);
  } catch {
    return undefined;
  }
  return restored(
    parsed,
    numbers.map((number) => number.value),
  );
}

/** `exact[n]` for a placeholder `"\u0000<n>"`, else `undefined`. */
function placeholder(value: unknown, exact: readonly unknown[]): unknown {
  return typeof value === 'string' && value.charCodeAt(0) === 0 ? exact[Number(value.slice(1))] : undefined;
}

/**
 * Puts the exact values back in place of their placeholders, walking the parsed value without recursion (its
 * depth is bounded by memory only) and stopping once every placeholder is found. `undefined` when one is not
 * found as a value: it stood as a member name (`{"a":1, 12345678901234567890: 2}`, no JSON, which the native
 * parse refuses when the number is there), or a later member of the same name replaced it; the iterative parser
 * then decides.
 */
function restored(parsed: unknown, exact: readonly unknown[]): unknown {
  const top = placeholder(parsed, exact);
  if (top !== undefined) return top;
  let left = exact.length;
  const stack: object[] = typeof parsed === 'object' && parsed !== null ? [parsed] : [];
  for (let container = stack.pop(); container !== undefined && left > 0; container = stack.pop()) {
    const record = container as Record<string, unknown>;
    for (const name of Array.isArray(container) ? container.keys() : Object.keys(container)) {
      const value = record[name];
      const found = placeholder(value, exact);
      if (found !== undefined) {
        define(container, String(name), found);
        left -= 1;
      } else if (typeof value === 'object' && value !== null) {
        stack.push(value);
      }
    }
  }
  return left === 0 ? parsed : undefined;
}
