/**
 * The kill switch: `EFFECTIVELY_ONCE_DISABLED=true` turns idempotency off for the whole process, read on every
 * invocation, for local debugging. A disabled invocation runs its work in a {@link DisabledExecution}: nothing is
 * claimed, replayed or stored.
 */
import { randomUUID } from 'node:crypto';
import { MAX_TRANSACTION_ITEMS } from '../defaults';
import { IdempotencyConfigError, IdempotencyContextError, IdempotencyKeyError } from '../errors';
import type { IdempotencyLogger } from '../logger';
import type { OutboxMessage } from '../outbox/message';
import { packMessages } from '../outbox/items';
import type { MessageStage } from '../outbox/stage';
import type { IdempotencyStore, StagedWrite } from '../persistence/store';
import { runInExecution, type CurrentExecution, type StepOptions } from './context';
import { checkStagedItems, downstreamKeyOf } from './staging';

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
 * checkpointed); `downstreamKey` gives the same key as with idempotency on; `commitWith` writes are committed
 * when the work returns, in one transaction of their own (the store's `commitWrites`), as the function would
 * write them without the library: there is no idempotency record to commit them with.
 */
export class DisabledExecution implements CurrentExecution {
  readonly #key: () => string | undefined;
  readonly #store: IdempotencyStore;
  readonly #usedSteps = new Set<string>();
  readonly #staged: StagedWrite[] = [];
  readonly #messages: OutboxMessage[] = [];

  /**
   * @param key the record key, derived only when `downstreamKey` (or an error message) asks for it
   * @param store commits the `commitWith` writes
   */
  public constructor(key: () => string | undefined, store: IdempotencyStore) {
    this.#key = key;
    this.#store = store;
  }

  /** Runs `work` with this execution as the current one (then call {@link finish} or {@link discard}). */
  public enter<T>(work: () => Promise<T> | T): Promise<T> {
    return runInExecution({ execution: this }, work);
  }

  /** Drops the staged writes: the outcome is not a success (an HTTP 5xx), as with idempotency on. */
  public discard(): void {
    this.#staged.length = 0;
    this.#messages.length = 0;
  }

  /** Commits the staged writes, if any, in one transaction (the middleware calls it after the handler). */
  public async finish(): Promise<void> {
    if (this.#staged.length === 0 && this.#messages.length === 0) return;
    const writes = this.#staged.splice(0);
    const messages = this.#messages.splice(0);
    const store = this.#store;
    if (typeof store.commitWrites !== 'function') {
      throw new IdempotencyConfigError(
        `commitWith staged ${writes.length} write(s) while ${DISABLED_ENV}=true, but this store has no commitWrites to commit them without an idempotency record (DynamoDBStore has); nothing was written. Unset ${DISABLED_ENV}, or use DynamoDBStore`,
      );
    }
    let label: string;
    try {
      label = this.#key() ?? 'a disabled invocation';
    } catch {
      label = 'a disabled invocation';
    }
    await store.commitWrites({ label, writes, ...(messages.length === 0 ? {} : { messages }) });
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

  public stage(items: readonly StagedWrite[]): void {
    checkStagedItems(items, this.#staged.length, undefined);
    if (this.#staged.length + items.length + packMessages(this.#messages).length > MAX_TRANSACTION_ITEMS) {
      throw new IdempotencyContextError(
        `commitWith() would stage ${this.#staged.length + items.length} writes, above the ${MAX_TRANSACTION_ITEMS} items of one DynamoDB transaction; nothing more was staged`,
      );
    }
    this.#staged.push(...items);
  }

  /** Where a message is staged, committed with the writes when the work returns (as `commitWith` writes are). */
  public messageStage(): { readonly stage: MessageStage; readonly fallbackId: () => string } {
    let key: string | undefined;
    try {
      key = this.#key();
    } catch {
      key = undefined;
    }
    return {
      stage: { store: this.#store, key, messages: this.#messages, roomForItems: MAX_TRANSACTION_ITEMS - this.#staged.length },
      fallbackId: () => randomUUID(),
    };
  }

  public downstreamKey(label: string): string {
    const key = this.#key();
    if (key === undefined) {
      throw new IdempotencyKeyError(`downstreamKey() needs the idempotency key, and none was found for this invocation`);
    }
    return downstreamKeyOf(key, label);
  }
}
