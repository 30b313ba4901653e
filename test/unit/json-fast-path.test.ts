/**
 * `parseJson` hands a text to `JSON.parse` alone unless it holds a number `JSON.parse` would not give exactly
 * (`mayRound`): such a number has a run of 16 digits and points or an exponent, and counts only where a number
 * stands (after `: , [`, white space, or at the start), never inside a string. These specifications pin the
 * edges of that shortcut: whatever the shortcut decides, every number comes out exact, and the ids, hashes and
 * dates of ordinary payloads never send a text to the exact path.
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { decimalValue, exactNumber, mayRound, parseJson } from '../../lib/json';

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

describe('which texts take the exact path', () => {
  it('digits in strings never do: UUIDs, hashes, 19-digit ids, dates, exponents, after a quote or a letter', () => {
    const texts = [
      JSON.stringify({ orderId: '3f2e4a1b-7e87-4c1d-9e12-2e45c0e77f9e', requestId: '9f2e4d1c-5e12-4e3a-8e99-1e16e400e7e5' }),
      JSON.stringify({ sha1: '356a192b7913b04c54574d18c28d46e6395428ab', sha256: '2e16'.repeat(16) }),
      JSON.stringify({ snowflake: '1234567890123456789', card: '4111111111111111', decimal: '0.1000000000000000055' }),
      JSON.stringify({ at: '2026-12-06T18:00:00.000000000000000Z', version: '1.2.3.4.5.6.7.8.9', raw: 'x1e16/1E+400' }),
      JSON.stringify({ key12345678901234567890: 1, e1e16: 2, x: 'q9e99' }),
    ];
    for (const text of texts) {
      expect(mayRound(text)).toBe(false);
      expect(parseJson(text)).toEqual(JSON.parse(text));
    }
  });

  it('numbers a double holds exactly never do, exponents and 16-digit integers included', () => {
    for (const text of [
      '1e-7',
      '2.5E+3',
      '1E5',
      '-3e-99',
      '1733508000000000',
      '9007199254740991',
      '-9007199254740991',
      '1.0e15',
      '123456789012345e-99',
    ]) {
      expect(mayRound(`{"a": ${text}}`)).toBe(false);
      expect(mayRound(`[${text}]`)).toBe(false);
      expect(mayRound(text)).toBe(false);
    }
  });

  it('a number a double does not hold does, after : , [ and each kind of white space, and as the whole text', () => {
    const numbers = ['9007199254740993', '12345678901234567890', '0.1000000000000000055511151231257827', '1e16', '-1E+400', '1e-400'];
    for (const text of numbers) {
      expect(mayRound(text)).toBe(true);
      for (const before of ['{"a":', '[', '[0,', '[ ', '[\t', '[\n', '[\r', '{"a":\r\n\t ']) {
        expect(mayRound(`${before}${text}${before.startsWith('{') ? '}' : ']'}`)).toBe(true);
      }
    }
  });

  it('a string where a number-like text follows a space or a colon may take the exact path, and keeps its text', () => {
    const text = JSON.stringify({ note: 'ids: 12345678901234567890, 1e16 and 1E-400' });
    expect(mayRound(text)).toBe(true);
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('on the exact path, a number-like text in a string stays the string, escaped quotes and backslashes included', () => {
    const text = String.raw`{"note":"say \"x\": 12345678901234567890, 1e16","dir":"C:\\","n":12345678901234567891,"m":[ 1e16]}`;
    expect(parseJson(text)).toEqual({
      note: 'say "x": 12345678901234567890, 1e16',
      dir: 'C:\\',
      n: 12345678901234567891n,
      m: [10n ** 16n],
    });
  });

  it('the exact path parses natively once, whatever stands in strings, a number found by both searches included', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const text = '{"note":"ids: 12345678901234567890, 1e16","n":12345678901234567890e5,"m":1e16}';
      expect(parseJson(text)).toEqual({ note: 'ids: 12345678901234567890, 1e16', n: 1234567890123456789000000n, m: 10n ** 16n });
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('an integer written out gives the type and value its exponent spelling gives, however long', () => {
    /** The type of an exact number and its value, written one way only. */
    const denoted = (value: unknown): [string, unknown] => [
      typeof value === 'object' ? 'NumberValue' : typeof value,
      decimalValue(value instanceof NumberValue ? value.value : String(value)),
    ];
    for (const zeros of [15, 16, 399, 400, 1000, 1001, 2000]) {
      for (const sign of ['', '-']) {
        expect(denoted(exactNumber(`${sign}1${'0'.repeat(zeros)}`))).toEqual(denoted(exactNumber(`${sign}1e${zeros}`)));
      }
    }
  });

  it('a number after strings full of digits and exponents is still found', () => {
    const text = `{"id":"${'1234567890'.repeat(5)}","hash":"${'9e9e'.repeat(8)}","n":12345678901234567890}`;
    expect(mayRound(text)).toBe(true);
    expect((parseJson(text) as { n: unknown }).n).toBe(12345678901234567890n);
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

/**
 * A string that no number can seem to stand in: runs of digits, points, exponent letters and signs of any length
 * (ids, hashes, long runs), escapes and letters, but no `: , [` or white space.
 */
const tightString = fc
  .array(fc.oneof(fc.stringMatching(/^[\d.eE+-]{1,24}$/), fc.constantFrom('x', 'f', '"', '\\', '/', '\u00e9')), { maxLength: 8 })
  .map((parts) => JSON.stringify(parts.join('')));

/** White space JSON allows, as little or as much as a writer puts. */
const space = fc.constantFrom('', ' ', '\t', '\n', '\r', '\r\n  ');

/** A JSON value as text, with the value an exact parse gives and whether any of its numbers is inexact in `JSON.parse`. */
interface Written {
  readonly text: string;
  readonly value: unknown;
  readonly inexact: boolean;
}

function writtenValue(strings: fc.Arbitrary<string>): fc.Arbitrary<Written> {
  const { value } = fc.letrec<{ value: Written }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      jsonNumber.map((text) => {
        const exact = exactNumber(text);
        return { text, value: exact, inexact: typeof exact !== 'number' };
      }),
      strings.map((text) => ({ text, value: JSON.parse(text) as unknown, inexact: false })),
      fc.constantFrom('true', 'false', 'null').map((text) => ({ text, value: JSON.parse(text) as unknown, inexact: false })),
      fc.tuple(fc.array(fc.tuple(space, tie('value'), space), { maxLength: 4 }), space).map(([items, inner]) => ({
        text: `[${items.length === 0 ? inner : items.map(([a, item, b]) => `${a}${item.text}${b}`).join(',')}]`,
        value: items.map(([, item]) => item.value),
        inexact: items.some(([, item]) => item.inexact),
      })),
      fc
        .tuple(
          fc.uniqueArray(fc.tuple(strings, space, tie('value'), space), { maxLength: 4, selector: ([name]) => JSON.parse(name) as string }),
        )
        .map(([members]) => ({
          text: `{${members.map(([name, a, member, b]) => `${name}:${a}${member.text}${b}`).join(',')}}`,
          value: Object.fromEntries(members.map(([name, , member]) => [JSON.parse(name) as string, member.value])),
          inexact: members.some(([, , member]) => member.inexact),
        })),
    ),
  }));
  return fc.tuple(space, value, space).map(([a, written, b]) => ({ ...written, text: `${a}${written.text}${b}` }));
}

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

  it('any JSON value, nested, with any white space and strings of digits, signs, spaces and colons', () => {
    fc.assert(
      fc.property(writtenValue(fc.oneof(numberLikeString, tightString)), (written) => {
        expect(parseJson(written.text)).toEqual(written.value);
      }),
      { numRuns: 3000 },
    );
  });

  it('the exact path is taken exactly when a number is inexact, if no string holds : , [ or white space', () => {
    fc.assert(
      fc.property(writtenValue(tightString), (written) => {
        expect(mayRound(written.text)).toBe(written.inexact);
      }),
      { numRuns: 3000 },
    );
  });
});
