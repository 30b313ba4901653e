/**
 * The simulated store: the real `InMemoryStore` (the reference implementation of the store contract, the
 * code the mutants patch) behind a gate the scheduler controls. Every call is parked until the scheduler
 * lets it proceed, with a fault: applied and answered, applied with its answer lost, refused (throttled),
 * or the calling process crashes before or after it. Staged `commitWith` writes are applied to a ledger
 * atomically with the completion that carries them. A monitor checks, after every applied call, that a
 * completed record is never replaced or deleted before it expires.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IdempotencyStoreError, InMemoryStore } from '../../lib';
import {
  RecordStatus,
  type CheckpointInput,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type IdempotencyRecord,
  type IdempotencyStore,
  type LeaseExtension,
} from '../../lib/store';

/** What happens to one parked call. */
export const FAULTS = ['ok', 'lost', 'throttle', 'refuse', 'crash-before', 'crash-after'] as const;
/**
 * Faults of time, for configurations that ask for them: the request lands only later (`slow`: it stays
 * parked until then, while the clock runs), or it is applied now and its answer reaches the process later
 * (`slow-answer`: a slow network, a paused process, a long GC between two awaits of the engine).
 */
export const TIME_FAULTS = ['slow', 'slow-answer'] as const;
export type Fault = (typeof FAULTS)[number] | (typeof TIME_FAULTS)[number];

/**
 * One invocation of the simulated Lambda function (a delivery of an event), or one record of a batch
 * invocation: a record has its own key and effect/completion flags, and shares its batch's process (its
 * `state` is the batch's, so a crash or a timeout ends every record of the batch).
 */
export interface Invocation {
  readonly id: number;
  /** The event key (a batch: its keys joined, for traces only; its records carry the keys). */
  readonly key: string;
  readonly startedAt: number;
  readonly deadline: number;
  /** How far this invoker's clock runs ahead of the true time, in ms. */
  readonly skewMs: number;
  state: 'running' | 'succeeded' | 'failed' | 'crashed' | 'killed';
  /** The plain effect ran in this invocation. */
  didEffect: boolean;
  /** A completion (or optimistic write) of this invocation was applied. */
  completionApplied: boolean;
  /** A repeat of its plain effect was already allowed for this invocation. */
  repeatAllowed?: boolean;
  outcome?: { value: unknown } | { error: unknown };
  /** A batch invocation: its records, in the batch's order. */
  readonly records?: readonly Invocation[];
  /** A record of a batch: the batch invocation it came in. */
  readonly batch?: Invocation;
  /** A record of a batch: its SQS messageId. */
  readonly messageId?: string;
  /** A record of a batch: reported in `batchItemFailures`. */
  reportedFailed?: boolean;
  /** A record of a batch: the error `processSqsBatch` logged for it, if any. */
  error?: unknown;
  /** A record of a batch: it was refused because the event was in progress elsewhere. */
  inProgress?: boolean;
}

/** The invocations a process is: a batch's records, or the invocation itself. */
export function membersOf(invocation: Invocation): readonly Invocation[] {
  const process = invocation.batch ?? invocation;
  return process.records ?? [process];
}

/** A store call waiting for the scheduler. */
export interface PendingCall {
  readonly seq: number;
  readonly invocation: Invocation;
  readonly op: string;
  readonly key: string;
  /** The call lands no earlier than this (virtual epoch ms): a `slow` request. */
  readyAt?: number;
  /** The lease the call writes, when it writes one (claims, take-overs, extensions). */
  readonly leaseUntil?: number;
  apply(invocation: Invocation): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export const current = new AsyncLocalStorage<Invocation>();

/** A transient failure, shaped as DynamoDBStore reports one. */
function transient(what: string, key: string): IdempotencyStoreError {
  return new IdempotencyStoreError(`simulated ${what} for ${key}`, { key, retryable: true });
}

export class SimStore implements IdempotencyStore {
  readonly inner = new InMemoryStore();
  readonly pending: PendingCall[] = [];
  /** Staged writes applied, by item id. */
  readonly ledger = new Map<string, number>();
  /** Plain effects applied, by key. */
  readonly effects = new Map<string, number>();
  /** Which invocation wrote each lease token. */
  readonly tokenOwner = new Map<string, Invocation>();
  /** Plain effects that may repeat by the documented limits (a crash, or a lease outlived, after the effect). */
  readonly allowance = new Map<string, number>();
  readonly violations: string[] = [];
  readonly #completed = new Map<string, IdempotencyRecord>();
  /** The lease last written by each token, on its invoker's clock. */
  readonly #leases = new Map<string, number>();
  /** Who runs work on each event key right now (from the work's start to its end). */
  readonly #working = new Map<string, Set<Invocation>>();
  /** A fixed lease (`leaseSeconds`) of the configuration, in ms: every claim must carry a fresh one. */
  public leaseMs: number | undefined;
  /** The record key of each event key. */
  readonly #recordKeys = new Map<string, string>();
  #seq = 0;

