import { claimDefaultName, defaultOperationName, IdempotencyEngine, invocationInfo, type RecordResolution } from './engine';
import { resolveOptions } from './config/idempotency';
import { IdempotencyConfigError } from './errors';
import { describe } from './describe';
import type { IdempotencyOptions } from './options';

/** The function {@link makeIdempotent} returns: the wrapped function, plus the way out of a stuck record. */
export interface IdempotentFunction<TArgs extends unknown[], TResult> {
  (...args: TArgs): Promise<TResult>;
  /**
   * Deletes the in-progress record of the call with these arguments, so that the next call runs the work
   * afresh: the way out of a record stuck on an interrupted `atMostOnce` step, once you have reconciled
   * the step with the downstream system and found it had no effect. Fenced like every write: it takes the
   * record over first, so it never touches a record whose lease is live (`IdempotencyInProgressError`).
   * A completed record is left alone (`'completed'`); no record gives `'absent'`.
   */
  release(...args: TArgs): Promise<RecordResolution>;
  /**
   * Marks the step `step` of the in-progress record of the call with these arguments done with `result`,
   * and ends the lease: the next call replays that result for the step and goes on with the rest. Use it
   * when reconciling an interrupted `atMostOnce` step showed that it did have its effect. Fenced as
   * {@link IdempotentFunction.release} is.
   */
  completeStep(step: string, result: unknown, ...args: TArgs): Promise<RecordResolution>;
}

/**
 * Wraps any async function so that, per key, its work runs once and duplicates get the stored result.
 *
 * ```ts
 * const store = new DynamoDBStore({ tableName: 'idempotency' });
 * export const handler = makeIdempotent(async (event: OrderEvent) => charge(event), {
 *   store,
 *   key: 'orderId',
 * });
 * ```
 * The lease defaults to the Lambda context's remaining time when the second argument is a Lambda context.
 */
export function makeIdempotent<TArgs extends unknown[], TResult>(
  fn: (...args: TArgs) => Promise<TResult> | TResult,
  options: IdempotencyOptions<TArgs, NoInfer<TResult>>,
): IdempotentFunction<TArgs, TResult> {
  if (typeof fn !== 'function') {
    throw new IdempotencyConfigError(`Expected makeIdempotent's first argument to be a function, got ${describe(fn)}`);
  }
  const defaultName = defaultOperationName(fn.name || 'anonymous');
  const engine = new IdempotencyEngine<TArgs, TResult>(resolveOptions<TArgs>(options, defaultName, 'makeIdempotent'));
  if (options.name === undefined) claimDefaultName(defaultName, fn);
  const wrapped = function (this: unknown, ...args: TArgs): Promise<TResult> {
    return engine.run(args, invocationInfo(args[1]), () => fn.apply(this, args));
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return Object.assign(wrapped, {
    release: (...args: TArgs): Promise<RecordResolution> => engine.resolveRecord(args),
    completeStep: (step: string, result: unknown, ...args: TArgs): Promise<RecordResolution> =>
      engine.resolveRecord(args, { name: step, result }),
  });
}
