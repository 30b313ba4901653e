/** `onInProgress: 'wait'`: polls a record another invocation holds until it completes, goes, or its lease ends. */
import { WAIT_INITIAL_DELAY_MS, WAIT_MAX_DELAY_MS } from '../defaults';
import { IdempotencyInProgressError } from '../errors';
import type { ResolvedOptions } from '../options';
import { RecordStatus, type IdempotencyRecord, type OutcomeKind } from '../persistence/store';
import { monotonicNow } from '../retry';
import { backoffMs, sleep, type Backoff } from '../time';
import { checkFingerprint } from './identity';
import type { LeaseTime } from './lease-time';
import type { LocalCache } from './local-cache';
import { checkedRecord } from './store-answers';
import type { StoreCalls } from './store-calls';

/** The polls of a record held by another invocation (`onInProgress: 'wait'`): doubling, capped. */
const WAIT_BACKOFF: Backoff = { firstMs: WAIT_INITIAL_DELAY_MS, maxMs: WAIT_MAX_DELAY_MS };

/** What waiting for a holder uses of its engine. */
export interface WaitParts<TResult> {
  readonly options: ResolvedOptions<never>;
  readonly time: LeaseTime;
  readonly calls: StoreCalls;
  readonly cache: LocalCache;
  /** Returns a stored value, or throws a stored error marked `replayed: true`. */
  replay(key: string, outcome: OutcomeKind, result: string | undefined): TResult;
}

/** How a wait ended: an outcome to replay, or a record to claim afresh (gone) or take over (lease ended). */
export type WaitEnd<TResult> = { kind: 'replay'; value: TResult } | { kind: 'retry'; record: IdempotencyRecord | undefined };

/**
 * Polls the record (consistent reads, backoff) until it completes, disappears or its lease ends, or the
 * wait ends: at `deadline` on the options' clock, or at `monotonicEnd` in real time.
 */
export async function waitForHolder<TResult>(
  parts: WaitParts<TResult>,
  key: string,
  seen: IdempotencyRecord,
  fingerprint: string | undefined,
  deadline: number,
  monotonicEnd = Number.POSITIVE_INFINITY,
): Promise<WaitEnd<TResult>> {
  const { options: o, time } = parts;
  let record: IdempotencyRecord | undefined = seen;
  for (let attempt = 1; ; attempt += 1) {
    const left = Math.min(deadline - o.clock(), monotonicEnd - monotonicNow());
    if (left <= 0) {
      const retryAfterMs = time.retryAfterMs(record);
      throw new IdempotencyInProgressError(
        `Idempotency record ${key} was still held by another invocation when the wait ran out of time; retry after ${retryAfterMs} ms`,
        { key, retryAfterMs },
      );
    }
    await sleep(Math.min(backoffMs(WAIT_BACKOFF, attempt), left));
    const current: IdempotencyRecord | undefined = await parts.calls.retry(
      key,
      'read',
      () => o.store.get(key, o.clock() - o.clockSkewMs).then((answer) => checkedRecord(answer, key)),
      monotonicNow() + Math.max(0, deadline - o.clock()),
    );
    if (!current) return { kind: 'retry', record: undefined };
    checkFingerprint(key, current.fingerprint, fingerprint);
    if (current.status === RecordStatus.Completed) {
      parts.cache.rememberRecord(key, current, fingerprint);
      return { kind: 'replay', value: parts.replay(key, current.outcome ?? 'value', current.result) };
    }
    if (time.leaseEnded(current)) return { kind: 'retry', record: current };
    record = current;
  }
}
