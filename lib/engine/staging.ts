/** What the work inside an execution hands it: `commitWith` items, checked before they are staged, and downstream keys. */
import { createHash } from 'node:crypto';
import { MAX_TRANSACTION_ITEMS } from '../defaults';
import { IdempotencyConfigError, IdempotencyContextError } from '../errors';
import { packMessages } from '../outbox/items';
import type { OutboxMessage } from '../outbox/message';
import type { MessageStage } from '../outbox/stage';
import { stagedWriteBytes } from '../persistence/item-size';
import type { IdempotencyStore, StagedWrite, StoreLimits } from '../persistence/store';

/** Staged writes that fit in one DynamoDB transaction beside the idempotency record itself. */
const MAX_STAGED_WRITES = MAX_TRANSACTION_ITEMS - 1;

/**
 * What an execution stages for its completion's transaction: the `commitWith` writes and the outbox messages,
 * each checked when it is staged, while the work still runs.
 */
export class StagedEffects {
  public readonly writes: StagedWrite[] = [];
  public readonly messages: OutboxMessage[] = [];
  readonly #store: IdempotencyStore;
  readonly #key: string;

  public constructor(store: IdempotencyStore, key: string) {
    this.#store = store;
    this.#key = key;
  }

  /**
   * Whether writes or messages were staged: the execution's effects are then taken to be all in the
   * completion's transaction, so a definite failure to commit it lets a retry run the work again.
   */
  public get any(): boolean {
    return this.writes.length > 0 || this.messages.length > 0;
  }

  /** See `publish` (`effectively-once/outbox`). */
  public messageStage(): { readonly stage: MessageStage; readonly fallbackId: () => string } {
    const key = this.#key;
    const room = MAX_STAGED_WRITES - this.writes.length;
    return { stage: { store: this.#store, key, messages: this.messages, roomForItems: room }, fallbackId: () => key };
  }

  /** See `commitWith`. */
  public stage(items: readonly StagedWrite[]): void {
    const refusal = this.#store.stagedWritesRefusal;
    if (refusal !== undefined) {
      // Refused at the call, before the work goes on to effects a retry would repeat.
      throw new IdempotencyConfigError(`commitWith cannot be used here: ${refusal}; nothing was staged`, { key: this.#key });
    }
    checkStagedItems(items, this.writes.length, this.#key);
    checkStagedSizes(this.#store.limits, this.writes, items, this.#key);
    const outboxItems = packMessages(this.messages).length;
    if (this.writes.length + items.length + outboxItems > MAX_STAGED_WRITES) {
      throw new IdempotencyContextError(
        `commitWith: ${this.writes.length + items.length} staged writes${outboxItems > 0 ? ` and ${outboxItems} outbox item(s)` : ''} exceed the ${MAX_STAGED_WRITES} that fit in one DynamoDB transaction beside the idempotency record; nothing was sent`,
        { key: this.#key },
      );
    }
    this.writes.push(...items);
  }
}

const WRITE_KINDS = new Set(['Put', 'Update', 'Delete', 'ConditionCheck']);

/**
 * Checks the items given to `commitWith` (with `alreadyStaged` staged before them): each is exactly one of
 * Put, Update, Delete or ConditionCheck.
 */
export function checkStagedItems(items: readonly StagedWrite[], alreadyStaged: number, key: string | undefined): void {
  items.forEach((item, index) => {
    const kinds = item && typeof item === 'object' ? Object.keys(item).filter((k) => WRITE_KINDS.has(k)) : [];
    if (kinds.length !== 1 || Object.keys(item).length !== 1) {
      throw new IdempotencyContextError(
        `commitWith: item #${alreadyStaged + index} must have exactly one of Put, Update, Delete or ConditionCheck, got keys [${
          item && typeof item === 'object' ? Object.keys(item).join(', ') : String(item)
        }]`,
        { key },
      );
    }
  });
}

/** The `downstreamKey(label)` of the execution of record `key`: the same on every attempt, distinct per label. */
export function downstreamKeyOf(key: string, label: string): string {
  return createHash('sha256').update(`${key}\u0000${label}`).digest('hex');
}

/**
 * Checks the sizes of `items` about to be staged (after `staged`) against what the store can write: each
 * within `maxStagedWriteBytes`, all together within `maxCommitBytes`. Refused before anything is sent, while
 * the work still runs.
 */
export function checkStagedSizes(
  limits: StoreLimits | undefined,
  staged: readonly StagedWrite[],
  items: readonly StagedWrite[],
  key: string | undefined,
): void {
  if (limits === undefined) return;
  let total = staged.reduce((sum, write) => sum + stagedWriteBytes(write), 0);
  items.forEach((item, index) => {
    const bytes = stagedWriteBytes(item);
    const max = limits.maxStagedWriteBytes;
    if (max !== undefined && bytes > max) {
      throw new IdempotencyContextError(
        `commitWith: item #${staged.length + index} is about ${bytes} bytes, above the ${max} bytes the store writes in one item; nothing was sent. Store large data elsewhere (S3) and write a reference`,
        { key },
      );
    }
    total += bytes;
  });
  const max = limits.maxCommitBytes;
  if (max !== undefined && total > max) {
    throw new IdempotencyContextError(
      `commitWith: the staged writes are about ${total} bytes together, above the ${max} bytes of one atomic commit of the store; nothing was sent. Stage less, or split the work`,
      { key },
    );
  }
}
