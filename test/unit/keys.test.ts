import fc from 'fast-check';
import * as jmespath from 'jmespath';
import { canonicalize, isMissingKey } from '../../lib/keys/canonical';
import { hashValue } from '../../lib/keys/hash';
import { parsePlainPath, evaluatePlainPath } from '../../lib/selectors/plain-path';

/** Rebuilds a JSON-like value with its object keys in reverse insertion order. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorder(v)]),
    );
  }
  return value;
}

describe('canonical keys', () => {
  it('never depend on the order of object keys (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalize(reorder(value))).toBe(canonicalize(value));
      }),
      { numRuns: 300 },
    );
  });

  it('tell different JSON values apart (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(JSON.stringify(canonicalize(a)) !== JSON.stringify(canonicalize(b)));
        expect(hashValue(a)).not.toBe(hashValue(b));
      }),
      { numRuns: 300 },
    );
  });

  it('hash to 64 hex characters (SHA-256)', () => {
    expect(hashValue({ orderId: 'o-1' })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tell a number from its string and a Date from its ISO text', () => {
    expect(hashValue(1)).not.toBe(hashValue('1'));
    const date = new Date('2026-01-01T00:00:00.000Z');
    expect(hashValue(date)).not.toBe(hashValue(date.toISOString()));
  });

  it('treat Maps and Sets by content, not insertion order', () => {
    expect(
      canonicalize(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toBe(
      canonicalize(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    );
    expect(canonicalize(new Set([1, 2]))).toBe(canonicalize(new Set([2, 1])));
  });
});

describe('missing keys', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty string', ''],
    ['an empty object', {}],
    ['an empty array', []],
    ['an all-null multi-select', [null, null]],
  ])('%s is missing', (_label, value) => {
    expect(isMissingKey(value)).toBe(true);
  });

  it.each([
    ['zero', 0],
    ['false', false],
    ['a string', 'o-1'],
    ['a multi-select with one value', [null, 'x']],
    ['a Date', new Date(0)],
  ])('%s is a key', (_label, value) => {
    expect(isMissingKey(value)).toBe(false);
  });
});

describe('JMESPath key selectors', () => {
  const expressions = ['a', 'a.b', 'a.b.c', 'a[0]', 'a[-1].b', 'a.b[1]', 'orderId', 'detail.order_id'];

  it('evaluate field and index paths natively with the same result as the jmespath package (property)', () => {
    const value = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'orderId', 'detail', 'order_id'), fc.jsonValue(), { noNullPrototype: true });
    const wrapped = fc.record({ a: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()), value), detail: value });
    fc.assert(
      fc.property(fc.oneof(value, wrapped), fc.constantFrom(...expressions), (doc, expression) => {
        const path = parsePlainPath(expression);
        expect(path).toBeDefined();
        expect(evaluatePlainPath(doc, path ?? [])).toEqual(jmespath.search(doc, expression));
      }),
      { numRuns: 500 },
    );
  });

  it('leave anything beyond fields and indexes to the jmespath package', () => {
    for (const expression of ['[a, b]', 'a.*', 'a[?b]', 'a | b', "a.'b'", 'length(a)', 'a[]']) {
      expect(parsePlainPath(expression)).toBeUndefined();
    }
  });
});
