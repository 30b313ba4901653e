/**
 * `parseJson` hands a text to `JSON.parse` alone unless it may hold a number `JSON.parse` would round: a run of
 * 16 digits and points (found by looking at every 16th character, then 8 before and after), or a digit followed
 * by an exponent that can matter (positive, or negative of three digits or more). These specifications pin the
 * edges of that shortcut: whatever the shortcut decides, every number comes out exact.
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { exactNumber, parseJson } from '../../lib/json';

/** The one number of `[text]`, parsed. */
function parsedNumber(text: string): unknown {
  return (parseJson(`[${text}]`) as unknown[])[0];
}

describe('exponents on the fast path', () => {
  it('a negative exponent of one or two digits gives the number JSON.parse gives, in either case', () => {
    for (const text of ['1e-7', '2.5E-05', '-3e-99', '123456789012345e-99', '0.0000000000001e-99', '1E-0', '7e-1']) {
      const value = parsedNumber(text);
      expect(typeof value).toBe('number');
      expect(value).toBe(JSON.parse(text) as number);
    }
    expect(Object.is(parsedNumber('-0e-5'), -0)).toBe(true);
  });
});

describe('exponents that can take a number out of what a double holds exactly', () => {
  it('a positive exponent reaching 2^53 gives a bigint, in either case, with or without a sign, as Java writes it', () => {
    for (const text of ['1e16', '1E16', '1e+16', '1E+16', '1.0E16', '1e016', '1e0000000000016']) {
      expect(parsedNumber(text)).toBe(10n ** 16n);
    }
    expect(parsedNumber('-1E+16')).toBe(-(10n ** 16n));
  });

  it('a one-digit positive exponent on a long mantissa reaches 2^53 too', () => {
    expect(parsedNumber('9999999.9e9')).toBe(9999999900000000n);
    expect(parsedNumber('9007199.254740992e9')).toBe(2n ** 53n);
    expect(parsedNumber('123456789e8')).toBe(12345678900000000n);
    // Below 2^53 the number JSON.parse gives is exact.
    expect(parsedNumber('9.007199254740991e15')).toBe(9007199254740991);
  });

  it('an exponent beyond a double range gives the exact value', () => {
    expect(parsedNumber('1e400')).toBe(10n ** 400n);
    expect(parsedNumber('1E+1001')).toEqual(NumberValue.from('1E+1001'));
  });

  it('a negative exponent of three digits or more that underflows gives a NumberValue of the text', () => {
    for (const text of ['1e-400', '-1E-400', '1e-0400', '1e-000000000000400', '1.2345e-320']) {
      expect(parsedNumber(text)).toEqual(NumberValue.from(text));
    }
    // A double holds these exactly (the last two are denormal): they stay numbers.
    for (const text of ['1e-100', '5e-324', '1e-310']) expect(parsedNumber(text)).toBe(Number(text));
  });
});

describe('where the number stands', () => {
  it('a whole text that is one number, of either sign', () => {
    expect(parseJson('1e16')).toBe(10n ** 16n);
    expect(parseJson('-1e16')).toBe(-(10n ** 16n));
    expect(parseJson('1e-400')).toEqual(NumberValue.from('1e-400'));
    expect(parseJson('12345678901234567')).toBe(12345678901234567n);
  });

  it('at the end of the text, right after a string, a member name or another number', () => {
    expect(parseJson('[0,1e16]')).toEqual([0, 10n ** 16n]);
    expect(parseJson('["x1",1E+16]')).toEqual(['x1', 10n ** 16n]);
    expect(parseJson('{"a1":1e-400}')).toEqual({ a1: NumberValue.from('1e-400') });
    expect(parseJson('[1,12345678901234567]')).toEqual([1, 12345678901234567n]);
  });

  it('a run of exactly 16 digits is found at every offset, up to the first and the last character of the text', () => {
    for (let pad = 0; pad < 40; pad += 1) {
      const space = ' '.repeat(pad);
      expect(parseJson(`${space}9007199254740993`)).toBe(9007199254740993n);
      expect(parseJson(`9007199254740993${space}`)).toBe(9007199254740993n);
      expect(parseJson(`[${'1,'.repeat(pad)}-9007199254740993]`)).toEqual([...(Array(pad).fill(1) as number[]), -9007199254740993n]);
    }
  });

  it('inside a string, a number-like text stays the string', () => {
    expect(parseJson('["1e16", "1E-400", "12345678901234567890"]')).toEqual(['1e16', '1E-400', '12345678901234567890']);
    expect(parseJson('{"v1e5": 1e-5}')).toEqual({ v1e5: 1e-5 });
  });
});

// ------------------------------------------------------------------------------------------------ property

/** A JSON number, spelled any way JSON allows: sign, leading digits, a fraction, an exponent of 1 to 4 digits. */
const jsonNumber = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,19}$/)),
    fc.option(fc.stringMatching(/^\d{1,19}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^\d{1,4}$/)), { nil: undefined }),
  )
  .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${exponent?.join('') ?? ''}`);

/** A string whose content is made of short runs of digits and points, letters that exponents use, and spaces. */
const numberLikeString = fc
  .array(fc.oneof(fc.stringMatching(/^[\d.]{1,15}$/), fc.constantFrom(' ', 'x', 'e', 'E', '-', '+')), { maxLength: 12 })
  .map((parts) => JSON.stringify(parts.join('')));

describe('property: every number comes out exact, wherever it stands among number-like strings', () => {
  it('numbers of any length, precision and exponent, between strings of digits, points and exponent letters', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            jsonNumber.map((text) => ({ text, number: true })),
            numberLikeString.map((text) => ({ text, number: false })),
          ),
          {
            maxLength: 12,
          },
        ),
        fc.constantFrom(',', ', ', ',\n'),
        (items, separator) => {
          const text = `[${items.map((item) => item.text).join(separator)}]`;
          const expected = items.map((item) => (item.number ? exactNumber(item.text) : JSON.parse(item.text)));
          expect(parseJson(text)).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
