/** One execution of the work under a claimed record: run, checkpoint steps, stage writes, complete or fail. */
import {
  IdempotencyContextError,
  IdempotencyError,
  IdempotencyLeaseLostError,
  IdempotencyResultTooLargeError,
  IdempotencyStoreError,
} from '../errors';
import { type ResolvedOptions } from '../options';
import type { WriteBatch } from '../persistence/coalesce';
import type { MessageStage } from '../outbox/stage';
import {
  RecordStatus,
  type CompleteInput,
  type IdempotencyRecord,
  type OutcomeKind,
  type StagedWrite,
  type StepCheckpoint,
} from '../persistence/store';
import { isRetryable } from '../retry';
import { captureError, serialize } from '../serialize';
import { completionOf, type CompletionStrategy } from './completion';
import { enterExecution, leaveExecution, runInExecution, type StepOptions } from './context';
import type { ExecutionHost } from './host';
import { HeldLease } from './held-lease';
import { downstreamKeyOf, StagedEffects } from './staging';
import { checkedRecord } from './store-answers';
import { LazySteps } from './lazy-steps';
import { cacheableError, refusedForSize, storableResult, type Unstorable } from './storable';
import type { LifecycleHooks } from './types';

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
  /** The write-batching scope every store call of the execution goes through, if any. */
  readonly writeBatch: WriteBatch | undefined;
}

/** State of one idempotent execution: its key, lease token, checkpoints and staged writes. */
export class Execution<TResult> {
  /** The record key. */
  public readonly key: string;
  /** This execution's lease token. */
  public readonly token: string;
  /** Length of the lease, in milliseconds. */
  public readonly leaseMs: number;
  readonly #host: ExecutionHost<TResult>;
  readonly #completion: CompletionStrategy;
  readonly #fingerprint: string | undefined;
  readonly #steps: LazySteps;
  readonly #effects: StagedEffects;
  readonly #retryDeadline: () => number;
  /** The write-batching scope every store call of this execution goes through, if any. */
  public readonly writeBatch: WriteBatch | undefined;
  readonly #lease: HeldLease;
  #finished = false;
  /** Set when the store refused the completion definitively for its size (nothing was written). */
  #refusedForSize = false;

