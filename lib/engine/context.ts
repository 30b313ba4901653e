/** The execution the calling code runs in (for `step`, `commitWith`, `downstreamKey`). */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IdempotencyContextError } from '../errors';
import type { Execution } from './execution';

export const executions = new AsyncLocalStorage<{ execution: Execution<unknown> | undefined }>();

/** The execution the calling code runs in, or a clear error naming `what` was called outside one. */
export function currentExecution(what: string): Execution<unknown> {
  const execution = executions.getStore()?.execution;
  if (!execution) {
    throw new IdempotencyContextError(
      `${what} was called outside an idempotent execution: call it from a function wrapped by makeIdempotent, the idempotency middleware or processSqsBatch with a store`,
    );
  }
  return execution;
}

/**
 * Makes a holder the current store from here on (for the middy middleware, whose handler runs outside
 * any callback we control). @internal
 */
export function enterExecutionHolder(): { execution: Execution<unknown> | undefined } {
  const holder: { execution: Execution<unknown> | undefined } = { execution: undefined };
  executions.enterWith(holder);
  return holder;
}
