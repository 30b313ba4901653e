/**
 * A key that cannot identify an event is a missing key, never a shared record: distinct keys never share a
 * record, whatever values they hold (class instances, tag-shaped objects, special numbers), and values
 * with no identity are refused with IdempotencyKeyError.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { IdempotencyConfigError, IdempotencyKeyError, InMemoryStore, makeIdempotent } from '../../lib';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { decimalValue, exactNumber } from '../../lib/json';
import { canonicalize } from '../../lib/keys/canonical';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A value object whose data is private: only toJSON tells one from another. */
class OrderId {
  readonly #value: string;
  public constructor(value: string) {
    this.#value = value;
  }
  public toJSON(): string {
    return this.#value;
  }
}

/** A class whose data is private and which has no toJSON: it has no readable identity. */
class Opaque {
  readonly #secret: string;
  public constructor(secret: string) {
    this.#secret = secret;
  }
  public secret(): string {
    return this.#secret;
  }
}

/** Runs one handler per key and reports what each call returned (the first run's input, when shared). */
async function runsFor(keys: unknown[]): Promise<unknown[]> {
  const handler = makeIdempotent(async (event: { ref: unknown; n: number }) => event.n, {
    store: new InMemoryStore(),
    key: (event) => event.ref,
    name: `identity-${Math.random()}`,
    logger: quiet,
  });
  const results: unknown[] = [];
  for (const [n, ref] of keys.entries()) results.push(await handler({ ref, n }).catch((error: unknown) => error));
  return results;
}

describe('keys that look alike but are different events get different records', () => {
  it('value objects are told apart by toJSON', async () => {
    await expect(runsFor([new OrderId('A'), new OrderId('B')])).resolves.toEqual([0, 1]);
  });

  it('URLs are told apart', async () => {
    await expect(runsFor([new URL('https://shop.example/orders/1'), new URL('https://shop.example/orders/2')])).resolves.toEqual([0, 1]);
  });

  it.each([
    ['{ $bigint: "1" } and 1n', { $bigint: '1' }, 1n],
    ['{ $date } and a Date', { $date: '2026-01-01T00:00:00.000Z' }, new Date('2026-01-01T00:00:00.000Z')],
    ['{ $map: [] } and a Map', { $map: [['a', 1]] }, new Map([['a', 1]])],
    ['{ $num: "Infinity" } and Infinity', { $num: 'Infinity' }, Infinity],
    ['{ $set: [] } and a Set', { $set: ['1'] }, new Set(['1'])],
  ])('a plain object shaped like a tag is not the tagged value: %s', async (_label, plain, tagged) => {
    await expect(runsFor([plain, tagged])).resolves.toEqual([0, 1]);
  });

  it('an array hole is not an empty array: { ids: [ , ] } and { ids: [] } get different records', async () => {
    // eslint-disable-next-line no-sparse-arrays
    await expect(runsFor([{ ids: [,] }, { ids: [] }, { ids: [undefined] }])).resolves.toEqual([0, 1, 2]);
  });

  it('a number kept as text (NumberValue) is its value: 0.1000000000000000055511151231257827 is not 0.1', async () => {
    await expect(
      runsFor([NumberValue.from('0.1000000000000000055511151231257827'), 0.1, NumberValue.from('0.10000000000000000555111512312578270')]),
    ).resolves.toEqual([0, 1, 0]);
  });
});

describe('key identity never rests on a class name', () => {
  /** Two classes a minifier named alike. */
  const minified = (): [new (x: number) => object, new (x: number) => object] => {
    const first = class t {
      public constructor(public readonly x: number) {}
    };
    const second = class t {
      public constructor(public readonly x: number) {}
    };
    return [first, second];
  };

  it('two classes that share a (minified) name, with equal data, are refused rather than sharing a record', async () => {
    const [A, B] = minified();
    const results = await runsFor([new A(1), new B(1)]);
    for (const result of results) {
      expect(result).toBeInstanceOf(IdempotencyKeyError);
      expect((result as Error).message).toMatch(/an instance of t has no toJSON\(\), and a class name is no identity/);
    }
  });

  it('a class with toJSON is identified by what toJSON returns', async () => {
    await expect(runsFor([new OrderId('A'), 'A', new OrderId('B')])).resolves.toEqual([0, 0, 2]);
  });
});

