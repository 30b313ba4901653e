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

/** What the calling code runs in: an execution, and the step whose function is running (`publish` refuses there). */
interface ExecutionScope {
  execution: CurrentExecution | undefined;
  step?: string;
}

/**
 * The current execution, and the step whose function is running. Enter it only through {@link runInExecution}
 * (or {@link enterExecutionHolder}); read it with `getStore()`.
 */
export const executions = new AsyncLocalStorage<ExecutionScope>();

/** How many executions' (and steps') work is running: entered by {@link runInExecution} and not settled. */
let running = 0;
/**
 * Set once a holder was entered with `enterWith` (the middy middleware), whose span ends where this module does
 * not see it: the storage then stays enabled.
 */
let pinned = false;

/**
 * Runs `work` with `scope` current (for `step`, `commitWith`, `downstreamKey`, `publish`); the promise of its
 * outcome. On Node 20 and 22 an enabled `AsyncLocalStorage` makes every promise and async resource of the process
 * pay a hook, the SDK's included, and nothing reads this one outside an execution's work: so it is disabled
 * whenever no work runs (a batch's claims and completions go without the hook) and enabled again by the next run.
 * Work an execution's work starts and leaves running after it settled (not awaited) may then find no execution,
 * as it would after the execution's outcome was stored.
 */
export function runInExecution<T>(scope: ExecutionScope, work: () => Promise<T> | T): Promise<T> {
  return enterExecution(scope, work).then(
    (value) => {
      leaveExecution();
      return value;
    },
    (error: unknown) => {
      leaveExecution();
      throw error;
    },
  );
}

/**
 * {@link runInExecution} for a caller that awaits the outcome itself (every record of a batch: one promise less):
 * it must call {@link leaveExecution} once the returned promise settled, either way. Never throws.
 */
export function enterExecution<T>(scope: ExecutionScope, work: () => Promise<T> | T): Promise<T> {
  running += 1;
  try {
    return Promise.resolve(executions.run(scope, work));
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the work's own failure, passed on as it is
    return Promise.reject(error);
  }
}

/** One work entered with {@link enterExecution} settled: with none left, the storage is disabled until the next. */
export function leaveExecution(): void {
  running -= 1;
  if (running === 0 && !pinned) executions.disable();
}

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
  pinned = true;
  executions.enterWith(holder);
  return holder;
}
