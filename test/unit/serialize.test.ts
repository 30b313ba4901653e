import { NumberValue } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { captureError, deserialize, serialize, UnstorableValueError } from '../../lib/serialize';

const roundTrip = (value: unknown): unknown => deserialize(serialize(value));

describe('stored results', () => {
  it('round-trip any JSON value exactly (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expect(roundTrip(value)).toStrictEqual(value)),
      { numRuns: 300 },
    );
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
    fc.assert(
      fc.property(rich.value, (value) => expect(roundTrip(value)).toStrictEqual(value)),
      { numRuns: 300 },
    );
  });

  it('keep undefined as an object member and an array item', () => {
    const value = { a: undefined, b: [1, undefined] };
    const back = roundTrip(value) as typeof value;
    expect(Object.keys(back)).toEqual(['a', 'b']);
    expect(back.b).toHaveLength(2);
  });

  it('keep a sparse array sparse: [1, , 3] comes back with its hole, not null', () => {
    // eslint-disable-next-line no-sparse-arrays
    const back = roundTrip([1, , 3]) as unknown[];
    expect(back).toHaveLength(3);
    expect(1 in back).toBe(false);
    // eslint-disable-next-line no-sparse-arrays
    expect(back).toStrictEqual([1, , 3]);
    expect(roundTrip([undefined])).toStrictEqual([undefined]);
    expect(roundTrip([{ $eo: 'h' }])).toStrictEqual([{ $eo: 'h' }]);
  });

  it('keep a NumberValue (an exact number from DynamoDB or a JSON payload) a NumberValue', () => {
    const back = roundTrip({ amount: NumberValue.from('0.1000000000000000055511151231257827') }) as { amount: unknown };
    expect(back.amount).toBeInstanceOf(NumberValue);
    expect(String(back.amount)).toBe('0.1000000000000000055511151231257827');
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

describe('stored results of the types JSON changes', () => {
  it('keep an ArrayBuffer an ArrayBuffer', () => {
    const buffer = new Uint8Array([1, 2, 250]).buffer;
    const back = roundTrip(buffer);
    expect(back).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(back as ArrayBuffer)]).toEqual([1, 2, 250]);
  });

  it.each([new Int16Array([-1, 300]), new Float64Array([0.5, -2]), new BigInt64Array([-5n]), new Uint8ClampedArray([255])])(
    'keep a %p of its own class',
    (view) => {
      expect(roundTrip(view)).toStrictEqual(view);
    },
  );

  it('keep a RegExp with its flags', () => {
    expect(roundTrip(/order-(\d+)/giu)).toStrictEqual(/order-(\d+)/giu);
  });

  it('keep an Error with its name, message and own properties', () => {
    const error = Object.assign(new Error('card declined'), { code: 'card_declined' });
    error.name = 'CardDeclined';
    const back = roundTrip({ error }) as { error: Error & { code?: string } };
    expect(back.error).toBeInstanceOf(Error);
    expect([back.error.name, back.error.message, back.error.code]).toEqual(['CardDeclined', 'card declined', 'card_declined']);
  });

  it('refuse a class instance without toJSON, naming its class and where it is', () => {
    class Money {
      public constructor(public readonly cents: number) {}
    }
    let error: unknown;
    try {
      serialize({ total: [new Money(5)] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnstorableValueError);
    expect((error as UnstorableValueError).path).toBe('$.total[0]');
    expect((error as Error).message).toMatch(/cannot store an instance of Money \(at \$\.total\[0\]\)/);
  });

  it('store an object with toJSON as what toJSON returns', () => {
    expect(roundTrip({ at: new URL('https://shop.example/o/1') })).toStrictEqual({ at: 'https://shop.example/o/1' });
  });
});

describe('captured errors (cacheErrors)', () => {
  it('keep the properties that can be stored and drop a circular request, as an HTTP client error has', () => {
    const request: Record<string, unknown> = { method: 'POST' };
    request['self'] = request;
    const error = Object.assign(new Error('Request failed with status code 409'), { code: 'ERR_BAD_REQUEST', status: 409, request });
    const stored = captureError(error);
    expect(stored.properties).toEqual({ code: 'ERR_BAD_REQUEST', status: 409 });
    expect(() => serialize(stored)).not.toThrow();
  });

  it('capture a thrown null-prototype object', () => {
    const thrown = Object.assign(Object.create(null) as object, { reason: 'nope' });
    const stored = captureError(thrown);
    expect(stored.message).toBe('[object Object]');
    expect(deserialize(serialize(stored))).toMatchObject({ properties: { thrown: { reason: 'nope' } } });
  });
});
