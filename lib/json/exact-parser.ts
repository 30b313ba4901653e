/** The iterative JSON parser the exact path falls back to: every JSON text, any depth, numbers exact. */
import { exactNumber } from './numbers';

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
export class ExactParser {
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

export /** Sets an own property, even one named `__proto__`, as JSON.parse does. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
