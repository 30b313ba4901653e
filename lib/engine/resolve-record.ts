/**
 * The way out of a record stuck on an interrupted `atMostOnce` step (or any in-progress record whose lease
 * ended), by hand: take the record over, fenced like every write, then delete it or mark a step done.
 */
import { randomUUID } from 'node:crypto';
import { MAX_CHECKPOINT_BYTES } from '../defaults';
import {
  IdempotencyContextError,
  IdempotencyInProgressError,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
} from '../errors';
import type { ResolvedOptions } from '../options';
import { RecordStatus, type StepCheckpoint } from '../persistence/store';
import { monotonicNow } from '../retry';
import { serialize } from '../serialize';
import type { LeaseTime } from './lease-time';
import type { LocalCache } from './local-cache';
import { checkedClaim, checkedRecord } from './store-answers';
import type { StoreCalls } from './store-calls';
import type { RecordResolution } from './types';

/** What resolving a record by hand uses of its engine. */
export interface ResolverParts {
  readonly options: ResolvedOptions<never>;
  readonly time: LeaseTime;
  readonly calls: StoreCalls;
  readonly cache: LocalCache;
}

/** A step to mark done by hand, with the result its replays return. */
export interface ResolvedStep {
  readonly name: string;
  readonly result: unknown;
}

/**
 * Takes the record of `key` over, then deletes it, or with `step` marks that step done with `step.result`
 * and ends the lease so the next delivery replays it and goes on. Throws `IdempotencyInProgressError` while
 * a live lease holds the record.
 */
export async function resolveStuckRecord(parts: ResolverParts, key: string, step: ResolvedStep | undefined): Promise<RecordResolution> {
  const { options: o, calls } = parts;
  if (step !== undefined && (typeof step.name !== 'string' || step.name.length === 0)) {
    throw new IdempotencyContextError(`Expected the step name to be a non-empty string, got ${String(step.name)}`);
  }
  const stepResult = step === undefined ? undefined : storableStepResult(key, step.name, step.result);
  parts.cache.delete(key);
  const deadline = monotonicNow() + o.completionRetrySeconds * 1000;
  const taken = await takeOverEnded(parts, key, deadline);
  if (taken.kind === 'found') return taken.found;
  const { token } = taken;
  if (step !== undefined) {
    const checkpoint: StepCheckpoint = { state: 'done', ...(stepResult === undefined ? {} : { result: stepResult }) };
    await calls.retry(key, 'checkpoint', () => o.store.checkpoint({ key, token, step: step.name, checkpoint }), deadline);
  }
  await calls.retry(key, 'release', () => o.store.release({ key, token, keepCheckpoints: step !== undefined }), deadline);
  o.logger.info(step === undefined ? `Released idempotency record ${key} by hand` : `Marked step "${step.name}" of ${key} done by hand`);
  return step === undefined ? 'released' : 'stepDone';
}

/**
 * Takes over the record of `key` when its lease ended, or says what was found instead (none, or a completed
 * record). Throws `IdempotencyInProgressError` while a live lease holds it, or when another invocation took it first.
 */
async function takeOverEnded(
  parts: ResolverParts,
  key: string,
  deadline: number,
): Promise<{ kind: 'taken'; token: string } | { kind: 'found'; found: 'absent' | 'completed' }> {
  const { options: o, time, calls } = parts;
  const record = await calls.retry(
    key,
    'read',
    () => o.store.get(key, o.clock() - o.clockSkewMs).then((answer) => checkedRecord(answer, key)),
    deadline,
  );
  if (!record) return { kind: 'found', found: 'absent' };
  if (record.status === RecordStatus.Completed) return { kind: 'found', found: 'completed' };
  if (!time.leaseEnded(record)) {
    const retryAfterMs = time.retryAfterMs(record);
    throw new IdempotencyInProgressError(
      `Idempotency record ${key} is held by a running invocation for ${retryAfterMs} ms more; nothing was released. Retry after that`,
      { key, retryAfterMs },
    );
  }
  const token = randomUUID();
  const leaseMs = time.leaseMs({});
  const taken = await calls.retry(
    key,
    'take over',
    () => {
      // Measured from this attempt, as every lease is.
      const now = o.clock();
      return o.store
        .takeOver({
          key,
          token,
          previousToken: record.token,
          leaseUntil: now + leaseMs,
          expiresAt: Math.max(record.expiresAt, time.claimExpiresAt(now, leaseMs)),
          now: now - o.clockSkewMs,
        })
        .then((answer) => checkedClaim(answer, 'takeOver', key));
    },
    deadline,
  );
  if (!taken.claimed && taken.existing.token !== token) {
    if (taken.existing.status === RecordStatus.Completed) return { kind: 'found', found: 'completed' };
    throw new IdempotencyInProgressError(`Idempotency record ${key} was taken over by another invocation meanwhile; nothing was released`, {
      key,
      retryAfterMs: time.retryAfterMs(taken.existing),
    });
  }
  return { kind: 'taken', token };
}

/** A result given by hand for a step, serialised; refused before anything is written. */
function storableStepResult(key: string, step: string, value: unknown): string {
  let text: string;
  try {
    text = serialize(value);
  } catch (error) {
    throw new IdempotencyResultNotStorableError(
      `The result given for step "${step}" cannot be stored (${(error as Error).message}); nothing was written`,
      { key, cause: error },
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CHECKPOINT_BYTES) {
    throw new IdempotencyResultTooLargeError(
      `The result given for step "${step}" is ${bytes} bytes, above the ${MAX_CHECKPOINT_BYTES} a record holds; nothing was written`,
      { key, bytes, maxBytes: MAX_CHECKPOINT_BYTES },
    );
  }
  return text;
}
