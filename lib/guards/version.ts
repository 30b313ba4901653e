/**
 * Versions of guarded writes: validation into DynamoDB Number text, and numeric comparison of Number text.
 *
 * A version is sent as a DynamoDB Number (`N`): it holds up to 38 significant digits and DynamoDB compares
 * Numbers numerically, so a 20-digit SQS FIFO `SequenceNumber` keeps its exact value and "9…" stays below
 * "18…". Nothing here goes through a JavaScript float.
 */
import { IdempotencyVersionError } from '../errors';

/** A version accepted by `applyIfNewer` and `newerThan`: an integer in one of four spellings. */
export type GuardVersion = number | bigint | Date | string;

/** Most significant digits a DynamoDB Number holds. */
export const MAX_VERSION_DIGITS = 38;

const EXPECTED =
  'Expected `version` to be a safe integer number, a bigint, a valid Date or a decimal integer string ' +
  `of at most ${MAX_VERSION_DIGITS} digits`;

const INTEGER_TEXT = /^(-?)(\d+)$/;

function describeVersion(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return 'Invalid Date';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'undefined';
}

function invalid(value: unknown, why?: string): IdempotencyVersionError {
  return new IdempotencyVersionError(`${EXPECTED}, got ${describeVersion(value)}${why === undefined ? '' : ` (${why})`}`, { value });
}

/** Canonical text of an integer given as sign and digits: no leading zeros, no "-0". */
function canonical(sign: string, digits: string, original: unknown): string {
  const significant = digits.replace(/^0+/, '');
  if (significant.length > MAX_VERSION_DIGITS) {
    throw invalid(original, `${significant.length} digits`);
  }
  if (significant === '') return '0';
  return `${sign}${significant}`;
}

/**
 * Validates a version and returns its canonical DynamoDB Number text (an integer without leading zeros).
 * A `Date` stands for its epoch milliseconds.
 *
 * @throws IdempotencyVersionError naming the value when it is not an integer DynamoDB can hold exactly.
 */
export function versionText(version: unknown): string {
  if (typeof version === 'number') {
    if (!Number.isFinite(version)) throw invalid(version, 'not finite');
    if (!Number.isInteger(version)) throw invalid(version, 'not an integer');
    if (!Number.isSafeInteger(version)) {
      throw invalid(version, 'beyond Number.MAX_SAFE_INTEGER, so already imprecise: pass a bigint or a string');
    }
    return String(version === 0 ? 0 : version);
  }
  if (typeof version === 'bigint') {
    const text = version.toString();
    return text.startsWith('-') ? canonical('-', text.slice(1), version) : canonical('', text, version);
  }
  if (version instanceof Date) {
    const ms = version.getTime();
    if (Number.isNaN(ms)) throw invalid(version, 'an invalid Date');
    return String(ms === 0 ? 0 : ms);
  }
  if (typeof version === 'string') {
    const match = INTEGER_TEXT.exec(version);
    if (match === null) throw invalid(version, 'not a decimal integer');
    return canonical(match[1] ?? '', match[2] ?? '', version);
  }
  if (typeof version === 'boolean' || typeof version === 'symbol') throw invalid(version, `a ${typeof version}`);
  throw invalid(version);
}

/** A DynamoDB Number as sign × 0.digits × 10^point (digits without leading or trailing zeros). */
interface ParsedNumber {
  readonly sign: -1 | 0 | 1;
  readonly digits: string;
  readonly point: number;
}

const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function parseNumber(text: string): ParsedNumber | undefined {
  const match = NUMBER_TEXT.exec(text.trim());
  if (match === null) return undefined;
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const all = whole + fraction;
  const leadingZeros = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leadingZeros).replace(/0+$/, '');
  if (digits === '') return { sign: 0, digits: '', point: 0 };
  return {
    sign: match[1] === '-' ? -1 : 1,
    digits,
    point: whole.length - leadingZeros + Number(match[4] ?? '0'),
  };
}

/** Whether `text` is a number as DynamoDB writes it (integer, decimal or exponent notation). */
export function isNumberText(text: string): boolean {
  return parseNumber(text) !== undefined;
}

/**
 * Compares two DynamoDB Number texts numerically, exactly (any length, decimals and exponents included).
 * Returns a negative number when `a < b`, zero when equal, a positive number when `a > b`.
 *
 * @throws TypeError when either text is not a number.
 */
export function compareNumberText(a: string, b: string): number {
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (x === undefined || y === undefined) {
    throw new TypeError(`Expected two DynamoDB Number texts, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  if (x.sign !== y.sign) return x.sign - y.sign;
  if (x.sign === 0) return 0;
  let magnitude: number;
  if (x.point !== y.point) {
    magnitude = x.point - y.point;
  } else if (x.digits === y.digits) {
    magnitude = 0;
  } else {
    // Same position of the decimal point and no trailing zeros: digit strings order like the numbers.
    magnitude = x.digits < y.digits ? -1 : 1;
  }
  return x.sign * Math.sign(magnitude);
}
