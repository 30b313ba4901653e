/** Small rules the engine and its executions share: stored errors, fingerprints, step results, downstream keys. */
import { createHash } from 'node:crypto';
import { MAX_CHECKPOINT_BYTES } from '../defaults';
import {
  IdempotencyContextError,
  IdempotencyError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
} from '../errors';
import { stagedWriteBytes } from '../persistence/item-size';
import type { IdempotencyStore, StagedWrite, StoreLimits } from '../persistence/store';
import { serialize, type StoredError } from '../serialize';

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

/** Bytes of step results one record holds: the library's budget, or less when the store says so. */
export function checkpointBudget(store: IdempotencyStore): number {
  return Math.min(MAX_CHECKPOINT_BYTES, store.limits?.maxCheckpointBytes ?? MAX_CHECKPOINT_BYTES);
}

/**
 * The library's own errors kept as outcomes (a result that could not be stored) come back as instances of
 * their classes, marked `replayed: true`; other stored errors are revived by `reviveError`.
 */
export function reviveLibraryError(stored: StoredError | undefined): Error | undefined {
  const p = stored?.properties ?? {};
  const key = typeof p['key'] === 'string' ? p['key'] : undefined;
  let error: IdempotencyError | undefined;
  if (stored?.name === 'IdempotencyResultTooLargeError') {
    error = new IdempotencyResultTooLargeError(stored.message, { key, bytes: Number(p['bytes']), maxBytes: Number(p['maxBytes']) });
  } else if (stored?.name === 'IdempotencyResultNotStorableError') {
    error = new IdempotencyResultNotStorableError(stored.message, { key, ...(typeof p['path'] === 'string' ? { path: p['path'] } : {}) });
  }
  return error === undefined ? undefined : Object.assign(error, { replayed: true });
}

/** A result given by hand for a step (`completeStep`), serialised; refused before anything is written. */
export function storableStepResult(key: string, step: string, value: unknown): string {
  let text: string;
  try {
    text = serialize(value);
  } catch (error) {
    throw new IdempotencyResultNotStorableError(
      `The result given for step "${step}" cannot be stored (${(error as Error).message}); nothing was written`,
      {
        key,
        cause: error,
      },
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CHECKPOINT_BYTES) {
    throw new IdempotencyResultTooLargeError(
      `The result given for step "${step}" is ${bytes} bytes, above the ${MAX_CHECKPOINT_BYTES} a record holds; nothing was written`,
      {
        key,
        bytes,
        maxBytes: MAX_CHECKPOINT_BYTES,
      },
    );
  }
  return text;
}

export function checkFingerprint(key: string, stored: string | undefined, current: string | undefined): void {
  if (stored !== undefined && current !== undefined && stored !== current) {
    throw new IdempotencyPayloadMismatchError(
      `Idempotency key ${key} was used before with a different payload (the fingerprint differs); use a new key for a different request`,
      { key },
    );
  }
}

/** The `downstreamKey(label)` of the execution of record `key`: the same on every attempt, distinct per label. */
export function downstreamKeyOf(key: string, label: string): string {
  return createHash('sha256').update(`${key}\u0000${label}`).digest('hex');
}

export function describeMissing(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return 'an empty string';
  return Array.isArray(value) ? 'an array of missing values' : 'an empty value';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
