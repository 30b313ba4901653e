import { currentExecution, type StepOptions } from './engine';
import type { GuardedTransactItem } from './guards';
import type { StagedWrite } from './persistence/store';

/**
 * Runs `fn` once per logical execution and checkpoints its result under the execution's record
 * (conditional on the lease token). When an attempt crashes and a later attempt takes the lease over,
 * finished steps return their stored results without running.
 *
 * Steps are identified by name (unique within an execution). By default a step is at-least-once (an
 * attempt that died inside `fn` runs it again); with `{ atMostOnce: true }` a later attempt that finds the
 * step started but unfinished throws `IdempotencyStepInterruptedError`.
 *
 * @throws IdempotencyContextError outside an idempotent execution, in optimistic mode, or for a reused name
 * @throws IdempotencyLeaseLostError when another invocation took the lease over
 */
export async function step<T>(name: string, fn: () => Promise<T> | T, options: StepOptions = {}): Promise<T> {
  return currentExecution(`step("${name}")`).step(name, fn, options);
}

/**
 * A key that is the same on every attempt of this logical execution and different for other labels or
 * records: pass it as the idempotency key of external APIs (payment providers, email services).
 * @param label distinguishes several downstream calls of one execution
 */
export function downstreamKey(label = ''): string {
  return currentExecution('downstreamKey()').downstreamKey(label);
}

/**
 * Stages DynamoDB writes (entries of `@aws-sdk/lib-dynamodb`'s `TransactItems`: `Put`, `Update`,
 * `Delete`, `ConditionCheck`, with plain JavaScript values; `newerThan(...)` entries too: a duplicate or
 * stale version is left out of the commit, as `applyIfNewer` skips it). When the execution succeeds they are
 * committed in ONE `TransactWriteItems` together with the completion of the idempotency record,
 * conditional on the lease token: the business writes and the stored result land together, or neither.
 *
 * @throws IdempotencyContextError outside an idempotent execution, for a malformed item, or for more
 *   items than one transaction holds (checked before anything is sent)
 */
export function commitWith(...items: (StagedWrite | GuardedTransactItem)[]): void {
  currentExecution('commitWith()').stage(items as StagedWrite[]);
}
