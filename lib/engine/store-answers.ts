/**
 * What a store answers, checked before the engine acts on it: a custom store that resolves `undefined`, `{}`
 * or a malformed record gets an `IdempotencyStoreError` naming its method, never a raw `TypeError` deep in
 * the engine; and a store call that never settles is given up at the invocation's deadline.
 */
// Node's own timers: the deadline is real time (monotonic), whatever a test's fake timers do to the globals.
import { clearTimeout, setTimeout } from 'node:timers';
import { IdempotencyStoreError } from '../errors';
import { describe } from '../describe';
import { RecordStatus, type ClaimResult, type IdempotencyRecord } from '../persistence/store';
import { monotonicNow } from '../retry';

/** The method of the store that gave an answer, as the error names it. */
type Method = 'claim' | 'takeOver' | 'get' | 'putCompleted';

function malformed(method: Method, key: string, what: string, answer: unknown): IdempotencyStoreError {
  return new IdempotencyStoreError(
    `The store's ${method}() answered ${describe(answer)} for idempotency record ${key}, which is not ${what}; fix the store (see docs/writing-a-store.md)`,
    { key },
  );
}

/** Whether `value` has the fields of an {@link IdempotencyRecord} the engine reads. */
function isRecord(value: unknown): value is IdempotencyRecord {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    (r['status'] === RecordStatus.InProgress || r['status'] === RecordStatus.Completed) &&
    typeof r['token'] === 'string' &&
    typeof r['expiresAt'] === 'number' &&
    typeof r['leaseUntil'] === 'number' &&
    r['steps'] !== null &&
    typeof r['steps'] === 'object' &&
    (r['result'] === undefined || typeof r['result'] === 'string') &&
    (r['fingerprint'] === undefined || typeof r['fingerprint'] === 'string')
  );
}

const RECORD = 'an IdempotencyRecord (status, token, expiresAt, leaseUntil, steps)';

/** A claim's or take-over's answer: `{ claimed: true, steps }` or `{ claimed: false, existing: <record> }`. */
export function checkedClaim(answer: unknown, method: 'claim' | 'takeOver', key: string): ClaimResult {
  const a = answer as { claimed?: unknown; steps?: unknown; existing?: unknown } | null | undefined;
  if (a !== null && typeof a === 'object' && a.claimed === true && a.steps !== null && typeof a.steps === 'object') return a as ClaimResult;
  if (a !== null && typeof a === 'object' && a.claimed === false && isRecord(a.existing)) return a as ClaimResult;
  throw malformed(method, key, `{ claimed: true, steps } or { claimed: false, existing: ${RECORD} }`, answer);
}

/** A read's answer: a record, or `undefined` when there is none. */
export function checkedRecord(answer: unknown, key: string): IdempotencyRecord | undefined {
  if (answer === undefined || isRecord(answer)) return answer;
  throw malformed('get', key, `undefined or ${RECORD}`, answer);
}

/** An optimistic completion's answer: `{ written: true }` or `{ written: false, existing: <record> }`. */
export function checkedPut(
  answer: unknown,
  key: string,
): { readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord } {
  const a = answer as { written?: unknown; existing?: unknown } | null | undefined;
  if (a !== null && typeof a === 'object' && (a.written === true || (a.written === false && isRecord(a.existing)))) {
    return a as { readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord };
  }
  throw malformed('putCompleted', key, `{ written: true } or { written: false, existing: ${RECORD} }`, answer);
}

/** The least time a store call is given, in milliseconds, even when the deadline is nearer (or past). */
export const MIN_STORE_CALL_MS = 2000;

/** A store call waiting for its answer: when it is given up (monotonic milliseconds), and how. */
interface Waiting {
  readonly until: number;
  giveUp(): void;
}

/**
 * Every store call waiting for its answer, watched by one timer set for the earliest `until`: a batch's records
 * make several calls each, and a timer per call (made and cleared) cost more than the call's own promise.
 */
const waiting = new Set<Waiting>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;

function watch(call: Waiting): void {
  waiting.add(call);
  if (call.until < timerAt) arm(call.until);
}

function unwatch(call: Waiting): void {
  waiting.delete(call);
  // Nothing left to watch: no timer keeps the process (or a test) alive.
  if (waiting.size === 0 && timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
    timerAt = Infinity;
  }
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(giveUpDue, Math.max(1, Math.ceil(at - monotonicNow())));
}

function giveUpDue(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = monotonicNow();
  let next = Infinity;
  for (const call of waiting) {
    if (call.until <= now) {
      waiting.delete(call);
      call.giveUp();
    } else next = Math.min(next, call.until);
  }
  if (next !== Infinity) arm(next);
}

/**
 * The store call, given up when it has not settled by `deadline` (monotonic milliseconds), or after
 * {@link MIN_STORE_CALL_MS} when that is later: a store that never answers fails the invocation with a
 * retryable `IdempotencyStoreError` instead of keeping it pending. The call may still be applied later;
 * every write is fenced by its token, so that is handled like a lost answer.
 */
export function settledBy<T>(call: Promise<T>, deadline: number, key: string, what: string): Promise<T> {
  const now = monotonicNow();
  const waitMs = Math.max(MIN_STORE_CALL_MS, Math.round(deadline - now));
  return new Promise<T>((resolve, reject) => {
    const watched: Waiting = {
      until: now + waitMs,
      giveUp: () =>
        reject(
          new IdempotencyStoreError(
            `The store's ${what} of idempotency record ${key} did not answer within ${waitMs} ms (the invocation's deadline, or completionRetrySeconds without a Lambda context), so it was given up; retry the invocation`,
            { key, retryable: true },
          ),
        ),
    };
    watch(watched);
    Promise.resolve(call).then(
      (value) => {
        unwatch(watched);
        resolve(value);
      },
      (error: unknown) => {
        unwatch(watched);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the store's own failure, passed on as it is
        reject(error);
      },
    );
  });
}
