import fc from 'fast-check';
import { IdempotencyError, IdempotencyVersionError } from '../../lib/errors';
import { compareNumberText, isNumberText, MAX_VERSION_DIGITS, versionText } from '../../lib/guards/version';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const EXPECTED_PREFIX =
  'Expected `version` to be a safe integer number, a bigint, a valid Date or a decimal integer string of at most 38 digits, got ';

describe('versionText: the DynamoDB Number text of a version', () => {
  it('writes a safe integer number as its decimal digits', () => {
    expect(versionText(42)).toBe('42');
    expect(versionText(-7)).toBe('-7');
    expect(versionText(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it('writes negative zero as 0', () => {
    expect(versionText(-0)).toBe('0');
  });

  it('writes a bigint exactly, up to 38 digits', () => {
    expect(versionText(10n ** 38n - 1n)).toBe('9'.repeat(38));
    expect(versionText(-(10n ** 37n))).toBe(`-1${'0'.repeat(37)}`);
  });

  it('writes a Date as its epoch milliseconds', () => {
    expect(versionText(new Date('2024-05-01T12:00:00.123Z'))).toBe('1714564800123');
    expect(versionText(new Date(-1000))).toBe('-1000');
  });

  it('keeps every digit of a 20-digit SQS FIFO SequenceNumber', () => {
    expect(versionText('18849496460467696128')).toBe('18849496460467696128');
  });

  it('drops the leading zeros of a decimal string, and the sign of zero', () => {
    expect(versionText('000123')).toBe('123');
    expect(versionText('-0042')).toBe('-42');
    expect(versionText('-000')).toBe('0');
  });

  it('accepts 38 significant digits after leading zeros', () => {
    expect(versionText(`000${'9'.repeat(38)}`)).toBe('9'.repeat(38));
  });

  it('rejects a fractional number, naming it', () => {
    const error = thrown(() => versionText(1.5));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect((error as IdempotencyVersionError).message).toBe(`${EXPECTED_PREFIX}1.5 (not an integer)`);
    expect((error as IdempotencyVersionError).value).toBe(1.5);
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY]])('rejects %p', (value) => {
    const error = thrown(() => versionText(value));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}${value} (not finite)`);
  });

  it('rejects an integer number beyond 2^53, which is already imprecise, and says what to pass instead', () => {
    const error = thrown(() => versionText(2 ** 60));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(
      `${EXPECTED_PREFIX}1152921504606847000 (beyond Number.MAX_SAFE_INTEGER, so already imprecise: pass a bigint or a string)`,
    );
  });

  it('rejects a bigint of 39 digits', () => {
    const error = thrown(() => versionText(10n ** 38n));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}1${'0'.repeat(38)}n (39 digits)`);
  });

  it('rejects a decimal string of 39 significant digits', () => {
    const text = `1${'0'.repeat(38)}`;
    const error = thrown(() => versionText(text));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}"${text}" (39 digits)`);
  });

  it.each([['1.5'], ['1e3'], ['+5'], [' 5'], [''], ['0x10'], ['five'], ['5 ']])('rejects the string %j', (text) => {
    const error = thrown(() => versionText(text));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}${JSON.stringify(text)} (not a decimal integer)`);
  });

  it('rejects an invalid Date', () => {
    const error = thrown(() => versionText(new Date('not a date')));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}Invalid Date (an invalid Date)`);
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    [{ N: '5' }, 'an object'],
    [true, 'true (a boolean)'],
  ])('rejects %p', (value, description) => {
    const error = thrown(() => versionText(value));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(`${EXPECTED_PREFIX}${description}`);
  });

  it('gives the same text for the same integer in every spelling', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        const text = versionText(ms);
        return versionText(BigInt(ms)) === text && versionText(String(ms)) === text && versionText(new Date(ms)) === text;
      }),
    );
  });

  it('round-trips every bigint of up to 38 digits', () => {
    const limit = 10n ** BigInt(MAX_VERSION_DIGITS) - 1n;
    fc.assert(fc.property(fc.bigInt({ min: -limit, max: limit }), (value) => BigInt(versionText(value)) === value));
  });
});

describe('compareNumberText: exact numeric order of DynamoDB Number texts', () => {
  it('orders a 19-digit "9…" below a 20-digit "18…" (where string order is wrong)', () => {
    expect(compareNumberText('9000000000000000000', '18000000000000000000')).toBeLessThan(0);
    expect(compareNumberText('18000000000000000000', '9000000000000000000')).toBeGreaterThan(0);
  });

  it('tells numbers one apart at 38 digits', () => {
    expect(compareNumberText(`${'9'.repeat(37)}8`, '9'.repeat(38))).toBeLessThan(0);
  });

  it('treats spellings of the same number as equal', () => {
    expect(compareNumberText('1.50', '1.5')).toBe(0);
    expect(compareNumberText('1e3', '1000')).toBe(0);
    expect(compareNumberText('-0', '0')).toBe(0);
    expect(compareNumberText('007', '7')).toBe(0);
    expect(compareNumberText('0.0', '0')).toBe(0);
    expect(compareNumberText('12E-1', '1.2')).toBe(0);
  });

  it('orders negative numbers, decimals and exponents', () => {
    expect(compareNumberText('-10', '-9')).toBeLessThan(0);
    expect(compareNumberText('-0.5', '0')).toBeLessThan(0);
    expect(compareNumberText('0.123', '0.12')).toBeGreaterThan(0);
    expect(compareNumberText('0.2', '0.123')).toBeGreaterThan(0);
    expect(compareNumberText('1e40', '9'.repeat(38))).toBeGreaterThan(0);
    expect(compareNumberText('1E-130', '0')).toBeGreaterThan(0);
  });

  it('throws a TypeError naming a text that is not a number', () => {
    expect(() => compareNumberText('abc', '1')).toThrow(new TypeError('Expected two DynamoDB Number texts, got "abc" and "1"'));
  });

  it('recognises number texts', () => {
    expect(isNumberText('-1.5E+3')).toBe(true);
    expect(isNumberText('.5')).toBe(true);
    expect(isNumberText('.')).toBe(false);
    expect(isNumberText('')).toBe(false);
    expect(isNumberText('1e')).toBe(false);
  });

  it('agrees with bigint order on integers of any length', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), (a, b) => {
        const expected = a < b ? -1 : a > b ? 1 : 0;
        return Math.sign(compareNumberText(a.toString(), b.toString())) === expected;
      }),
    );
  });

  it('agrees with exact order on decimals written with a point and an exponent', () => {
    // value = mantissa × 10^-scale, written as a decimal with a point, then with an exponent.
    const decimal = fc.record({ mantissa: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), scale: fc.integer({ min: 0, max: 25 }) });
    const pointText = ({ mantissa, scale }: { mantissa: bigint; scale: number }): string => {
      const digits = (mantissa < 0n ? -mantissa : mantissa).toString().padStart(scale + 1, '0');
      const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
      return mantissa < 0n ? `-${text}` : text;
    };
    const exponentText = ({ mantissa, scale }: { mantissa: bigint; scale: number }): string => `${mantissa}E-${scale}`;
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const common = Math.max(a.scale, b.scale);
        const x = a.mantissa * 10n ** BigInt(common - a.scale);
        const y = b.mantissa * 10n ** BigInt(common - b.scale);
        const expected = x < y ? -1 : x > y ? 1 : 0;
        return (
          Math.sign(compareNumberText(pointText(a), pointText(b))) === expected &&
          Math.sign(compareNumberText(exponentText(a), pointText(b))) === expected &&
          Math.sign(compareNumberText(pointText(a), exponentText(b))) === expected
        );
      }),
    );
  });
});
