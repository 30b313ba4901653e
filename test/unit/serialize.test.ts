import fc from 'fast-check';
import { deserialize, serialize } from '../../lib/serialize';

const roundTrip = (value: unknown): unknown => deserialize(serialize(value));

describe('stored results', () => {
  it('round-trip any JSON value exactly (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expect(roundTrip(value)).toStrictEqual(value)), { numRuns: 300 });
  });

  it('round-trip rich values exactly (property)', () => {
    const rich = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(undefined),
        fc.bigInt(),
        fc.date({ noInvalidDate: true }),
        fc.uint8Array(),
        fc.double(),
        fc.string(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
        fc.array(fc.tuple(fc.string(), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
        fc.array(fc.integer(), { maxLength: 4 }).map((items) => new Set(items)),
      ),
    }));
    fc.assert(fc.property(rich.value, (value) => expect(roundTrip(value)).toStrictEqual(value)), { numRuns: 300 });
  });

  it('keep undefined as an object member and an array item', () => {
    const value = { a: undefined, b: [1, undefined] };
    const back = roundTrip(value) as typeof value;
    expect(Object.keys(back)).toEqual(['a', 'b']);
    expect(back.b).toHaveLength(2);
  });

  it('keep a Buffer a Buffer and a Uint8Array a Uint8Array', () => {
    expect(Buffer.isBuffer(roundTrip(Buffer.from('hi')))).toBe(true);
    const bytes = roundTrip(new Uint8Array([1, 2, 3]));
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('never mistake a user object with a "$eo" member for a tag', () => {
    const value = { $eo: 'd', v: '2020-01-01T00:00:00.000Z' };
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('keep NaN, Infinity and an invalid Date', () => {
    expect(roundTrip(Number.NaN)).toBeNaN();
    expect(roundTrip(-Infinity)).toBe(-Infinity);
    expect(Number.isNaN((roundTrip(new Date(Number.NaN)) as Date).getTime())).toBe(true);
  });

  it('refuse a circular structure with a TypeError', () => {
    const value: Record<string, unknown> = {};
    value['self'] = value;
    expect(() => serialize(value)).toThrow(new TypeError('cannot serialise a circular structure'));
  });
});
