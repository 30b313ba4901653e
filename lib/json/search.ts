/**
 * The fast path's check: two searches find every number `JSON.parse` would not give exactly, and each find counts
 * only where a number stands.
 */
import { exactNumber, STRICT_NUMBER } from './numbers';

/**
 * Sixteen digits and points in a row: a number with 16 significant digits or more, written without an
 * exponent, has such a run. Written out rather than as `{16}`: measured, that lets the regular-expression engine
 * skip ahead over characters that are no digit or point (about 75 ns on a 381-byte payload, against ~780 ns).
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
export interface InexactNumber {
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

/** Every number of the text that `JSON.parse` would not give exactly, in the text's order: what the exact path replaces. */
export function inexactNumbers(text: string): InexactNumber[] {
  const found: InexactNumber[] = [];
  findInexact(LONG_RUN, text, found);
  findInexact(EXPONENT, text, found);
  return outsideStrings(
    text,
    found.sort((a, b) => a.start - b.start),
  );
}
