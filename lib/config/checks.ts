/**
 * The reusable checks option sets are built from. Each refuses in the one format
 * (``Expected `<path>` <expectation>, got <value>``) and returns the value to keep.
 */
import type { At, Check } from './spec';

/** A number > 0 (finite). */
export const positiveNumber: Check<number> = (value: unknown, at: At) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) at.refuse('to be a positive number', value);
  return value;
};

/** A finite number >= 0. */
export const nonNegativeNumber: Check<number> = (value: unknown, at: At) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) at.refuse('to be a number >= 0', value);
  return value;
};

/** A whole number > 0. */
export const positiveInteger: Check<number> = (value: unknown, at: At) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) at.refuse('to be a positive whole number', value);
  return value;
};

/** A whole number from `min` to `max`. */
export function integerIn(min: number, max: number): Check<number> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      at.refuse(`to be an integer from ${min} to ${max}`, value);
    }
    return value;
  };
}

/** A number from `min` to `max`. */
export function numberIn(min: number, max: number): Check<number> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      at.refuse(`to be a number from ${min} to ${max}`, value);
    return value;
  };
}

/** `check`, then at most `max` (`why` says what the limit is, in words). */
export function atMost(check: Check<number>, max: number, why: string): Check<number> {
  return (value: unknown, at: At) => {
    const checked = check(value, at);
    if (checked > max) at.refuse(`to be at most ${max} (${why})`, checked);
    return checked;
  };
}

/** `check`, then at least `min` (`why` says what the limit is, in words). */
export function atLeast(check: Check<number>, min: number, why: string): Check<number> {
  return (value: unknown, at: At) => {
    const checked = check(value, at);
    if (checked < min) at.refuse(`to be at least ${min} (${why})`, checked);
    return checked;
  };
}

/**
 * Seconds of a lease or an expiry: positive, at least 1 (they are written in whole seconds and compared across
 * clocks: below a second they mean nothing), at most `max`.
 */
export function seconds(max: number, maxInWords: string): Check<number> {
  return atMost(atLeast(positiveNumber, 1, 'second'), max, maxInWords);
}

/** One of `allowed`. */
export function oneOf<const T extends string>(allowed: readonly T[]): Check<T> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      at.refuse(`to be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
    }
    return value as T;
  };
}

/** `true` or `false`. */
export const boolean: Check<boolean> = (value: unknown, at: At) => {
  if (typeof value !== 'boolean') at.refuse('to be a boolean', value);
  return value;
};

/** A non-empty string (`what` describes it further: ` (a URI prefix)`). */
export function nonEmptyString(what = ''): Check<string> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'string' || value.length === 0) at.refuse(`to be a non-empty string${what}`, value);
    return value;
  };
}

/** A function. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- narrowed by the caller's type parameter
export function fn<F extends Function = (...args: never[]) => unknown>(): Check<F> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'function') at.refuse('to be a function', value);
    return value as F;
  };
}

/** An object with these methods (`expectation` says what is expected: "to be an SQSClient (an object with a send method)"). */
export function withMethods<T>(methods: readonly string[], expectation: string): Check<T> {
  return (value: unknown, at: At) => {
    if (
      value === null ||
      typeof value !== 'object' ||
      methods.some((method) => typeof (value as Record<string, unknown>)[method] !== 'function')
    ) {
      at.refuse(expectation, value);
    }
    return value as T;
  };
}

/** A value `accept` approves (`expectation` is the message's "to be …" part). */
export function satisfies<T>(expectation: string, accept: (value: unknown) => boolean): Check<T> {
  return (value: unknown, at: At) => {
    if (!accept(value)) at.refuse(expectation, value);
    return value as T;
  };
}

/** A whole number >= `min`. */
export function integerAtLeast(min: number): Check<number> {
  return (value: unknown, at: At) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) at.refuse(`to be a whole number >= ${min}`, value);
    return value;
  };
}
