/**
 * Every error class the package exports prints under its own name (`error.name`), as documented: a class
 * that sets no `name` would print as its base class (`TestKitError`, `IdempotencyError`).
 */
import * as runtime from '../../lib';
import * as testing from '../../lib/testing';

type ErrorClass = new (...args: never[]) => Error;

function errorClasses(entry: Record<string, unknown>): Array<[string, ErrorClass]> {
  return Object.entries(entry).filter(
    (pair): pair is [string, ErrorClass] =>
      typeof pair[1] === 'function' && (pair[1] as { prototype?: unknown }).prototype instanceof Error,
  );
}

/** An instance made without running the constructor's argument checks: `name` is a class field or prototype value. */
function nameOf(errorClass: ErrorClass): string {
  const construct = errorClass as unknown as new (message: string, options: Record<string, unknown>) => Error;
  try {
    return new construct('message', { key: 'k', dependency: 'd', seed: 1, retryAfterMs: 1, failures: [] }).name;
  } catch {
    return (Object.create(errorClass.prototype) as Error).name;
  }
}

describe('exported error classes', () => {
  it.each([...errorClasses(runtime), ...errorClasses(testing)])('%s has its own name', (exported, errorClass) => {
    expect(nameOf(errorClass)).toBe(exported);
  });

  it('include the test kit errors a failing assertIdempotent and a crash point throw', () => {
    expect(errorClasses(testing).map(([name]) => name)).toEqual(
      expect.arrayContaining(['IdempotencyAssertionError', 'SimulatedCrashError', 'TestKitError']),
    );
  });
});
