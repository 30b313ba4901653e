/** One execution of the work under a claimed record: run, checkpoint steps, stage writes, complete or fail. */
import { MAX_TRANSACTION_ITEMS } from '../defaults';
import {
  IdempotencyConfigError,
  IdempotencyContextError,
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyLeaseLostError,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
  IdempotencyStepInterruptedError,
  IdempotencyStoreError,
} from '../errors';
import { type ResolvedOptions } from '../options';
import { packMessages } from '../outbox/items';
import type { OutboxMessage, PublishOptions } from '../outbox/message';
import { stagePublish } from '../outbox/stage';
import type { OutboxTarget } from '../outbox/targets';
import { RecordStatus, type CompleteInput, type IdempotencyRecord, type StagedWrite, type StepCheckpoint } from '../persistence/store';
import { isRetryable } from '../retry';
import { captureError, deserialize, serialize, UnstorableValueError } from '../serialize';
import { executions } from './context';
import type { IdempotencyEngine } from './engine';
import { checkFingerprint, checkpointBudget, checkStagedItems, checkStagedSizes, downstreamKeyOf } from './outcomes';
import { checkedPut, checkedRecord } from './store-answers';
import type { LifecycleHooks, StepOptions } from './types';

/** Staged writes that fit in one DynamoDB transaction beside the idempotency record itself. */
const MAX_STAGED_WRITES = MAX_TRANSACTION_ITEMS - 1;

/** What the engine hands an execution when it claims a record. */
interface ExecutionStart {
  /** The record key. */
  readonly key: string;
  /** This execution's lease token. */
  readonly token: string;
  readonly fingerprint: string | undefined;
  /** Step checkpoints found in the record. */
  readonly steps: Readonly<Record<string, StepCheckpoint>>;
  /** Length of the lease, in milliseconds. */
  readonly leaseMs: number;
  /** The lease end as written by the claim that landed, on the invoker's clock (0 in optimistic mode). */
  readonly leaseUntil: number;
  /** The record's expiry as claimed, epoch seconds (0 in optimistic mode). */
  readonly expiresAt: number;
  /** How many milliseconds of the lease the work needs left when it (or a step) starts, asked at each start. */
  readonly leaseNeededMs: () => number;
  /** Until when (monotonic milliseconds) a store write that fails transiently is retried, asked at each write. */
  readonly retryDeadline: () => number;
}

/** A lease as written in the store: its end on the invoker's clock, and the record's expiry (epoch seconds). */
export interface Lease {
  readonly leaseUntil: number;
  readonly expiresAt: number;
}

/**
 * Renewals in a row that {@link Execution.keepLease} tries when each lands with less than the work needs:
 * a store that slow cannot protect the work, and the record is given back.
 */
const MAX_RENEWALS = 2;

/** State of one idempotent execution: its key, lease token, checkpoints and staged writes. */
export class Execution<TResult> {
  /** The record key. */
  public readonly key: string;
  /** This execution's lease token. */
  public readonly token: string;
  /** Length of the lease, in milliseconds. */
  public readonly leaseMs: number;
  readonly #engine: IdempotencyEngine<never, TResult>;
  readonly #fingerprint: string | undefined;
  readonly #steps: Map<string, StepCheckpoint>;
  readonly #usedSteps = new Set<string>();
  readonly #staged: StagedWrite[] = [];
  readonly #messages: OutboxMessage[] = [];
  readonly #retryDeadline: () => number;
  readonly #leaseNeededMs: () => number;
  #expiresAt: number;
  #leaseUntil: number;
  #checkpointed: boolean;
  #finished = false;
  /** Set when the store refused the completion definitively for its size (nothing was written). */
  #refusedForSize = false;

  public constructor(engine: IdempotencyEngine<never, TResult> | IdempotencyEngine<unknown[], TResult>, start: ExecutionStart) {
    this.#engine = engine as IdempotencyEngine<never, TResult>;
    this.key = start.key;
    this.token = start.token;
    this.leaseMs = start.leaseMs;
    this.#fingerprint = start.fingerprint;
    this.#steps = new Map(Object.entries(start.steps));
    this.#checkpointed = this.#steps.size > 0;
    this.#expiresAt = start.expiresAt;
    this.#leaseUntil = start.leaseUntil;
    this.#leaseNeededMs = start.leaseNeededMs;
    this.#retryDeadline = start.retryDeadline;
  }