  public constructor(private readonly now: () => number) {}

  /** The event key of each record key registered ahead (batches, whose calls carry no event key). */
  readonly #eventKeys = new Map<string, string>();

  /** Registers the record key of an event key, for the records of batch invocations. */
  public knowRecordKey(eventKey: string, recordKey: string): void {
    this.#recordKeys.set(eventKey, recordKey);
    this.#eventKeys.set(recordKey, eventKey);
  }

  /** The invocation a call of `process` on `key` belongs to: in a batch, the record with that key. */
  #memberFor(process: Invocation, op: string, key: string): Invocation {
    if (process.records === undefined) return process;
    const eventKey = op === 'effect' ? key : this.#eventKeys.get(key);
    const member = process.records.find((r) => r.key === eventKey);
    if (member === undefined) {
      this.violations.push(`#${process.id} called ${op}(${key}), a key of none of its records`);
      return process;
    }
    return member;
  }

  #park<T>(op: string, key: string, apply: (invocation: Invocation | undefined) => Promise<T>, leaseUntil?: number): Promise<T> {
    const process = current.getStore();
    if (process === undefined) return apply(undefined);
    const invocation = this.#memberFor(process, op, key);
    if (leaseUntil !== undefined && (op === 'claim' || op === 'takeOver')) this.#checkFreshLease(invocation, op, leaseUntil);
    if (op !== 'effect' && process.records === undefined) this.#recordKeys.set(invocation.key, key);
    return new Promise<T>((resolve, reject) => {
      // A dead process sends nothing more.
      if (invocation.state === 'crashed' || invocation.state === 'killed') return;
      this.pending.push({
        seq: (this.#seq += 1),
        invocation,
        op,
        key,
        ...(leaseUntil === undefined ? {} : { leaseUntil }),
        apply: (i) => apply(i),
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
  }

  /**
   * Invariant: every attempt of a claim or take-over carries a lease measured from when it is sent (a fixed
   * lease: `leaseSeconds` from the invoker's clock now), never one computed before a retry's backoff.
   */
  #checkFreshLease(invocation: Invocation, op: string, leaseUntil: number): void {
    if (this.leaseMs === undefined) return;
    const sentAt = this.now() + invocation.skewMs;
    const staleMs = sentAt + this.leaseMs - leaseUntil;
    if (staleMs > 1) {
      this.violations.push(
        `#${invocation.id} sent a ${op} of ${invocation.key} whose lease was measured ${Math.round(staleMs)} ms before the attempt`,
      );
    }
  }

  /** The calls that may land now (a `slow` request waits for its time). */
  public ready(now: number): PendingCall[] {
    return this.pending.filter((call) => (call.readyAt ?? 0) <= now);
  }

  /** When the earliest slow request may land, if any waits. */
  public nextReadyAt(now: number): number | undefined {
    const waiting = this.pending.map((call) => call.readyAt ?? 0).filter((at) => at > now);
    return waiting.length === 0 ? undefined : Math.min(...waiting);
  }

  /** A slow request: it stays parked until `at`, and the scheduler picks its fate then. */
  public delay(call: PendingCall, at: number): void {
    call.readyAt = at;
  }

  /**
   * Lets a parked call proceed with `fault`; `answer` delivers its answer (`slow-answer`: later, on a timer
   * of the calling process, so a process that dies meanwhile never sees it).
   */
  public async proceed(call: PendingCall, fault: Fault, answer: (settle: () => void) => void = (settle) => settle()): Promise<void> {
    this.pending.splice(this.pending.indexOf(call), 1);
    if (fault === 'throttle') {
      call.reject(transient('throttle', call.key));
      return;
    }
    if (fault === 'refuse') {
      // A definite failure: the request was refused and not applied (a validation error, a denied permission).
      call.reject(new IdempotencyStoreError(`simulated refusal for ${call.key}`, { key: call.key, retryable: false }));
      return;
    }
    if (fault === 'crash-before') {
      this.crash(call.invocation, 'crashed');
      return;
    }
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await call.apply(call.invocation);
    } catch (error) {
      failure = { error };
    }
    this.#monitor();
    if (fault === 'crash-after') {
      this.crash(call.invocation, 'crashed');
      return;
    }
    if (fault === 'lost') {
      call.reject(transient('lost response', call.key));
      return;
    }
    answer(() => {
      if (failure) call.reject(failure.error);
      else call.resolve(result);
    });
  }

  /** The work of `invocation` on its key starts: checks the invariants of time, and notes it until `end`. */
  public startWork(invocation: Invocation, clock: () => number, explicitLeaseMs: number | undefined): () => void {
    const key = invocation.key;
    const who = invocation.batch === undefined ? `#${invocation.id}` : `#${invocation.id} (${key})`;
    void this.recordOf(key).then((record) => {
      if (record === undefined || this.tokenOwner.get(record.token) !== invocation) {
        this.violations.push(`${who} started its work without holding its record's claim`);
        return;
      }
      // Work starts with half of a fixed lease left, or (a lease from the Lambda context) a lease that
      // lasts as long as the invocation, less the engine's 1 s margin.
      const leftMs = record.leaseUntil - clock();
      if (explicitLeaseMs !== undefined && leftMs < explicitLeaseMs / 2) {
        this.violations.push(`${who} started its work with ${leftMs} ms left of its ${explicitLeaseMs / 1000} s lease`);
      }
      if (explicitLeaseMs === undefined && record.leaseUntil < invocation.deadline + invocation.skewMs - 1_000 - 1) {
        this.violations.push(
          `${who} started its work on a lease that ends ${invocation.deadline + invocation.skewMs - record.leaseUntil} ms before its invocation`,
        );
      }
    });
    // No two executions of one key run work at once, unless the first one's lease (as written) had ended.
    const working = this.#working.get(key) ?? new Set<Invocation>();
    this.#working.set(key, working);
    for (const other of working) {
      if (other === invocation || other.state !== 'running') continue;
      const token = [...this.tokenOwner].find(([, owner]) => owner === other)?.[0];
      const lease = token === undefined ? undefined : this.#leases.get(token);
      const trueEnd = lease === undefined ? Number.POSITIVE_INFINITY : lease - other.skewMs;
      if (this.now() < trueEnd) {
        this.violations.push(
          `${who} started work on ${key} while #${other.id} worked on it under a lease that ran ${trueEnd - this.now()} ms more`,
        );
      }
    }
    // A step inside the work: checked as work, and the work's own end ends it.
    if (working.has(invocation)) return () => undefined;
    working.add(invocation);
    return () => working.delete(invocation);
  }

  /** The process of `invocation` dies: its parked calls never return. */
  public crash(invocation: Invocation, how: 'crashed' | 'killed'): void {
    const process = invocation.batch ?? invocation;
    if (process.state !== 'running') return;
    process.state = how;
    const members = membersOf(process);
    for (const call of this.pending.filter((c) => members.includes(c.invocation))) this.pending.splice(this.pending.indexOf(call), 1);
    for (const member of members) this.allowRepeatAfter(member);
  }

  /**
   * The invocation ran its plain effect and will not complete (it crashed, was killed, or its work failed
   * and it releases): a redelivery runs the effect again, as documented. Counted once per invocation.
   */
  public allowRepeatAfter(invocation: Invocation): void {
    if (invocation.didEffect && !invocation.completionApplied && invocation.repeatAllowed !== true) {
      invocation.repeatAllowed = true;
      this.allow(invocation.key);
    }
  }

  /** One more repeat of `key`'s plain effect is within the documented limits. */
  public allow(key: string): void {
    this.allowance.set(key, (this.allowance.get(key) ?? 0) + 1);
  }

  /** The plain effect of a handler, as a call the scheduler controls (a crash may land on either side). */
  public effect(key: string): Promise<void> {
    return this.#park('effect', key, async (invocation) => {
      this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
      if (invocation) invocation.didEffect = true;
    });
  }