describe('a key whose value cannot be read gives IdempotencyKeyError', () => {
  it('a throwing getter', async () => {
    const ref = {
      get id(): string {
        throw new Error('getter broke');
      },
    };
    const [result] = await runsFor([ref]);
    expect(result).toBeInstanceOf(IdempotencyKeyError);
    expect((result as Error).message).toMatch(/reading its member "id" threw \(getter broke\)/);
  });

  it('a throwing toJSON', async () => {
    const failure = new Error('toJSON broke');
    const [result] = await runsFor([
      {
        toJSON(): never {
          throw failure;
        },
      },
    ]);
    expect(result).toBeInstanceOf(IdempotencyKeyError);
    expect((result as Error).message).toMatch(/its toJSON\(\) threw \(toJSON broke\)/);
    expect(((result as Error).cause as Error).cause).toBe(failure);
  });

  it('objects nested 10,000 deep', async () => {
    let ref: Record<string, unknown> = { id: 'leaf' };
    for (let i = 0; i < 10_000; i += 1) ref = { next: ref };
    const [result] = await runsFor([ref]);
    expect(result).toBeInstanceOf(IdempotencyKeyError);
    expect((result as Error).message).toMatch(/nested more than 1000 levels deep/);
  });
});

describe('values with no identity are refused with IdempotencyKeyError', () => {
  it.each([
    ['NaN', NaN],
    ['an invalid Date', new Date('not a date')],
    ['a function', () => 1],
    ['a symbol', Symbol('order')],
    ['a class instance with only private data', new Opaque('s')],
    ['NaN inside an object', { orderId: NaN }],
  ])('%s', async (_label, ref) => {
    const [result] = await runsFor([ref]);
    expect(result).toBeInstanceOf(IdempotencyKeyError);
    expect((result as Error).message).toMatch(/cannot identify an event/);
  });

  it('a key function that turns non-numeric refs into NaN sends no event to a shared record', async () => {
    const handler = makeIdempotent(async (event: { ref: string }) => event.ref, {
      store: new InMemoryStore(),
      key: (event) => Number(event.ref),
      name: 'numeric-refs',
      logger: quiet,
    });
    await expect(handler({ ref: 'A-1' })).rejects.toThrow(IdempotencyKeyError);
    await expect(handler({ ref: 'B-2' })).rejects.toThrow(IdempotencyKeyError);
  });

  it('a circular key', async () => {
    const ref: Record<string, unknown> = { id: 'o-1' };
    ref['self'] = ref;
    const [result] = await runsFor([ref]);
    expect(result).toBeInstanceOf(IdempotencyKeyError);
    expect((result as Error).message).toMatch(/circular/);
  });

  it('a key function that throws gives IdempotencyKeyError with the cause', async () => {
    const failure = new Error('no ref');
    const handler = makeIdempotent(async (_event: object) => 1, {
      store: new InMemoryStore(),
      key: () => {
        throw failure;
      },
      name: 'throwing-key',
      logger: quiet,
    });
    const error = await handler({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyError);
    expect((error as Error).cause).toBe(failure);
  });
});

describe('JMESPath keys are checked at wrap time', () => {
  const wrap = (key: string) => () =>
    makeIdempotent(async (event: object) => event, { store: new InMemoryStore(), key, name: `jp-${key}`, logger: quiet });

  it.each([
    ["'orderId", /does not read the input/],
    ["'orderId'", /does not read the input/],
    ['&orderId', /does not read the input/],
    ['`"fixed"`', /does not read the input/],
    ['a.', /incomplete/],
    ['a..b', /incomplete/],
    ['order_id(orderId)', /unknown function order_id\(\)/],
    ['abs(a, b)', /abs\(\) takes 1 argument, got 2/],
    ['starts_with(a)', /starts_with\(\) takes 2 arguments, got 1/],
    ['merge()', /merge\(\) takes at least 1 argument, got 0/],
    ['items[?contains(tags)].id', /contains\(\) takes 2 arguments, got 1/],
  ])('refuses %s', (expression, message) => {
    expect(wrap(expression)).toThrow(IdempotencyConfigError);
    expect(wrap(expression)).toThrow(message);
  });

  it.each([
    'orderId',
    'order.id',
    'items[0].sku',
    '[orderId, customerId]',
    '{o: orderId}',
    'join(`-`, [a, b])',
    'a[1:2]',
    'not_null(a, b, c)',
    'merge(a, b)',
  ])('accepts %s', (expression) => {
    expect(wrap(expression)).not.toThrow();
  });

  it('an expression that fails on one input gives IdempotencyKeyError with the cause', async () => {
    const handler = makeIdempotent(async (event: object) => event, {
      store: new InMemoryStore(),
      key: 'sort_by(@, &a)',
      name: 'jp-runtime',
      logger: quiet,
    });
    const error = await handler({ a: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyError);
    expect((error as Error).message).toMatch(/sort_by\(\) expected argument 1 to be type array/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

/** A decimal no double holds, by its value. */
class Decimal {
  public constructor(public readonly value: string) {}
}

/** What JSON would make of a value object, and the other normalisations canonicalisation applies. */
function normalise(value: unknown, decimals: 'by value' | 'as they are' = 'by value'): unknown {
  const again = (item: unknown): unknown => normalise(item, decimals);
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date || value instanceof Uint8Array) return value;
  if (value instanceof OrderId) return again(value.toJSON());
  if (value instanceof NumberValue && decimals === 'as they are') return NumberValue.from(value.value);
  if (value instanceof NumberValue) {
    const exact = exactNumber(value.value);
    return exact instanceof NumberValue ? new Decimal(JSON.stringify(decimalValue(value.value))) : again(exact);
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index += 1) if (index in value) out[index] = again(value[index]);
    return out;
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [again(k), again(v)]));
  if (value instanceof Set) return new Set([...value].map(again));
  // A null-prototype dictionary is a plain object.
  const proto = (Object.getPrototypeOf(value) as object | null) ?? Object.prototype;
  const out = Object.create(proto) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) if (v !== undefined) Object.defineProperty(out, k, { value: again(v), enumerable: true });
  return out;
}

const tagNames = ['$bigint', '$date', '$map', '$set', '$num', '$bytes', '$undefined', '$class', '$regexp', '$$bigint'];

const { value: keyValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 4 }),
    fc.integer({ min: -3, max: 3 }),
    fc.double({ noNaN: true, min: -2, max: 2 }),
    fc.constantFrom(Infinity, -Infinity, 0.1 + 0.2, 2 ** 53 + 2),
    fc.bigInt({ min: -3n, max: 3n }),
    fc.boolean(),
    fc.constant(null),
    fc.integer({ min: 0, max: 3 }).map((day) => new Date(Date.UTC(2026, 0, 1 + day))),
    fc.uint8Array({ maxLength: 3 }),
    fc.string({ maxLength: 3 }).map((v) => new OrderId(v)),
    fc
      .constantFrom('0.1', '0.10', '1e400', '12345678901234567890', '0.1000000000000000055511151231257827', '-0.0')
      .map((text) => NumberValue.from(text)),
    fc.sparseArray(tie('value'), { maxLength: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...tagNames), fc.string({ maxLength: 3 })), tie('value'), { maxKeys: 3 }),
    fc.array(fc.tuple(fc.string({ maxLength: 2 }), tie('value')), { maxLength: 2 }).map((entries) => new Map(entries)),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 2 })), { maxLength: 3 }).map((items) => new Set(items)),
  ),
}));

describe('property: distinct keys never share a record', () => {
  it('two values canonicalise alike exactly when they are the same value', () => {
    fc.assert(
      fc.property(keyValue, keyValue, (a, b) => {
        expect(canonicalize(a) === canonicalize(b)).toBe(isDeepStrictEqual(normalise(a), normalise(b)));
      }),
      { numRuns: 3000 },
    );
  });

  it('a value canonicalises the same way every time, and like a structural copy of itself', () => {
    fc.assert(
      fc.property(keyValue, (a) => {
        expect(canonicalize(a)).toBe(canonicalize(a));
        expect(canonicalize(normalise(a, 'as they are'))).toBe(canonicalize(a));
      }),
      { numRuns: 1000 },
    );
  });
});