  public constructor(host: ExecutionHost<TResult>, start: ExecutionStart) {
    this.#host = host;
    this.#completion = completionOf(host.options.mode);
    this.key = start.key;
    this.token = start.token;
    this.leaseMs = start.leaseMs;
    this.#fingerprint = start.fingerprint;
    this.#effects = new StagedEffects(host.options.store, start.key);
    this.#steps = new LazySteps(
      start.key,
      start.steps,
      {
        checkpoint: (step, checkpoint) =>
          this.#write(`checkpoint step "${step}"`, () => this.#o.store.checkpoint({ key: this.key, token: this.token, step, checkpoint })),
        keepLease: () => this.keepLease(),
        // Marked as inside the step, so that `publish` (whose message a replayed step would not stage) refuses.
        inside: (step, fn) => runInExecution({ execution: this, step }, fn),
      },
      host.options.store,
    );
    this.#retryDeadline = start.retryDeadline;
    this.writeBatch = start.writeBatch;
    this.#lease = new HeldLease(
      {
        key: start.key,
        token: start.token,
        leaseMs: start.leaseMs,
        options: host.options,
        expiresBeyondLease: (leaseUntil) => host.expiresBeyondLease(leaseUntil),
        neededMs: start.leaseNeededMs,
        write: (action, call) => this.#write(action, call),
      },
      start,
    );
  }

  /**
   * A store write of this execution, retried on transient failures until the invocation's deadline;
   * `attempts.ambiguous` records whether an attempt failed in a way that may have applied it.
   */
  #write<T>(action: string, call: () => Promise<T>, attempts?: { ambiguous: boolean }): Promise<T> {
    const onRetry = (): void => {
      if (attempts) attempts.ambiguous = true;
    };
    return this.#host.retryStore(this.key, action, call, this.#retryDeadline(), onRetry, this.writeBatch);
  }

  /** The completion's write: a {@link #write} whose retries are counted (`CompletionRetries`). */
  #writeCompletion<T>(call: () => Promise<T>, attempts: { ambiguous: boolean } = { ambiguous: false }): Promise<T> {
    const onRetry = (): void => {
      attempts.ambiguous = true;
      this.#host.count('CompletionRetries');
    };
    return this.#host.retryStore(this.key, 'store the result', call, this.#retryDeadline(), onRetry, this.writeBatch);
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
    return this.#host.options;
  }

  /**
   * Runs `work` as this execution, then completes it with the value, or fails it with the error (which
   * releases the lease, or stores the error when `cacheErrors` says so, and rethrows it).
   */
  public async execute(work: () => Promise<TResult> | TResult, hooks: LifecycleHooks<TResult> = {}): Promise<TResult> {
    // No `await` without a hook to wait for: every record of a batch comes through here.
    const stop = hooks.whileRunning?.(this);
    let value: TResult;
    try {
      // This execution is the current one for the work (for `step`, `commitWith`, `downstreamKey`, `publish`).
      value = await enterExecution({ execution: this }, work);
    } catch (error) {
      leaveExecution();
      if (stop !== undefined) await stop();
      return this.fail(error);
    }
    leaveExecution();
    if (stop !== undefined) await stop();
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
    const storable = storableResult(this.key, value, o.maxResultBytes);
    if ('unstorable' in storable) return this.#unstorable(storable.unstorable);
    const { text: result, bytes } = storable;
    let winner: IdempotencyRecord | undefined;
    try {
      winner = await this.#store(result, 'value');
    } catch (error) {
      // The store refused the completion for its size (nothing written): as a result above maxResultBytes.
      if (!(error instanceof IdempotencyResultTooLargeError) || !this.#refusedForSize) throw error;
      this.#refusedForSize = false;
      return this.#unstorable(refusedForSize(this.key, bytes, error));
    }
    return winner
      ? { value: this.#host.replay(this.key, winner.outcome ?? 'value', winner.result), replayed: true }
      : { value, replayed: false };
  }

  /**
   * The work ran and its result cannot be stored. When every effect of the execution was staged with
   * `commitWith` (nothing of it was committed), or in optimistic mode, the lease is released and a retry
   * runs again. Otherwise running again would repeat effects: the record keeps the error as its outcome,
   * so retries get it (typed, `replayed: true`) instead of running the work until the record expires.
   */
  async #unstorable(make: Unstorable): Promise<never> {
    if (this.#effects.any || !this.#completion.holdsLease) {
      // Also after a completion the store refused for its size: nothing of it was written.
      this.#finished = true;
      await this.#giveBack();
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
    const stored = cacheableError(this.#o, this.key, error);
    if (stored !== undefined) {
      const winner = await this.#store(stored, 'error');
      if (winner) return this.#host.replay(this.key, winner.outcome ?? 'value', winner.result) as never;
      throw error;
    }
    await this.release();
    throw error;
  }

  /**
   * Releases the lease so a retry may run at once; keeps checkpoints (and ends the lease) when there are
   * any. Only an in-progress record of this execution is released, never a completed one. Never throws:
   * resolves `false` when the release failed (logged), and the record is then held until its lease ends.
   */
  public async release(): Promise<boolean> {
    if (this.#finished) return true;
    this.#finished = true;
    return this.#giveBack();
  }

  /** Deletes the in-progress record of this execution (or ends its lease, keeping its checkpoints); see {@link release}. */
  async #giveBack(): Promise<boolean> {
    if (!this.#completion.holdsLease) return true;
    const o = this.#o;
    try {
      await this.#write('release', () => o.store.release({ key: this.key, token: this.token, keepCheckpoints: this.#steps.checkpointed }));
      this.#host.count('Releases');
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
  async #store(result: string, outcome: OutcomeKind): Promise<IdempotencyRecord | undefined> {
    const o = this.#o;
    const writes = [...this.#effects.writes];
    const messages = [...this.#effects.messages];
    // Built afresh for every attempt: the expiry counts from when the outcome is written.
    const inputAt = (now: number): CompleteInput => ({
      key: this.key,
      token: this.token,
      result,
      outcome,
      expiresAt: this.#host.expiresAt(now),
      ...(this.#fingerprint === undefined ? {} : { fingerprint: this.#fingerprint }),
      writes,
      ...(messages.length === 0 ? {} : { messages }),
      now: now - o.clockSkewMs,
    });
    let input = inputAt(o.clock());
    this.#finished = true;
    const winner = await this.#completion.write({
      key: this.key,
      token: this.token,
      fingerprint: this.#fingerprint,
      host: this.#host,
      attempt: () => (input = inputAt(o.clock())),
      writeCompletion: (call, attempts) => this.#writeCompletion(call, attempts),
      ownCompletion: () => this.#ownCompletion(),
      notStored: (error, ambiguous) => this.#notStored(error, ambiguous),
      refusedForSize: () => {
        this.#refusedForSize = true;
      },
    });
    if (winner) return winner;
    this.#host.count('Completions');
    this.#host.remember(this.key, result, outcome, this.#fingerprint, input.expiresAt);
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
      this.#refusedForSize = true;
      return error;
    }
    if (definite && this.#effects.any) {
      // Nothing was committed, the staged writes included: end the lease so a retry runs at once.
      await this.#giveBack();
      return error;
    }
    const o = this.#o;
    const heldForMs = this.#lease.heldForMs();
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
  public step<T>(name: string, fn: () => Promise<T> | T, options: StepOptions): Promise<T> {
    if (!this.#completion.holdsLease) {
      throw new IdempotencyContextError(
        `step("${name}") cannot be used in optimistic mode (there is no lease to checkpoint under); use mode: 'lease'`,
        { key: this.key },
      );
    }
    return this.#steps.run(name, fn, options);
  }

  /** See `publish` (`effectively-once/outbox`). */
  public messageStage(): { readonly stage: MessageStage; readonly fallbackId: () => string } {
    return this.#effects.messageStage();
  }

  /** See {@link commitWith}. */
  public stage(items: readonly StagedWrite[]): void {
    this.#effects.stage(items);
  }

  /** See {@link downstreamKey}. */
  public downstreamKey(label: string): string {
    return downstreamKeyOf(this.key, label);
  }

  /** Extends this execution's lease, and the record's expiry beyond it (used by long SQS handlers). */
  public async extendLease(ms: number): Promise<void> {
    if (!this.#completion.holdsLease || this.#finished) return;
    await this.#lease.extend(ms);
  }

  /** Milliseconds left of this execution's lease as last written, on the invoker's clock. */
  public leaseLeftMs(): number {
    return this.#lease.leftMs();
  }

  /**
   * Whether {@link keepLease} has anything to do (a held lease with less left than the work needs): callers on
   * the path of every record skip it, and its promise, when not.
   */
  public leaseRunsShort(): boolean {
    return this.#completion.holdsLease && !this.#finished && this.#lease.short();
  }

  /**
   * Makes sure the work (or a step) starts with the lease it needs left: half of a fixed lease, or the
   * rest of the invocation for a lease taken from the Lambda context. A claim that landed late (its
   * attempts throttled, its answer slow, the process paused) or a record that waited its turn in a batch
   * is renewed first, fenced by the token; when the renewal fails, or the store is too slow to keep any
   * lease, the record is given back and the error thrown, so the work never runs on a lease that may be over.
   */
  public async keepLease(): Promise<void> {
    if (!this.leaseRunsShort()) return;
    await this.#lease.keep(
      (ms) => this.extendLease(ms),
      () => this.release(),
    );
  }
}
