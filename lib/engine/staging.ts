/** What the work inside an execution hands it: `commitWith` items, checked before they are staged, and downstream keys. */
import { createHash } from 'node:crypto';
import { IdempotencyContextError } from '../errors';
import type { StagedWrite } from '../persistence/store';

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
