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
 * The common case costs one regular-expression scan and a strided look at every 16th character on top of
 * `JSON.parse`. Only a text with a run of 16 digits and points (`12345678901234567890`,
 * `0.1000000000000000055`) or a digit followed by an exponent that can matter (see `EXPONENT`) is parsed
 * exactly. Any other number has at most 15 significant digits (a double keeps 15: the double `JSON.parse` gives
 * prints back as the same number) and either no exponent or a negative one of one or two digits (so its value
 * lies between 10^-112 and 10^15, inside a double's normal range and below 2^53): `JSON.parse` already gives it
 * exactly.
 */
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

/**
 * A digit, then an exponent that can take a number of at most 15 significant digits out of what `JSON.parse`
 * gives exactly: a positive one (`1e16`, `1E+20`, Java's `1.0E16`: the value may reach 2^53, or overflow:
 * `1e400`), or a negative one of three digits or more (`1e-400` underflows, `1e-310` is denormal). A negative
 * exponent of one or two digits (`1e-7`, `2.5E-05`) cannot, so such texts stay on the fast path.
 */
const EXPONENT = /\d[eE](?:\+?\d|-\d\d\d)/;

/** How many digits and points in a row a number with 16 significant digits or more has at least. */
const RUN = 16;

/** Is `c` (a character code, `NaN` past the text's end) a digit or a point? */
function inNumber(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/**
 * Has the text a run of {@link RUN} digits and points? Any such run covers one of the characters at
 * `RUN - 1`, `2 * RUN - 1`, …, so only those are looked at. A run of 16 through one of them also covers the
 * character 8 before it or 8 after it, so those two are looked at next, and only when one of them is a digit
 * or a point is the run measured; a shorter run moves the look to just past its end. A regular expression
 * looks at every character, several times slower on ordinary payloads.
 */
function hasLongRun(text: string): boolean {
  const length = text.length;
  for (let probe = RUN - 1; probe < length; probe += RUN) {
    if (!inNumber(text.charCodeAt(probe))) continue;
    if (!inNumber(text.charCodeAt(probe + RUN / 2)) && !inNumber(text.charCodeAt(probe - RUN / 2))) continue;
    let start = probe;
    while (start > 0 && inNumber(text.charCodeAt(start - 1))) start -= 1;
    let end = probe + 1;
    while (end < length && inNumber(text.charCodeAt(end))) end += 1;
    if (end - start >= RUN) return true;
    // `end` is not in a run; every run starting after it covers `end + RUN * k` for some k ≥ 1.
    probe = end;
  }
  return false;
}

/**
 * Could a number in this text lose information in `JSON.parse`? Only one with 16 significant digits or more
 * (then 16 digits and points in a row) or with an exponent `EXPONENT` matches. False positives (digits
 * in strings, `1e5`) only cost time.
 */
function mayRound(text: string): boolean {
  return hasLongRun(text) || EXPONENT.test(text);
}

/** A JSON text parsed with every number exact (see the module's documentation). Throws `SyntaxError` as `JSON.parse`. */
export function parseJson(text: string): unknown {
  if (typeof text !== 'string' || !mayRound(text)) return JSON.parse(text);
  return substituted(text) ?? new ExactParser(text).parse();
}

/** The tokens of a JSON text that matter here: strings (skipped whole) and numbers. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;
const STRICT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The faster exact parse: each number `JSON.parse` would round is replaced by the string `"\u0000<n>"`, the
 * text is parsed natively, and the exact values are put back by one walk of the result (a reviver costs several
 * parses: it is called for every value). No string of the text can hold a NUL character unless it writes the
 * escape `\u0000` (JSON refuses a raw one), so such texts are left to the iterative parser (`undefined`); so are
 * texts that fail to parse (for the native error message).
 */
function substituted(text: string): unknown {
  if (text.includes('\\u0000')) return undefined;
  const exact: unknown[] = [];
  const rewritten = text.replace(TOKENS, (token) => {
    // A string, or a number of at most 15 characters without an exponent (15 significant digits at most): kept.
    if (token.charCodeAt(0) === 34 || (token.length <= 15 && !/[eE]/.test(token)) || !STRICT_NUMBER.test(token)) return token;
    const value = exactNumber(token);
    if (typeof value === 'number') return token;
    exact.push(value);
    return `"\\u0000${exact.length - 1}"`;
  });
  if (exact.length === 0) return JSON.parse(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rewritten);
  } catch {
    return undefined;
  }
  return restored(parsed, exact);
}

/** `exact[n]` for a placeholder `"\u0000<n>"`, else `undefined`. */
function placeholder(value: unknown, exact: readonly unknown[]): unknown {
  return typeof value === 'string' && value.charCodeAt(0) === 0 ? exact[Number(value.slice(1))] : undefined;
}

/**
 * Puts the exact values back in place of their placeholders, walking the parsed value without recursion (its
 * depth is bounded by memory only) and stopping once every placeholder is found.
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
  return parsed;
}

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
