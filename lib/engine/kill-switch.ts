/**
 * The kill switch: `EFFECTIVELY_ONCE_DISABLED=true` turns idempotency off for the whole process, read on every
 * invocation, for local debugging. A disabled invocation runs its work in a {@link DisabledExecution}: nothing is
 * claimed, replayed or stored.
 */
import { IdempotencyContextError, IdempotencyKeyError } from '../errors';
import type { IdempotencyLogger } from '../options';
import type { StagedWrite } from '../persistence/store';
import { executions, type CurrentExecution } from './context';
import { downstreamKeyOf } from './outcomes';
import type { StepOptions } from './types';

/** The environment variable of the kill switch: `true` (any case) turns idempotency off. */
export const DISABLED_ENV = 'EFFECTIVELY_ONCE_DISABLED';

/** Values that leave idempotency on without a warning (unset, empty, or an explicit "false"). */
const QUIET_VALUES = new Set(['', 'false']);

let warnedDisabled = false;
let warnedValue: string | undefined;

/**
 * Whether the kill switch is on now (the environment is read on every call). The first time it is found on,
 * `logger` warns, once per process; a value other than `true` or `false` leaves idempotency on and warns once
 * per value.
 */
export function idempotencyDisabled(logger: IdempotencyLogger): boolean {
  const raw = process.env[DISABLED_ENV];
  if (raw === undefined) return false;
  const value = raw.trim().toLowerCase();
  if (value === 'true') {
    if (!warnedDisabled) {
      warnedDisabled = true;
      logger.warn(
        `${DISABLED_ENV}=true: idempotency is OFF in this process. Every invocation runs its work without claiming, replaying or storing anything, so duplicates run again. For local debugging only: never set it in production`,
      );
    }
    return true;
  }
  if (!QUIET_VALUES.has(value) && warnedValue !== raw) {
    warnedValue = raw;
    logger.warn(`${DISABLED_ENV} is ${JSON.stringify(raw)}, not "true": idempotency stays on`);
  }
  return false;
}

/**
 * The execution of a disabled invocation. `step` runs its function (names still checked, nothing
 * checkpointed); `downstreamKey` gives the same key as with idempotency on; `commitWith` is refused, since its
 * writes are committed with the idempotency record, which a disabled invocation does not write.
 */
export class DisabledExecution implements CurrentExecution {
  readonly #key: () => string | undefined;
  readonly #usedSteps = new Set<string>();

  /** @param key the record key, derived only when `downstreamKey` asks for it */
  public constructor(key: () => string | undefined) {
    this.#key = key;
  }

  /** Runs `work` with this execution as the current one. */
  public enter<T>(work: () => Promise<T> | T): Promise<T> {
    return Promise.resolve(executions.run({ execution: this }, work));
  }

  public async step<T>(name: string, fn: () => Promise<T> | T, _options: StepOptions): Promise<T> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new IdempotencyContextError(`Expected the step name to be a non-empty string, got ${String(name)}`);
    }
    if (this.#usedSteps.has(name)) {
      throw new IdempotencyContextError(
        `step("${name}") was already used in this execution; step names identify checkpoints and must be unique`,
      );
    }
    this.#usedSteps.add(name);
    return fn();
  }

  public stage(_items: readonly StagedWrite[]): void {
    throw new IdempotencyContextError(
      `commitWith() cannot be used while ${DISABLED_ENV}=true: staged writes are committed in one transaction with the idempotency record, which a disabled invocation does not write, so nothing was staged. Unset ${DISABLED_ENV} to commit them`,
    );
  }

  public downstreamKey(label: string): string {
    const key = this.#key();
    if (key === undefined) {
      throw new IdempotencyKeyError(`downstreamKey() needs the idempotency key, and none was found for this invocation`);
    }
    return downstreamKeyOf(key, label);
  }
}
