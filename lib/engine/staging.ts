/** What the work inside an execution hands it: `commitWith` items, checked before they are staged, and downstream keys. */
import { createHash } from 'node:crypto';
import { IdempotencyContextError } from '../errors';
import { stagedWriteBytes } from '../persistence/item-size';
import type { StagedWrite, StoreLimits } from '../persistence/store';

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