  /** The record as stored, expired or not. */
  public peek(key: string): Promise<IdempotencyRecord | undefined> {
    return this.inner.get(key, 0);
  }

  /** The record of an event key, as stored. */
  public recordOf(eventKey: string): Promise<IdempotencyRecord | undefined> {
    const key = this.#recordKeys.get(eventKey);
    return key === undefined ? Promise.resolve(undefined) : this.peek(key);
  }

  /** Invariant: a completed record is never replaced or deleted before it expires. */
  #monitor(): void {
    void Promise.all(
      [...this.#completed].map(async ([key, before]) => {
        const now = await this.peek(key);
        if (before.expiresAt * 1000 <= this.now()) {
          this.#completed.delete(key);
          return;
        }
        if (now === undefined || now.status !== RecordStatus.Completed || now.token !== before.token || now.result !== before.result) {
          this.violations.push(`the completed record of ${key} was ${now === undefined ? 'deleted' : 'replaced'} before it expired`);
          this.#completed.delete(key);
        }
      }),
    );
  }

  async #track(key: string): Promise<void> {
    const record = await this.peek(key);
    if (record?.status === RecordStatus.Completed && !this.#completed.has(key)) this.#completed.set(key, record);
  }

  #owner(token: string, invocation: Invocation | undefined): void {
    if (invocation && !this.tokenOwner.has(token)) this.tokenOwner.set(token, invocation);
  }

  public claim(input: ClaimInput): Promise<ClaimResult> {
    return this.#park(
      'claim',
      input.key,
      async (invocation) => {
        const before = await this.peek(input.key);
        const result = await this.inner.claim(input);
        if (result.claimed) this.#checkLiveLease(before, invocation);
        if (result.claimed) this.#owner(input.token, invocation);
        if (result.claimed) this.#leases.set(input.token, input.leaseUntil);
        // A completed record that expired is claimed afresh: the event runs again, as documented.
        if (result.claimed && before?.status === RecordStatus.Completed && invocation) this.allow(invocation.key);
        return result;
      },
      input.leaseUntil,
    );
  }

  public takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult> {
    return this.#park(
      'takeOver',
      input.key,
      async (invocation) => {
        const before = await this.peek(input.key);
        const result = await this.inner.takeOver(input);
        if (result.claimed) {
          this.#checkLiveLease(before, invocation);
          this.#owner(input.token, invocation);
          this.#leases.set(input.token, input.leaseUntil);
          // The holder outlived its lease (alive, effect done, not completed): a documented limit.
          const previous = this.tokenOwner.get(input.previousToken);
          if (previous && previous.state === 'running' && previous.didEffect && !previous.completionApplied) this.allow(previous.key);
        }
        return result;
      },
      input.leaseUntil,
    );
  }

  /** Invariant: a lease that has not ended in true time is never claimed or taken over while its holder runs. */
  #checkLiveLease(before: IdempotencyRecord | undefined, by: Invocation | undefined): void {
    if (before === undefined || before.status !== RecordStatus.InProgress) return;
    const holder = this.tokenOwner.get(before.token);
    if (holder === undefined || holder === by || holder.state !== 'running') return;
    const trueLeaseEnd = before.leaseUntil - holder.skewMs;
    if (this.now() < trueLeaseEnd) {
      this.violations.push(
        `#${by?.id ?? '?'} took the record of ${holder.key} over while #${holder.id}'s lease ran for ${trueLeaseEnd - this.now()} ms more`,
      );
    }
  }

  public checkpoint(input: CheckpointInput): Promise<void> {
    return this.#park('checkpoint', input.key, () => this.inner.checkpoint(input));
  }

  public extendLease(input: LeaseExtension): Promise<void> {
    return this.#park(
      'extendLease',
      input.key,
      async () => {
        await this.inner.extendLease(input);
        this.#leases.set(input.token, input.leaseUntil);
      },
      input.leaseUntil,
    );
  }

  public complete(input: CompleteInput): Promise<void> {
    return this.#park('complete', input.key, async (invocation) => {
      const before = await this.peek(input.key);
      await this.inner.complete({ ...input, writes: [] });
      const after = await this.peek(input.key);
      // Applied now (not a no-op on a record this token had completed already): the staged writes with it.
      const applied = !(before?.status === RecordStatus.Completed && before.token === input.token);
      if (applied) this.#applied(input, after, invocation);
    });
  }

  public putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    return this.#park('putCompleted', input.key, async (invocation) => {
      const result = await this.inner.putCompleted({ ...input, writes: [] });
      if (result.written) {
        this.#owner(input.token, invocation);
        this.#applied(input, await this.peek(input.key), invocation);
      }
      return result;
    });
  }

  #applied(input: CompleteInput, record: IdempotencyRecord | undefined, invocation: Invocation | undefined): void {
    if (invocation) invocation.completionApplied = true;
    for (const write of input.writes) {
      const id = String((write as { Put?: { Item?: { id?: unknown } } }).Put?.Item?.id ?? JSON.stringify(write));
      this.ledger.set(id, (this.ledger.get(id) ?? 0) + 1);
    }
    if (record?.status === RecordStatus.Completed) void this.#track(input.key);
  }

  public release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    const process = current.getStore();
    if (process) this.allowRepeatAfter(this.#memberFor(process, 'release', input.key));
    return this.#park('release', input.key, () => this.inner.release(input));
  }

  public get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return this.#park('get', key, () => this.inner.get(key, now));
  }
}
