import fc from 'fast-check';
import * as jmespath from 'jmespath';
import { IdempotencyConfigError } from '../../lib/errors';
import { evaluatePlainPath, parsePlainPath, type PathStep } from '../../lib/selectors/plain-path';

/** Names that are inherited by every plain object: where the `jmespath` package reads them, we do not. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

const unquotedName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((name) => !INHERITED.has(name));
/** Any name, written in double quotes: spaces, dots, quotes, backslashes, brackets, non-ASCII. */
const quotedName = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '.', '"', '\\', '[', ']', '-', 'é', '\u2028', '\n'), maxLength: 5 });
const field = fc.oneof(
  unquotedName.map((name) => ({ step: name, text: name })),
  quotedName.map((name) => ({ step: name, text: JSON.stringify(name) })),
);
const index = fc.integer({ min: -3, max: 3 }).map((i) => ({ step: i, text: `[${i}]` }));
const plainPath = fc.tuple(fc.oneof(field, index), fc.array(fc.oneof(field, index), { maxLength: 4 })).map(([first, rest]) => ({
  steps: [first.step, ...rest.map((part) => part.step)],
  expression: first.text + rest.map((part) => (typeof part.step === 'number' ? part.text : `.${part.text}`)).join(''),
}));

/** A value along `steps` (so that the path finds something), with JSON around it; sometimes broken on purpose. */
function planted(steps: readonly PathStep[]): fc.Arbitrary<unknown> {
  return steps.reduceRight<fc.Arbitrary<unknown>>(
    (inner, step) =>
      fc
        .tuple(inner, fc.array<unknown>(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.boolean())
        .map(([value, filler, wrongKind]) => {
          if (typeof step === 'string')
            return wrongKind ? [value] : { ...Object.fromEntries(filler.map((f, i) => [`k${i}`, f])), [step]: value };
          if (wrongKind) return { [String(step)]: value };
          const list = [...filler];
          const at = step < 0 ? list.length + step : step;
          if (at >= 0) {
            while (list.length <= at) list.push(null);
            list[at] = value;
          }
          return list;
        }),
    fc.jsonValue({ maxDepth: 2 }),
  );
}

describe('plain paths (keys that need no JMESPath engine)', () => {
  it('select what the jmespath package selects, on random paths over random and planted documents (property)', () => {
    fc.assert(
      fc.property(
        plainPath.chain((path) => fc.tuple(fc.constant(path), fc.oneof(fc.jsonValue(), planted(path.steps)))),
        ([{ steps, expression }, document]) => {
          expect(parsePlainPath(expression)).toEqual(steps);
          expect(evaluatePlainPath(document, steps)).toEqual(jmespath.search(document, expression));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['orderId', ['orderId']],
    ['body.orderId', ['body', 'orderId']],
    ['detail."order-id"', ['detail', 'order-id']],
    ['"a.b"', ['a.b']],
    ['items[0].sku', ['items', 0, 'sku']],
    ['items[-1]', ['items', -1]],
    ['[2]', [2]],
    ['a[0][1]', ['a', 0, 1]],
    ['"\\u00e9t\\"e"', ['ét"e']],
  ])('read %s as the steps %j', (expression, steps) => {
    expect(parsePlainPath(expression)).toEqual(steps);
  });

  it.each([
    '',
    'a.',
    '.a',
    'a..b',
    'a.[0]',
    'a . b',
    'a[*]',
    'a[]',
    'a[0:2]',
    'a[?b]',
    'a.*',
    '[a, b]',
    '{a: a}',
    'a | b',
    'a || b',
    "'a'",
    '`"a"`',
    '@',
    'length(a)',
    '"unterminated',
    '"bad \\q escape"',
    'a[99999999999999999999]',
  ])('leave %j to the JMESPath engine', (expression) => {
    expect(parsePlainPath(expression)).toBeUndefined();
  });

  it("read an object's own fields only, where the jmespath package also reads inherited ones", () => {
    expect(evaluatePlainPath({}, ['constructor'])).toBeNull();
    expect(evaluatePlainPath({ a: {} }, ['a', 'toString'])).toBeNull();
    expect(evaluatePlainPath({ constructor: 'own' }, ['constructor'])).toBe('own');
  });

  it('select null for a field of a non-object, an index of a non-array, and anything absent', () => {
    expect(evaluatePlainPath('text', ['length'])).toBeNull();
    expect(evaluatePlainPath([1, 2], ['0'])).toBeNull();
    expect(evaluatePlainPath({ 0: 'x' }, [0])).toBeNull();
    expect(evaluatePlainPath([1, 2], [5])).toBeNull();
    expect(evaluatePlainPath(undefined, ['a'])).toBeNull();
    expect(evaluatePlainPath({ a: undefined }, ['a'])).toBeNull();
  });
});

describe('the JMESPath engine', () => {
  type Keys = typeof import('../../lib/selectors/compile');

  /** `lib/selectors/compile` in a fresh module registry, with the loads of the `jmespath` package counted. */
  function freshKeys(): { keys: Keys; loads: () => number } {
    let loads = 0;
    let keys: Keys | undefined;
    jest.isolateModules(() => {
      jest.doMock('jmespath', () => {
        loads += 1;
        return jest.requireActual<object>('jmespath');
      });
      keys = jest.requireActual<Keys>('../../lib/selectors/compile');
    });
    if (keys === undefined) throw new Error('lib/selectors/compile did not load');
    return { keys, loads: () => loads };
  }

  afterEach(() => {
    jest.dontMock('jmespath');
  });

  it('is not loaded for plain-path keys', () => {
    const { keys, loads } = freshKeys();
    const select = keys.compileSelector<[unknown]>('key', 'body."order-id"');
    expect(select([{ body: { 'order-id': 'o-1' } }])).toBe('o-1');
    expect(loads()).toBe(0);
  });

  it('is loaded by the first expression that needs it, which it evaluates', () => {
    const { keys, loads } = freshKeys();
    const select = keys.compileSelector<[unknown]>('key', 'join(`-`, [a, b])');
    expect(loads()).toBe(1);
    expect(select([{ a: 'x', b: 'y' }])).toBe('x-y');
    keys.compileSelector<[unknown]>('fingerprint', 'items[*].sku');
    expect(loads()).toBe(1);
  });

  it('still reports a syntax error when the handler is wrapped', () => {
    const { keys } = freshKeys();
    // The fresh registry has its own error classes: the name tells the class.
    expect(() => keys.compileSelector('key', 'a[?')).toThrow(
      expect.objectContaining({
        name: IdempotencyConfigError.name,
        message: expect.stringMatching(/^Expected `key` to be a valid JMESPath expression, got "a\[\?": /) as unknown,
      }),
    );
  });
});
