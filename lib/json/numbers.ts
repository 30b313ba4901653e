/** A number's text and its exact value: the rule the whole JSON path applies to every number. */
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

/** A JSON number token, exactly as JSON writes one. */
export const STRICT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

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