  /**
   * A store write of this execution, retried on transient failures until the invocation's deadline;
   * `attempts.ambiguous` records whether an attempt failed in a way that may have applied it.
   */
  #write<T>(action: string, call: () => Promise<T>, attempts?: { ambiguous: boolean }): Promise<T> {
    return this.#engine.retryStore(this.key, action, call, this.#retryDeadline(), () => {
      if (attempts) attempts.ambiguous = true;
    });
  }

  /** The completion's write: a {@link #write} whose retries are counted (`CompletionRetries`). */
  #writeCompletion<T>(call: () => Promise<T>, attempts: { ambiguous: boolean } = { ambiguous: false }): Promise<T> {
    return this.#engine.retryStore(this.key, 'store the result', call, this.#retryDeadline(), () => {
      attempts.ambiguous = true;
      this.#engine.count('CompletionRetries');
    });
  }

  /** Whether the record holds this execution's completion (`unknown` when the read fails too). */
  async #ownCompletion(): Promise<'yes' | 'no' | 'unknown'> {
    const o = this.#o;
    try {
      const record = await this.#write('read', () =>
        o.store.get(this.key, o.clock() - o.clockSkewMs).then((answer) => checkedRecord(answer, this.key)),
      );
      return record?.status === RecordStatus.Completed && record.token === this.token ? 'yes' : 'no';
    } catch {
      return 'unknown';
    }
  }

  get #o(): ResolvedOptions<never> {
    return this.#engine.options;
  }

  /** Runs `work` with this execution as the current one (for `step`, `commitWith`, `downstreamKey`). */
  public enter<T>(work: () => Promise<T> | T): Promise<T> {
    return Promise.resolve(executions.run({ execution: this as Execution<unknown> }, work));
  }

  /**
   * Runs `work` as this execution, then completes it with the value, or fails it with the error (which
   * releases the lease, or stores the error when `cacheErrors` says so, and rethrows it).
   */
  public async execute(work: () => Promise<TResult> | TResult, hooks: LifecycleHooks<TResult> = {}): Promise<TResult> {
    const stop = hooks.whileRunning?.(this);
    let value: TResult;
    try {
      value = await this.enter(work);
    } catch (error) {
      await stop?.();
      return this.fail(error);
    }
    await stop?.();
    if (hooks.shouldStore !== undefined && !hooks.shouldStore(value)) {
      await this.release();
      return value;
    }
    const stored = await this.#complete(value);
    // Another execution's outcome won (optimistic mode): it is a replay.
    return stored.replayed && hooks.onReplay ? hooks.onReplay(stored.value) : stored.value;
  }

  /** Stores the result (and commits the staged writes with it), then returns it. */
  public async complete(value: TResult): Promise<TResult> {
    return (await this.#complete(value)).value;
  }

  /** Stores the result; `replayed` when another execution's outcome won instead (optimistic mode). */
  async #complete(value: TResult): Promise<{ value: TResult; replayed: boolean }> {
    const o = this.#o;
    let result: string;
    try {
      result = serialize(value);
    } catch (error) {
      const path = error instanceof UnstorableValueError ? error.path : undefined;
      return this.#unstorable(
        (what) =>
          new IdempotencyResultNotStorableError(`The result of ${this.key} cannot be stored (${(error as Error).message}); ${what}`, {
            key: this.key,
            cause: error,
            ...(path === undefined ? {} : { path }),
          }),
      );
    }
    const bytes = Buffer.byteLength(result);
    if (bytes > o.maxResultBytes) {
      return this.#unstorable(
        (what) =>
          new IdempotencyResultTooLargeError(
            `The result of ${this.key} is ${bytes} bytes serialised, above maxResultBytes (${o.maxResultBytes}); ${what}. Return less (store the payload elsewhere and return a reference) or raise maxResultBytes`,
            { key: this.key, bytes, maxBytes: o.maxResultBytes },
          ),
      );
    }
    let winner: IdempotencyRecord | undefined;
    try {
      winner = await this.#store(result, 'value');
    } catch (error) {
      // The store refused the completion for its size (nothing written): as a result above maxResultBytes.
      if (!(error instanceof IdempotencyResultTooLargeError) || !this.#refusedForSize) throw error;
      this.#refusedForSize = false;
      return this.#unstorable(
        (what) =>
          new IdempotencyResultTooLargeError(
            `The result of ${this.key} (${bytes} bytes serialised) could not be stored: ${error.message}; ${what}`,
            {
              key: this.key,
              cause: error,
              bytes: error.bytes,
              maxBytes: error.maxBytes,
            },
          ),
      );
    }
    return winner
      ? { value: this.#engine.replay(this.key, winner.outcome ?? 'value', winner.result), replayed: true }
      : { value, replayed: false };
  }

  /**
   * The work ran and its result cannot be stored. When every effect of the execution was staged with
   * `commitWith` (nothing of it was committed), or in optimistic mode, the lease is released and a retry
   * runs again. Otherwise running again would repeat effects: the record keeps the error as its outcome,
   * so retries get it (typed, `replayed: true`) instead of running the work until the record expires.
   */
  async #unstorable(make: (what: string) => IdempotencyError): Promise<never> {
    if (this.#committedOnly() || this.#o.mode === 'optimistic') {
      await this.release();
      throw make('nothing was committed and the lease was released');
    }
    const error = make(
      'the work ran, so the record keeps this error as its outcome: retries with this key get it instead of running the work again, until the record expires (release(...args) lets the key run again)',
    );
    await this.#store(serialize(captureError(error)), 'error');
    throw error;
  }

  /** After a failure: caches the error when `cacheErrors` says so, else releases the lease. Always throws. */
  public async fail(error: unknown): Promise<never> {
    const stored = this.#cacheable(error);
    if (stored !== undefined) {
      const winner = await this.#store(stored, 'error');
      if (winner) return this.#engine.replay(this.key, winner.outcome ?? 'value', winner.result) as never;
      throw error;
    }
    await this.release();
    throw error;
  }

  /**
   * The error as it is stored, when `cacheErrors` says to cache it and it can be stored; otherwise
   * `undefined` (logged), and the caller releases the lease: the caller always gets its own error.
   */
  #cacheable(error: unknown): string | undefined {
    const o = this.#o;
    if (o.cacheErrors === undefined) return undefined;
    let cache: boolean;
    try {
      cache = o.cacheErrors(error) === true;
    } catch (predicateError) {
      o.logger.warn(`cacheErrors threw for ${this.key}; the error is not cached and the lease is released`, predicateError);
      return undefined;
    }
    if (!cache) return undefined;
    let text: string;
    try {
      text = serialize(captureError(error));
    } catch (serialiseError) {
      o.logger.warn(`The error of ${this.key} cannot be stored, so it is not cached; the lease is released`, serialiseError);
      return undefined;
    }
    if (Buffer.byteLength(text) > o.maxResultBytes) {
      o.logger.warn(`The error of ${this.key} is above maxResultBytes (${o.maxResultBytes}), so it is not cached; the lease is released`);
      return undefined;
    }
    return text;
  }

  /**
   * Releases the lease so a retry may run at once; keeps checkpoints (and ends the lease) when there are
   * any. Only an in-progress record of this execution is released, never a completed one. Never throws:
   * resolves `false` when the release failed (logged), and the record is then held until its lease ends.
   */
  public async release(): Promise<boolean> {
    if (this.#finished) return true;
    this.#finished = true;
    const o = this.#o;
    if (o.mode === 'optimistic') return true;
    try {
      await this.#write('release', () => o.store.release({ key: this.key, token: this.token, keepCheckpoints: this.#checkpointed }));
      this.#engine.count('Releases');
      return true;
    } catch (releaseError) {
      if (releaseError instanceof IdempotencyLeaseLostError) {
        // Another invocation took the record over after this lease ended: nothing of ours left to release.
        o.logger.debug(`Idempotency record ${this.key} was taken over by another invocation; nothing to release`);
        return true;
      }
      // The original failure is what the caller must see; the record is never held beyond its lease.
      o.logger.warn(`Could not release idempotency record ${this.key}; it is held until its lease ends`, releaseError);
      return false;
    }
  }

  /** Stores the outcome; in optimistic mode returns the record of an execution that completed first. */
  async #store(result: string, outcome: 'value' | 'error'): Promise<IdempotencyRecord | undefined> {
    const o = this.#o;
    const writes = [...this.#staged];
    const messages = [...this.#messages];
    // Built afresh for every attempt: the expiry counts from when the outcome is written.
    const inputAt = (now: number): CompleteInput => ({
      key: this.key,
      token: this.token,
      result,
      outcome,
      expiresAt: this.#engine.expiresAt(now),
      ...(this.#fingerprint === undefined ? {} : { fingerprint: this.#fingerprint }),
      writes,
      ...(messages.length === 0 ? {} : { messages }),
      now: now - o.clockSkewMs,
    });
    let input = inputAt(o.clock());
    const attempt = (): CompleteInput => (input = inputAt(o.clock()));
    this.#finished = true;
    if (o.mode === 'optimistic') {
      let written: Awaited<ReturnType<typeof o.store.putCompleted>>;
      const attempts = { ambiguous: false };
      try {
        written = await this.#writeCompletion(
          () => o.store.putCompleted(attempt()).then((answer) => checkedPut(answer, this.key)),
          attempts,
        );
      } catch (error) {
        if (error instanceof IdempotencyResultTooLargeError && !attempts.ambiguous) {
          this.#refusedForSize = true;
          throw error;
        }
        // An earlier attempt may have been applied (its answer lost): a consistent read tells.
        if ((await this.#ownCompletion()) !== 'yes') {
          throw new IdempotencyStoreError(
            `The work of ${this.key} ran (optimistic mode), but its outcome could not be stored (${(error as Error)?.message ?? String(error)}); nothing was held, so a redelivery runs it again unless an earlier attempt stored it`,
            { key: this.key, cause: error, retryable: isRetryable(error), workRan: true },
          );
        }
        written = { written: true };
      }
      if (!written.written && written.existing.token !== this.token) {
        const existing = written.existing;
        try {
          checkFingerprint(this.key, existing.fingerprint, this.#fingerprint);
        } catch (mismatch) {
          this.#engine.count('PayloadMismatches');
          throw mismatch;
        }
        if (existing.status !== RecordStatus.Completed) {
          this.#engine.count('InProgressRejections');
          throw new IdempotencyInProgressError(
            `Idempotency record ${this.key} is held by a lease-mode invocation; this optimistic run's writes were dropped`,
            { key: this.key, retryAfterMs: Math.max(0, existing.leaseUntil + o.clockSkewMs - o.clock()) },
          );
        }
        // Another execution completed first: its outcome wins and this run's staged writes were dropped.
        this.#engine.remember(
          this.key,
          existing.result ?? serialize(undefined),
          existing.outcome ?? 'value',
          this.#fingerprint,
          existing.expiresAt,
        );
        return existing;
      }
    } else {
      const attempts = { ambiguous: false };
      try {
        // Fenced by the token and the in-progress status: a retry after a lost answer finds its own
        // completed record and stops there, so staged writes apply once.
        await this.#writeCompletion(() => o.store.complete(attempt()), attempts);
      } catch (error) {
        // An earlier attempt may have been applied (its answer lost): a consistent read tells.
        const stored = error instanceof IdempotencyLeaseLostError ? 'no' : await this.#ownCompletion();
        if (stored !== 'yes') throw await this.#notStored(error, attempts.ambiguous || stored === 'unknown');
      }
    }
    this.#engine.count('Completions');
    this.#engine.remember(this.key, result, outcome, this.#fingerprint, input.expiresAt);
    return undefined;
  }

  /**
   * The work ran and its completion failed. Releasing would let a retry run the work again, so the record
   * is released only after a definite failure (nothing was written) of a completion whose effects were
   * all staged with `commitWith`; otherwise (outcome unknown, or effects made outside the transaction) it
   * stays held until its lease ends, and the caller learns that the work ran.
   */
  async #notStored(error: unknown, ambiguous: boolean): Promise<unknown> {
    if (error instanceof IdempotencyLeaseLostError) return error;
    // Definite only when this attempt was refused and no earlier one may have been applied.
    const definite = error instanceof IdempotencyError && !isRetryable(error) && !ambiguous;
    if (definite && error instanceof IdempotencyResultTooLargeError) {
      // Nothing was written and the same write would be refused again: the caller keeps the record (or
      // releases it when every effect was staged) with this error as its outcome.
      this.#finished = false;
      this.#refusedForSize = true;
      return error;
    }
    if (definite && this.#committedOnly()) {
      // Nothing was committed, the staged writes included: end the lease so a retry runs at once.
      this.#finished = false;
      await this.release();
      return error;
    }
    const o = this.#o;
    const heldForMs = Math.max(0, this.#leaseUntil + o.clockSkewMs - o.clock());
    const detail = error instanceof Error ? error.message : String(error);
    const stored = new IdempotencyStoreError(
      `The work of ${this.key} ran, but its outcome could not be stored (${detail})${
        ambiguous ? '; an earlier attempt may have stored it, and a redelivery then replays it' : ''
      }. The record stays held until its lease ends (in ${Math.round(heldForMs)} ms), so a redelivery before then gets IdempotencyInProgressError instead of running the work again; retry the invocation after that`,
      { key: this.key, cause: error, retryable: isRetryable(error), workRan: true },
    );
    o.logger.error(stored.message, { key: this.key, error });
    return stored;
  }

  /** See {@link step}. */
  public async step<T>(name: string, fn: () => Promise<T> | T, options: StepOptions): Promise<T> {
    const o = this.#o;
    if (o.mode === 'optimistic') {
      throw new IdempotencyContextError(
        `step("${name}") cannot be used in optimistic mode (there is no lease to checkpoint under); use mode: 'lease'`,
        { key: this.key },
      );
    }
    if (typeof name !== 'string' || name.length === 0) {
      throw new IdempotencyContextError(`Expected the step name to be a non-empty string, got ${String(name)}`, { key: this.key });
    }
    if (this.#usedSteps.has(name)) {
      throw new IdempotencyContextError(
        `step("${name}") was already used in this execution; step names identify checkpoints and must be unique`,
        { key: this.key },
      );
    }
    this.#usedSteps.add(name);
    const checkpoint = this.#steps.get(name);
    if (checkpoint?.state === 'done') return (checkpoint.result === undefined ? undefined : deserialize(checkpoint.result)) as T;
    if (checkpoint?.state === 'unstorable') {
      throw new IdempotencyResultNotStorableError(
        `Step "${name}" of ${this.key} ran in an earlier attempt, but its result could not be checkpointed (${checkpoint.reason ?? 'unknown reason'}), so it does not run again. Reconcile it, then call completeStep("${name}", result, ...args) with a result that can be stored, or release(...args)`,
        { key: this.key },
      );
    }
    if (checkpoint?.state === 'started') {
      throw new IdempotencyStepInterruptedError(
        `Step "${name}" of ${this.key} was started by an earlier attempt that did not finish it (atMostOnce), so it may or may not have had its effect. Reconcile it with the downstream system, then call completeStep("${name}", result, ...args) on the idempotent function (the step is replayed with that result) or release(...args) (the work runs afresh)`,
        { key: this.key, step: name },
      );
    }
    // A step is work: it starts only with the lease it needs left (renewed once half of it is gone).
    await this.keepLease();
    if (options.atMostOnce === true) {
      await this.#write(`checkpoint step "${name}"`, () =>
        o.store.checkpoint({ key: this.key, token: this.token, step: name, checkpoint: { state: 'started' } }),
      );
      this.#checkpointed = true;
      await this.keepLease();
    }
    // Marked as inside the step, so that `publish` (whose message a replayed step would not stage) refuses.
    const value = await executions.run({ execution: this as Execution<unknown>, step: name }, fn);
    const result = await this.#checkpointable(name, value);
    await this.#write(`checkpoint step "${name}"`, () =>
      o.store.checkpoint({ key: this.key, token: this.token, step: name, checkpoint: { state: 'done', result } }),
    );
    this.#checkpointed = true;
    this.#steps.set(name, { state: 'done', result });
    return value;
  }

  /**
   * The step's result as it is checkpointed. A result that cannot be stored, or that would take the
   * record's checkpoints above {@link MAX_CHECKPOINT_BYTES} (the same budget in every store), is marked
   * `unstorable` instead, so the step (which ran) never runs again, and a typed error is thrown.
   */
  async #checkpointable(name: string, value: unknown): Promise<string> {
    let failure: IdempotencyError;
    let result: string;
    try {
      result = serialize(value);
      const held = [...this.#steps].reduce((sum, [step, c]) => (step === name ? sum : sum + Buffer.byteLength(c.result ?? '')), 0);
      const bytes = held + Buffer.byteLength(result);
      const budget = checkpointBudget(this.#o.store);
      if (bytes <= budget) return result;
      failure = new IdempotencyResultTooLargeError(
        `The result of step "${name}" of ${this.key} would take the record's step checkpoints to ${bytes} bytes, above the ${budget} a record holds; the step ran, so it is marked and does not run again. Return less from steps (store the payload elsewhere and return a reference)`,
        { key: this.key, bytes, maxBytes: budget },
      );
    } catch (error) {
      failure = new IdempotencyResultNotStorableError(
        `The result of step "${name}" of ${this.key} cannot be stored (${(error as Error).message}); the step ran, so it is marked and does not run again`,
        { key: this.key, cause: error, ...(error instanceof UnstorableValueError ? { path: error.path } : {}) },
      );
    }
    const checkpoint: StepCheckpoint = { state: 'unstorable', reason: failure.message };
    await this.#write(`checkpoint step "${name}"`, () =>
      this.#o.store.checkpoint({ key: this.key, token: this.token, step: name, checkpoint }),
    );
    this.#checkpointed = true;
    this.#steps.set(name, checkpoint);
    throw failure;
  }

  /**
   * Whether the execution staged writes or messages: its effects are then taken to be all in the
   * completion's transaction, so a definite failure to commit it lets a retry run the work again.
   */
  #committedOnly(): boolean {
    return this.#staged.length > 0 || this.#messages.length > 0;
  }

  /** See `publish` (`effectively-once/outbox`). */
  public publish(target: OutboxTarget, message: unknown, options: PublishOptions): string {
    return stagePublish(
      { store: this.#o.store, key: this.key, messages: this.#messages, roomForItems: MAX_STAGED_WRITES - this.#staged.length },
      target,
      message,
      options,
      () => this.key,
    );
  }

  /** See {@link commitWith}. */
  public stage(items: readonly StagedWrite[]): void {
    const refusal = this.#o.store.stagedWritesRefusal;
    if (refusal !== undefined) {
      // Refused at the call, before the work goes on to effects a retry would repeat.
      throw new IdempotencyConfigError(`commitWith cannot be used here: ${refusal}; nothing was staged`, { key: this.key });
    }
    checkStagedItems(items, this.#staged.length, this.key);
    checkStagedSizes(this.#o.store.limits, this.#staged, items, this.key);
    const outboxItems = packMessages(this.#messages).length;
    if (this.#staged.length + items.length + outboxItems > MAX_STAGED_WRITES) {
      throw new IdempotencyContextError(
        `commitWith: ${this.#staged.length + items.length} staged writes${outboxItems > 0 ? ` and ${outboxItems} outbox item(s)` : ''} exceed the ${MAX_STAGED_WRITES} that fit in one DynamoDB transaction beside the idempotency record; nothing was sent`,
        { key: this.key },
      );
    }
    this.#staged.push(...items);
  }

  /** See {@link downstreamKey}. */
  public downstreamKey(label: string): string {
    return downstreamKeyOf(this.key, label);
  }

  /** Extends this execution's lease, and the record's expiry beyond it (used by long SQS handlers). */
  public async extendLease(ms: number): Promise<void> {
    const o = this.#o;
    if (o.mode === 'optimistic' || this.#finished) return;
    let written: Lease | undefined;
    await this.#write('extend the lease', () => {
      // Measured from this attempt: an extension retried after a throttle extends from when it is sent.
      const leaseUntil = o.clock() + ms;
      const expiresAt = Math.max(this.#expiresAt, this.#engine.expiresBeyondLease(leaseUntil));
      written = { leaseUntil, expiresAt };
      return o.store.extendLease({ key: this.key, token: this.token, leaseUntil, expiresAt });
    });
    if (written === undefined) return;
    this.#leaseUntil = written.leaseUntil;
    this.#expiresAt = written.expiresAt;
  }

  /** Milliseconds left of this execution's lease as last written, on the invoker's clock. */
  public leaseLeftMs(): number {
    return this.#leaseUntil - this.#o.clock();
  }

  /**
   * Makes sure the work (or a step) starts with the lease it needs left: half of a fixed lease, or the
   * rest of the invocation for a lease taken from the Lambda context. A claim that landed late (its
   * attempts throttled, its answer slow, the process paused) or a record that waited its turn in a batch
   * is renewed first, fenced by the token; when the renewal fails, or the store is too slow to keep any
   * lease, the record is given back and the error thrown, so the work never runs on a lease that may be over.
   */
  public async keepLease(): Promise<void> {
    if (this.#o.mode === 'optimistic' || this.#finished) return;
    for (let renewals = 0; this.leaseLeftMs() < this.#leaseNeededMs(); renewals += 1) {
      if (renewals === MAX_RENEWALS) {
        await this.release();
        throw new IdempotencyStoreError(
          `The lease on idempotency record ${this.key} was renewed ${MAX_RENEWALS} times and each renewal landed with less than the work needs (${Math.round(this.leaseLeftMs())} ms of ${this.leaseMs} ms left): the store answers too slowly to protect the work, so the record was given back and the work did not run; retry the invocation`,
          { key: this.key, retryable: true },
        );
      }
      try {
        await this.extendLease(this.leaseMs);
      } catch (error) {
        // Taken over meanwhile (the lease ended before the renewal landed), or the store is down: not ours to run.
        await this.release();
        throw error;
      }
    }
  }
}
