/** The execution the calling code runs in (for `step`, `commitWith`, `downstreamKey`). */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IdempotencyContextError } from '../errors';
import type { MessageStage } from '../outbox/stage';
import type { WriteBatch } from '../persistence/coalesce';
import type { StagedWrite } from '../persistence/store';

/** Options of {@link step}. */
export interface StepOptions {
  /**
   * Checkpoint "started" before running, so a later attempt that finds the step started but unfinished
   * throws `IdempotencyStepInterruptedError` instead of running it again.
   * @default false
   */
  readonly atMostOnce?: boolean;
}

/**
 * What `step`, `commitWith`, `downstreamKey` and `publish` ask of the execution they run in: an `Execution` under a
 * claimed record, or a `DisabledExecution` when `EFFECTIVELY_ONCE_DISABLED=true`.
 */
export interface CurrentExecution {
  step<T>(name: string, fn: () => Promise<T> | T, options: StepOptions): Promise<T>;
  stage(items: readonly StagedWrite[]): void;
  downstreamKey(label: string): string;
  /**
   * Where `publish` (`effectively-once/outbox`, which holds the staging code, so that a handler without the outbox
   * does not load it) stages a message, and the id of a message whose options give none and which has no key.
   */
  messageStage(): { readonly stage: MessageStage; readonly fallbackId: () => string };
  /** The write-batching scope of the execution's writes, if any: an execution begun inside its work shares it. */
  readonly writeBatch?: WriteBatch | undefined;
}

/** The current execution, and the step whose function is running (for `publish`, which refuses inside one). */
export const executions = new AsyncLocalStorage<{ execution: CurrentExecution | undefined; step?: string }>();

/** The name of the step whose function the calling code runs in, if any. */
export function currentStep(): string | undefined {
  return executions.getStore()?.step;
}

/** The execution the calling code runs in, or a clear error naming `what` was called outside one. */
export function currentExecution(what: string): CurrentExecution {
  const execution = executions.getStore()?.execution;
  if (!execution) {
    throw new IdempotencyContextError(
      `${what} was called outside an idempotent execution: call it from work run by makeIdempotent, @idempotent, the idempotency middleware, makeIdempotentHttpHandler, or processSqsBatch or processStreamBatch with a store`,
    );
  }
  return execution;
}

/**
 * Makes a holder the current store from here on (for the middy middleware, whose handler runs outside
 * any callback we control). @internal
 */
export function enterExecutionHolder(): { execution: CurrentExecution | undefined } {
  const holder: { execution: CurrentExecution | undefined } = { execution: undefined };
  executions.enterWith(holder);
  return holder;
}
