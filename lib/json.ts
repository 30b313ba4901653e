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
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

/**
 * Sixteen digits and points in a row: a number with 16 significant digits or more, written without an
 * exponent, has such a run. Written out rather than as `{16}`, so that the regular-expression engine looks at
 * every 8th character only and skips ahead where it is no digit or point.
 */
const LONG_RUN = new RegExp('[\\d.]'.repeat(16), 'g');

/**
 * A digit, then an exponent, then what can follow a number (`, } ]`, white space, the end): any number written
 * with an exponent has this, and the digits of hex strings and UUIDs (`"…7e87ab…"`) rarely do.
 */
const EXPONENT = /\d[eE][+-]?\d+(?=[,}\]\s]|$)/g;

/** Is `c` (a character code, `NaN` past the text's ends) one a JSON number is written with: `0-9 . e E + -`? */
function numberCharacter(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/** Can a JSON value start right after `c` (a character code, `NaN` before the text)? After `: , [`, white space, or at the start. */
function beforeValue(c: number): boolean {
  return c === 58 || c === 44 || c === 91 || c === 32 || c === 10 || c === 13 || c === 9 || Number.isNaN(c);
}

/** A number `JSON.parse` would not give exactly: where its token stands in the text, and its exact value. */
interface InexactNumber {
  readonly start: number;
  readonly end: number;
  readonly value: unknown;
}

/**
 * Finds the number tokens `pattern` leads to that `JSON.parse` would not give exactly, and adds them to `found`;
 * without `found`, only tells whether there is one. Each match is widened to its run of number characters
 * (`0-9 . e E + -`). A number token starts after `: , [`, white space or at the text's start, and ends before
 * anything else, so a run that starts after anything else (a quote, a letter: the digits of an id, a hash, a UUID
 * or a date in a string) is not one, or the text is no JSON and `JSON.parse` refuses it either way. A run in a
 * token's place is judged by {@link exactNumber}, the rule the exact parse applies to every number (it may still
 * stand inside a string, after a space: {@link outsideStrings} tells). The search goes on after the run (no
 * token starts inside it), so each run is widened once.
 */
function findInexact(pattern: RegExp, text: string, found?: InexactNumber[]): boolean {
  pattern.lastIndex = 0;
  while (pattern.test(text)) {
    let end = pattern.lastIndex;
    let start = end - 1;
    while (numberCharacter(text.charCodeAt(start - 1))) start -= 1;
    while (numberCharacter(text.charCodeAt(end))) end += 1;
    if (beforeValue(text.charCodeAt(start - 1))) {
      const token = text.slice(start, end);
      const value = STRICT_NUMBER.test(token) ? exactNumber(token) : undefined;
      if (value !== undefined && typeof value !== 'number') {
        if (found === undefined) return true;
        found.push({ start, end, value });
      }
    }
    pattern.lastIndex = end;
  }
  return false;
}

/**
 * Does this text hold a number `JSON.parse` would not give exactly? Such a number has 16 significant digits or
 * more (then, without an exponent, a run of 16 digits and points) or an exponent, so two searches find every
 * candidate; a candidate counts only where a number stands, and only if it is such a number. So `1e-7`,
 * `1733508000000000` (a microsecond timestamp, below 2^53) and digits inside strings keep the fast path.
 */
export function mayRound(text: string): boolean {
  return findInexact(LONG_RUN, text) || findInexact(EXPONENT, text);
}

/** A JSON text parsed with every number exact (see the module's documentation). Throws `SyntaxError` as `JSON.parse`. */
export function parseJson(text: string): unknown {
  if (typeof text !== 'string' || !mayRound(text)) return JSON.parse(text);
  return substituted(text) ?? new ExactParser(text).parse();
}

const STRICT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The numbers of `found` (in the text's order, each once) that stand outside strings: a quote opens a string
 * outside one, and closes it inside one unless an odd number of backslashes comes before it.
 */
function outsideStrings(text: string, found: readonly InexactNumber[]): InexactNumber[] {
  const outside: InexactNumber[] = [];
  let inString = false;
  let at = 0;
  let last = -1;
  for (const number of found) {
    if (number.start === last) continue;
    last = number.start;
    for (let quote = text.indexOf('"', at); quote !== -1 && quote < number.start; quote = text.indexOf('"', at)) {
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes += 1;
      if (!inString || backslashes % 2 === 0) inString = !inString;
      at = quote + 1;
    }
    if (!inString) outside.push(number);
  }
  return outside;
}

/**
 * The faster exact parse: each number `JSON.parse` would not give exactly is replaced by the string
 * `"\u0000<n>"`, the text is parsed natively, and the exact values are put back by one walk of the result (a
 * reviver costs several parses: it is called for every value). The two searches of {@link mayRound} find those
 * numbers; {@link outsideStrings} drops what stands in a string. No string of the text can hold a NUL character
 * unless it writes the escape `\u0000` (JSON refuses a raw one), so such texts are left to the iterative parser
 * (`undefined`); so are texts that fail to parse (for the native error message).
 */
function substituted(text: string): unknown {
  if (text.includes('\\u0000')) return undefined;
  const found: InexactNumber[] = [];
  findInexact(LONG_RUN, text, found);
  findInexact(EXPONENT, text, found);
  const numbers = outsideStrings(
    text,
    found.sort((a, b) => a.start - b.start),
  );
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

/** An integer as text: an optional minus and digits. */
const INTEGER = /^-?\d+$/;

/** A decimal number as text: sign, digits with an optional point, optional exponent. */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** A decimal value written one way only: significant digits (no leading or trailing zeros) times 10^exponent. */
export interface DecimalValue {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: number;
}

/**
 * The value of a decimal text, written one way only: `'12.50'`, `'1.25E+1'` and `'0012.5'` all give
 * `{ negative: false, digits: '125', exponent: -1 }`; zero (of either sign) is `{ negative: false, digits: '0',
 * exponent: 0 }`. `undefined` when `text` is not a decimal number (or its exponent is not a safe integer).
 */
export function decimalValue(text: string): DecimalValue | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole.length === 0 && fraction.length === 0) return undefined;
  const all = `${whole}${fraction}`.replace(/^0+/, '');
  const digits = all.replace(/0+$/, '');
  if (digits.length === 0) return { negative: false, digits: '0', exponent: 0 };
  const exponent = Number(match[4] ?? '0') - fraction.length + (all.length - digits.length);
  if (!Number.isSafeInteger(exponent)) return undefined;
  return { negative: match[1] === '-', digits, exponent };
}

function sameDecimal(a: DecimalValue | undefined, b: DecimalValue | undefined): boolean {
  return a !== undefined && b !== undefined && a.negative === b.negative && a.digits === b.digits && a.exponent === b.exponent;
}

/**
 * A number's text as the exact value: the `number` when it holds the value exactly, a `bigint` for an
 * integer beyond the safe range, else a `NumberValue` of the text. `undefined` when `text` is not a number.
 */
export function exactNumber(text: string): number | bigint | NumberValue | undefined {
  // An integer of a few hundred digits at most (so at most 1000 trailing zeros, as below): the common case, cheaply.
  if (text.length <= 400 && INTEGER.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  const value = decimalValue(text);
  if (value === undefined) return undefined;
  const n = Number(text);
  if (value.exponent >= 0 && !Number.isSafeInteger(n) && value.exponent <= 1000) {
    return BigInt(`${value.negative ? '-' : ''}${value.digits}${'0'.repeat(value.exponent)}`);
  }
  if (Number.isFinite(n) && sameDecimal(decimalValue(String(n)), value)) return n;
  return NumberValue.from(text);
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_END = /(?:[^"\\]|\\.)*"/y;

/** A container being filled: an array, or an object and the member name read last. */
type Frame = { readonly array: unknown[] } | { readonly object: Record<string, unknown>; name: string | undefined };

/**
 * An iterative JSON parser (no recursion: nesting depth is bounded by memory, as in `JSON.parse`) whose
 * numbers go through {@link exactNumber}. It accepts exactly JSON; on any error it lets `JSON.parse` throw
 * its own `SyntaxError` for the same text.
 */
class ExactParser {
  #at = 0;
  readonly #text: string;

  public constructor(text: string) {
    this.#text = text;
  }

  public parse(): unknown {
    try {
      const value = this.#document();
      this.#space();
      if (this.#at !== this.#text.length) throw new SyntaxError('trailing text');
      return value;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // The same text, the native message (position included).
      JSON.parse(this.#text);
      throw error;
    }
  }

  #document(): unknown {
    const stack: Frame[] = [];
    for (;;) {
      this.#space();
      let value: unknown;
      const c = this.#text[this.#at];
      if (c === '[' || c === '{') {
        this.#at += 1;
        this.#space();
        const frame: Frame = c === '[' ? { array: [] } : { object: {}, name: undefined };
        if (this.#text[this.#at] === (c === '[' ? ']' : '}')) {
          this.#at += 1;
          value = 'array' in frame ? frame.array : frame.object;
        } else {
          stack.push(frame);
          if ('object' in frame) frame.name = this.#memberName();
          continue;
        }
      } else {
        value = this.#scalar();
      }
      // Hand the value to its container; close every container that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return value;
        if ('array' in top) top.array.push(value);
        else define(top.object, top.name as string, value);
        this.#space();
        const next = this.#text[this.#at];
        this.#at += 1;
        if (next === ',') {
          if ('object' in top) top.name = this.#memberName();
          break;
        }
        if (next !== ('array' in top ? ']' : '}')) throw new SyntaxError('expected , or a closing bracket');
        stack.pop();
        value = 'array' in top ? top.array : top.object;
      }
    }
  }

  /** `"name" :` of an object member. */
  #memberName(): string {
    this.#space();
    if (this.#text[this.#at] !== '"') throw new SyntaxError('expected a member name');
    const name = this.#string();
    this.#space();
    if (this.#text[this.#at] !== ':') throw new SyntaxError('expected :');
    this.#at += 1;
    return name;
  }

  #scalar(): unknown {
    const text = this.#text;
    const c = text[this.#at];
    if (c === '"') return this.#string();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(text);
    if (match === null) throw new SyntaxError('unexpected character');
    this.#at += match[0].length;
    return exactNumber(match[0]);
  }

  /** A string token, its escapes read by `JSON.parse` itself. */
  #string(): string {
    STRING_END.lastIndex = this.#at + 1;
    const match = STRING_END.exec(this.#text);
    if (match === null) throw new SyntaxError('unterminated string');
    const start = this.#at;
    this.#at = STRING_END.lastIndex;
    return JSON.parse(this.#text.slice(start, this.#at)) as string;
  }

  #space(): void {
    while (WHITESPACE.has(this.#text[this.#at] as string)) this.#at += 1;
  }
}

/** Sets an own property, even one named `__proto__`, as JSON.parse does. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
