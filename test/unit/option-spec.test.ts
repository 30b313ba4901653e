/**
 * An option set declared once: the unknown-name check (with a suggestion), the defaults, the one message
 * format, and validated options frozen.
 */
import { IdempotencyConfigError } from '../../lib';
import { atMost, oneOf, positiveInteger } from '../../lib/config/checks';
import { defineOptions, nearestName } from '../../lib/config/spec';

const options = defineOptions(
  'example',
  {
    maxItems: { check: atMost(positiveInteger, 10, 'ten'), default: 5, doc: 'most items' },
    mode: { check: oneOf(['fast', 'safe']), default: 'safe' as const, doc: 'how' },
    label: { check: positiveInteger, doc: 'no default' },
  },
  IdempotencyConfigError,
);

describe('an option set', () => {
  it('applies the defaults of absent options and leaves the others undefined', () => {
    expect(options.resolve({})).toEqual({ maxItems: 5, mode: 'safe', label: undefined });
  });

  it('returns the validated options frozen', () => {
    expect(Object.isFrozen(options.resolve({ maxItems: 2 }))).toBe(true);
  });

  it('refuses a value in the one format, naming the option and the value', () => {
    expect(() => options.resolve({ maxItems: 11 })).toThrow(
      new IdempotencyConfigError('Expected `maxItems` to be at most 10 (ten), got 11'),
    );
    expect(() => options.resolve({ mode: 'slow' })).toThrow(
      new IdempotencyConfigError("Expected `mode` to be one of 'fast', 'safe', got \"slow\""),
    );
  });

  it('refuses an unknown name, suggesting the near one', () => {
    expect(() => options.resolve({ maxItem: 3 })).toThrow(
      new IdempotencyConfigError('Unknown option `maxItem` of example: did you mean `maxItems`? (known options: maxItems, mode, label)'),
    );
  });

  it('refuses an unknown name with no near one, listing the known ones', () => {
    expect(() => options.resolve({ colour: 'red' })).toThrow(
      new IdempotencyConfigError('Unknown option `colour` of example (known options: maxItems, mode, label)'),
    );
  });

  it('refuses options that are not an object', () => {
    expect(() => options.resolve('fast')).toThrow(
      new IdempotencyConfigError('Expected the options of example to be an object, got "fast"'),
    );
  });
});

describe('nearestName', () => {
  it.each([
    ['maxItem', 'maxItems'],
    ['MAXITEMS', 'maxItems'],
    ['concurency', 'concurrency'],
    ['extendBy', 'extendBySeconds'],
    ['expiresAfterSecnods', 'expiresAfterSeconds'],
  ])('suggests %s → %s', (given, meant) => {
    expect(nearestName(given, ['maxItems', 'concurrency', 'extendBySeconds', 'expiresAfterSeconds'])).toBe(meant);
  });

  it('suggests nothing for a name far from every known one', () => {
    expect(nearestName('colour', ['maxItems', 'mode'])).toBeUndefined();
  });
});
