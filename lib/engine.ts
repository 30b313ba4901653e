import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_LEASE_SECONDS, LEASE_SAFETY_MARGIN_MS, MAX_CHECKPOINT_BYTES, MAX_TRANSACTION_ITEMS, WAIT_INITIAL_DELAY_MS, WAIT_MAX_DELAY_MS } from './defaults';
import {
  IdempotencyContextError,
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyKeyError,
  IdempotencyLeaseLostError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
  IdempotencyStepInterruptedError,
  IdempotencyStoreError,
} from './errors';
import { hashValue, isMissingKey, UnidentifiableValueError } from './keys';
import { resolveOptions, type IdempotencyOptions, type ResolvedOptions } from './options';
import { RecordStatus, type IdempotencyRecord, type StagedWrite, type StepCheckpoint } from './persistence/store';
import { isRetryable, monotonicNow, retryTransient } from './retry';
import { captureError, deserialize, reviveError, serialize, UnstorableValueError, type StoredError } from './serialize';

/** Staged writes that fit in one DynamoDB transaction beside the idempotency record itself. */
const MAX_STAGED_WRITES = MAX_TRANSACTION_ITEMS - 1;

/** What `begin` decided for one invocation. */
export type Begin<TResult> =
  /** A stored outcome: return `value` (or throw `error`) without running the work. */
  | { readonly kind: 'replay'; readonly value: TResult }
  /** No key and `onMissingKey: 'run'`: run the work unprotected. */
  | { readonly kind: 'unprotected' }
  /** This invocation runs the work inside `execution`, then calls `execution.complete` or `execution.fail`. */
  | { readonly kind: 'execute'; readonly execution: Execution<TResult> };

/** Per-invocation facts an adapter passes to the engine. */
export interface InvocationInfo {
  /** Milliseconds the invocation has left (from the Lambda context), when known. */
  readonly remainingMs?: number;
}

/** What a hand-made release (`release`, `completeStep`) found and did. */
export type RecordResolution =
  /** The in-progress record was deleted: the next delivery runs the work afresh. */
  | 'released'
  /** The step was marked done with the given result and the lease ended: the next delivery replays it. */
  | 'stepDone'
  /** There was no live record: nothing to do. */
  | 'absent'
  /** The record is completed: it is left as it is (its result is replayed). */
  | 'completed';

interface CacheEntry {
  readonly result: string;
  readonly outcome: 'value' | 'error';
  readonly fingerprint: string | undefined;
  readonly expiresAtMs: number;
}

/** The one place that holds the rules: claim, run, complete, release, replay. Adapters call it. */
export class IdempotencyEngine<TArgs extends unknown[], TResult> {
  public readonly options: ResolvedOptions<TArgs>;
  readonly #cache = new Map<string, CacheEntry>();

  public constructor(options: IdempotencyOptions<TArgs>, defaultName: string, extraKeys: readonly string[] = []) {
    this.options = resolveOptions(options, defaultName, extraKeys);
  }

  /** Runs `work` at most once per key and returns (or replays) its outcome. */
  public async run(args: TArgs, info: InvocationInfo, work: () => Promise<TResult> | TResult): Promise<TResult> {
    const begun = await this.begin(args, info);
    if (begun.kind === 'replay') return begun.value;
    if (begun.kind === 'unprotected') return work();
    return begun.execution.execute(work);
  }

  /**
   * Derives the key (once: a handler that mutates its input cannot change it), then claims it or finds
   * the outcome to replay.
   */
  public async begin(args: TArgs, info: InvocationInfo): Promise<Begin<TResult>> {
    const o = this.options;
    const key = this.keyOf(args);
    if (key === undefined) {
      if (o.onMissingKey === 'run') {
        o.logger.warn(`No idempotency key found for ${o.name}; running without idempotency (onMissingKey: 'run')`);
        return { kind: 'unprotected' };
      }
      throw new IdempotencyKeyError(
        `No idempotency key found for ${o.name}: the key selector returned ${describeMissing(o.selectKey(args))}. Fix the \`key\` option or the event, or set onMissingKey: 'run'`,
      );
    }
    const fingerprint = o.selectFingerprint ? this.#hashSelected('fingerprint', () => o.selectFingerprint?.(args)) : undefined;

    const cached = this.#cached(key);
    if (cached) {
      checkFingerprint(key, cached.fingerprint, fingerprint);
      return { kind: 'replay', value: this.replay(key, cached.outcome, cached.result) };
    }

    const token = randomUUID();
    const leaseMs = this.#leaseMs(info);
    const deadline = o.clock() + (info.remainingMs ?? leaseMs) - LEASE_SAFETY_MARGIN_MS;
    // Store retries end with the invocation (less the margin), or after completionRetrySeconds without one.
    const invocationEnd = info.remainingMs === undefined ? undefined : monotonicNow() + info.remainingMs - LEASE_SAFETY_MARGIN_MS;
    const retryDeadline = (): number => invocationEnd ?? monotonicNow() + o.completionRetrySeconds * 1000;
    const execution = (steps: Readonly<Record<string, StepCheckpoint>>, expiresAt: number): Begin<TResult> => ({
      kind: 'execute',
      execution: new Execution(this, { key, token, fingerprint, steps, leaseMs, expiresAt, retryDeadline }),
    });
    if (o.mode === 'optimistic') return execution({}, 0);

    const claimDeadline = retryDeadline();
    let existing: IdempotencyRecord | undefined;
    for (;;) {
      const now = o.clock();
      const claim = {
        key,
        token,
        leaseUntil: now + leaseMs,
        expiresAt: this.#expiresAt(now, leaseMs),
        ...(fingerprint === undefined ? {} : { fingerprint }),
        now: now - o.clockSkewMs,
      };
      const previous = existing;
      const expiresAt = previous ? Math.max(claim.expiresAt, previous.expiresAt) : claim.expiresAt;
      const result = await this.#retryStore(
        key,
        'claim',
        () => (previous ? o.store.takeOver({ ...claim, previousToken: previous.token, expiresAt }) : o.store.claim(claim)),
        claimDeadline,
      );
      existing = undefined;
      if (result.claimed) return execution(result.steps, expiresAt);
      const found = result.existing;
      // Our own write, applied once and met again by the SDK's retry after a lost response.
      if (found.token === token) return execution(found.steps, found.expiresAt);
      checkFingerprint(key, found.fingerprint, fingerprint);
      if (found.status === RecordStatus.Completed) {
        this.#remember(key, found, fingerprint);
        return { kind: 'replay', value: this.replay(key, found.outcome ?? 'value', found.result) };
      }
      if (this.#leaseEnded(found)) {
        // The holder's lease ended (it crashed, timed out or released after a failure): take over.
        existing = found;
        continue;
      }
      if (o.onInProgress === 'wait') {
        const waited = await this.#waitFor(key, found, fingerprint, deadline);
        if (waited.kind === 'replay') return waited;
        // Gone (released after a failure): claim afresh. Lease ended: take over.
        existing = waited.record;
        continue;
      }
      const retryAfterMs = this.#retryAfterMs(found);
      throw new IdempotencyInProgressError(
        `Idempotency record ${key} is held by another invocation for ${retryAfterMs} ms more; retry after that (or use onInProgress: 'wait')`,
        { key, retryAfterMs },
      );
    }
  }

  /**
   * The way out of a record stuck on an interrupted `atMostOnce` step (or any in-progress record whose
   * lease ended): takes the record over, fenced like every write, then deletes it, or with `step` marks
   * that step done with `step.result` and ends the lease so the next delivery replays it and goes on.
   * Throws `IdempotencyInProgressError` while a live lease holds the record.
   */
  public async resolveRecord(args: TArgs, step?: { readonly name: string; readonly result: unknown }): Promise<RecordResolution> {
    const o = this.options;
    const key = this.keyOf(args);
    if (key === undefined) {
      throw new IdempotencyKeyError(`No idempotency key found for ${o.name}: the key selector returned ${describeMissing(o.selectKey(args))}; nothing was released`);
    }
    if (step !== undefined && (typeof step.name !== 'string' || step.name.length === 0)) {
      throw new IdempotencyContextError(`Expected the step name to be a non-empty string, got ${String(step.name)}`);
    }
    const stepResult = step === undefined ? undefined : storableStepResult(key, step.name, step.result);
    this.#cache.delete(key);
    const deadline = monotonicNow() + o.completionRetrySeconds * 1000;
    const record = await this.#retryStore(key, 'read', () => o.store.get(key, o.clock() - o.clockSkewMs), deadline);
    if (!record) return 'absent';
    if (record.status === RecordStatus.Completed) return 'completed';
    if (!this.#leaseEnded(record)) {
      const retryAfterMs = this.#retryAfterMs(record);
      throw new IdempotencyInProgressError(
        `Idempotency record ${key} is held by a running invocation for ${retryAfterMs} ms more; nothing was released. Retry after that`,
        { key, retryAfterMs },
      );
    }
    const token = randomUUID();
    const now = o.clock();
    const leaseMs = this.#leaseMs({});
    const taken = await this.#retryStore(
      key,
      'take over',
      () =>
        o.store.takeOver({
          key,
          token,
          previousToken: record.token,
          leaseUntil: now + leaseMs,
          expiresAt: Math.max(record.expiresAt, this.#expiresAt(now, leaseMs)),
          now: now - o.clockSkewMs,
        }),
      deadline,
    );
    if (!taken.claimed && taken.existing.token !== token) {
      if (taken.existing.status === RecordStatus.Completed) return 'completed';
      throw new IdempotencyInProgressError(`Idempotency record ${key} was taken over by another invocation meanwhile; nothing was released`, {
        key,
        retryAfterMs: this.#retryAfterMs(taken.existing),
      });
    }
    if (step !== undefined) {
      const checkpoint: StepCheckpoint = { state: 'done', ...(stepResult === undefined ? {} : { result: stepResult }) };
      await this.#retryStore(key, 'checkpoint', () => o.store.checkpoint({ key, token, step: step.name, checkpoint }), deadline);
    }
    await this.#retryStore(key, 'release', () => o.store.release({ key, token, keepCheckpoints: step !== undefined }), deadline);
    o.logger.info(step === undefined ? `Released idempotency record ${key} by hand` : `Marked step "${step.name}" of ${key} done by hand`);
    return step === undefined ? 'released' : 'stepDone';
  }

  /** Whether the lease of an in-progress record has ended on every invoker's clock (`clockSkewMs`). */
  #leaseEnded(record: IdempotencyRecord): boolean {
    return record.leaseUntil + this.options.clockSkewMs < this.options.clock();
  }

  #retryAfterMs(record: IdempotencyRecord): number {
    return Math.max(0, record.leaseUntil + this.options.clockSkewMs - this.options.clock());
  }

  /** A store call retried on transient failures until `deadline` (monotonic milliseconds). @internal */
  public retryStore<T>(key: string, action: string, call: () => Promise<T>, deadline: number, onRetry?: () => void): Promise<T> {
    return this.#retryStore(key, action, call, deadline, onRetry);
  }

  /**
   * A store call retried on transient failures until `deadline`. What a store throws that is not one of
   * the library's errors becomes an `IdempotencyStoreError` with it as `cause`.
   */
  async #retryStore<T>(key: string, action: string, call: () => Promise<T>, deadline: number, onRetry?: () => void): Promise<T> {
    try {
      return await retryTransient(call, deadline, (error, attempt) => {
        onRetry?.();
        this.options.logger.debug(`Retrying ${action} of idempotency record ${key} after a transient failure (attempt ${attempt + 1})`, error);
      });
    } catch (error) {
      if (error instanceof IdempotencyError) throw error;
      throw new IdempotencyStoreError(`The store failed to ${action} idempotency record ${key} (${(error as Error)?.message ?? String(error)}); retry the invocation`, {
        key,
        cause: error,
        retryable: isRetryable(error),
      });
    }
  }

  /**
   * The record key `begin` would use for `args` (same selector, canonicalisation and hash), or `undefined`
   * when the selector finds no key. Lets an adapter spot duplicates inside one batch before running any.
   * Throws whatever the key selector throws.
   */
  public keyOf(args: TArgs): string | undefined {
    let missing = false;
    const hash = this.#hashSelected('key', () => {
      const value = this.options.selectKey(args);
      missing = isMissingKey(value);
      return value;
    }, () => missing);
    return hash === undefined ? undefined : `${this.options.name}#${hash}`;
  }

  /**
   * The hash of what a selector selects, or `undefined` when `skip` says the value is missing. Whatever
   * goes wrong (the selector throws, the value cannot identify anything) is an `IdempotencyKeyError`:
   * a key that cannot identify an event must never send different events to one record.
   */
  #hashSelected(what: 'key' | 'fingerprint', select: () => unknown, skip: () => boolean = () => false): string | undefined {
    const o = this.options;
    let value: unknown;
    try {
      value = select();
    } catch (error) {
      throw new IdempotencyKeyError(
        `The \`${what}\` selector of ${o.name} failed on this input (${(error as Error)?.message ?? String(error)}); fix the selector or the event`,
        { cause: error },
      );
    }
    if (skip()) return undefined;
    try {
      return hashValue(value);
    } catch (error) {
      if (!(error instanceof UnidentifiableValueError)) throw error;
      throw new IdempotencyKeyError(
        `The \`${what}\` of ${o.name} cannot identify an event: ${error.message}. Select a field with an identity (a string, a number, an object of those), or give the class a toJSON()`,
        { cause: error },
      );
    }
  }

  /** Polls the record (consistent reads, backoff) until it completes, disappears or its lease ends. */
  async #waitFor(
    key: string,
    seen: IdempotencyRecord,
    fingerprint: string | undefined,
    deadline: number,
  ): Promise<{ kind: 'replay'; value: TResult } | { kind: 'retry'; record: IdempotencyRecord | undefined }> {
    const o = this.options;
    let record: IdempotencyRecord | undefined = seen;
    for (let delayMs = WAIT_INITIAL_DELAY_MS; ; delayMs = Math.min(delayMs * 2, WAIT_MAX_DELAY_MS)) {
      const left = deadline - o.clock();
      if (left <= 0) {
        const retryAfterMs = this.#retryAfterMs(record);
        throw new IdempotencyInProgressError(
          `Idempotency record ${key} was still held by another invocation when the wait ran out of time; retry after ${retryAfterMs} ms`,
          { key, retryAfterMs },
        );
      }
      await sleep(Math.min(delayMs, left));
      const current: IdempotencyRecord | undefined = await this.#retryStore(
        key,
        'read',
        () => o.store.get(key, o.clock() - o.clockSkewMs),
        monotonicNow() + Math.max(0, deadline - o.clock()),
      );
      if (!current) return { kind: 'retry', record: undefined };
      checkFingerprint(key, current.fingerprint, fingerprint);
      if (current.status === RecordStatus.Completed) {
        this.#remember(key, current, fingerprint);
        return { kind: 'replay', value: this.replay(key, current.outcome ?? 'value', current.result) };
      }
      if (this.#leaseEnded(current)) return { kind: 'retry', record: current };
      record = current;
    }
  }

  /** Returns a stored value, or throws a stored error marked `replayed: true`. */
  public replay(key: string, outcome: 'value' | 'error', result: string | undefined): TResult {
    const value = result === undefined ? undefined : deserialize(result);
    if (outcome === 'error') throw reviveLibraryError(value as StoredError) ?? reviveError(value as StoredError);
    this.options.logger.debug(`Replaying the stored result of ${key}`);
    return value as TResult;
  }

  #leaseMs(info: InvocationInfo): number {
    const o = this.options;
    if (o.leaseSeconds !== undefined) return o.leaseSeconds * 1000;
    if (info.remainingMs !== undefined) return Math.max(info.remainingMs - LEASE_SAFETY_MARGIN_MS, 1000);
    return DEFAULT_LEASE_SECONDS * 1000;
  }

  /** @internal */
  public expiresAt(now: number): number {
    return Math.floor(now / 1000) + Math.ceil(this.options.expiresAfterSeconds);
  }

  /** A new record's expiry: `expiresAfterSeconds` from now, and always beyond its lease on every clock. */
  #expiresAt(now: number, leaseMs: number): number {
    return Math.max(this.expiresAt(now), this.expiresBeyondLease(now + leaseMs));
  }

  /** The first expiry (epoch seconds) that outlives a lease ending at `leaseUntil` on every invoker's clock. @internal */
  public expiresBeyondLease(leaseUntil: number): number {
    return Math.floor((leaseUntil + this.options.clockSkewMs) / 1000) + 1;
  }

  #cached(key: string): CacheEntry | undefined {
    if (this.options.localCacheMaxItems === 0) return undefined;
    const entry = this.#cache.get(key);
    if (!entry) return undefined;
    this.#cache.delete(key);
    if (entry.expiresAtMs <= this.options.clock()) return undefined;
    this.#cache.set(key, entry); // most recently used last
    return entry;
  }

  /** @internal */
  public remember(key: string, result: string, outcome: 'value' | 'error', fingerprint: string | undefined, expiresAt: number): void {
    const max = this.options.localCacheMaxItems;
    if (max === 0) return;
    this.#cache.delete(key);
    this.#cache.set(key, { result, outcome, fingerprint, expiresAtMs: expiresAt * 1000 });
    while (this.#cache.size > max) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
  }

  #remember(key: string, record: IdempotencyRecord, fingerprint: string | undefined): void {
    if (record.result !== undefined) {
      this.remember(key, record.result, record.outcome ?? 'value', record.fingerprint ?? fingerprint, record.expiresAt);
    }
  }
}

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
  /** The record's expiry as claimed, epoch seconds (0 in optimistic mode). */
  readonly expiresAt: number;
  /** Until when (monotonic milliseconds) a store write that fails transiently is retried, asked at each write. */
  readonly retryDeadline: () => number;
}

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
  readonly #retryDeadline: () => number;
  #expiresAt: number;
  #leaseUntil: number;
  #checkpointed: boolean;
  #finished = false;

  public constructor(engine: IdempotencyEngine<never, TResult> | IdempotencyEngine<unknown[], TResult>, start: ExecutionStart) {
    this.#engine = engine as IdempotencyEngine<never, TResult>;
    this.key = start.key;
    this.token = start.token;
    this.leaseMs = start.leaseMs;
    this.#fingerprint = start.fingerprint;
    this.#steps = new Map(Object.entries(start.steps));
    this.#checkpointed = this.#steps.size > 0;
    this.#expiresAt = start.expiresAt;
    this.#leaseUntil = this.#engine.options.clock() + start.leaseMs;
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

  /** Whether the record holds this execution's completion (`unknown` when the read fails too). */
  async #ownCompletion(): Promise<'yes' | 'no' | 'unknown'> {
    const o = this.#o;
    try {
      const record = await this.#write('read', () => o.store.get(this.key, o.clock() - o.clockSkewMs));
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
  public async execute(work: () => Promise<TResult> | TResult): Promise<TResult> {
    let value: TResult;
    try {
      value = await this.enter(work);
    } catch (error) {
      return this.fail(error);
    }
    return this.complete(value);
  }

  /** Stores the result (and commits the staged writes with it), then returns it. */
  public async complete(value: TResult): Promise<TResult> {
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
    const winner = await this.#store(result, 'value');
    return winner ? this.#engine.replay(this.key, winner.outcome ?? 'value', winner.result) : value;
  }

  /**
   * The work ran and its result cannot be stored. When every effect of the execution was staged with
   * `commitWith` (nothing of it was committed), or in optimistic mode, the lease is released and a retry
   * runs again. Otherwise running again would repeat effects: the record keeps the error as its outcome,
   * so retries get it (typed, `replayed: true`) instead of running the work until the record expires.
   */
  async #unstorable(make: (what: string) => IdempotencyError): Promise<never> {
    if (this.#staged.length > 0 || this.#o.mode === 'optimistic') {
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
   * any. Only an in-progress record of this execution is released, never a completed one.
   */
  public async release(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const o = this.#o;
    if (o.mode === 'optimistic') return;
    try {
      await this.#write('release', () => o.store.release({ key: this.key, token: this.token, keepCheckpoints: this.#checkpointed }));
    } catch (releaseError) {
      // The original failure is what the caller must see; the record is never held beyond its lease.
      o.logger.warn(`Could not release idempotency record ${this.key}; it is held until its lease ends`, releaseError);
    }
  }

  /** Stores the outcome; in optimistic mode returns the record of an execution that completed first. */
  async #store(result: string, outcome: 'value' | 'error'): Promise<IdempotencyRecord | undefined> {
    const o = this.#o;
    const now = o.clock();
    const input = {
      key: this.key,
      token: this.token,
      result,
      outcome,
      expiresAt: this.#engine.expiresAt(now),
      ...(this.#fingerprint === undefined ? {} : { fingerprint: this.#fingerprint }),
      writes: [...this.#staged],
      now: now - o.clockSkewMs,
    };
    this.#finished = true;
    if (o.mode === 'optimistic') {
      let written: Awaited<ReturnType<typeof o.store.putCompleted>>;
      try {
        written = await this.#write('store the result', () => o.store.putCompleted(input));
      } catch (error) {
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
        checkFingerprint(this.key, existing.fingerprint, this.#fingerprint);
        if (existing.status !== RecordStatus.Completed) {
          throw new IdempotencyInProgressError(
            `Idempotency record ${this.key} is held by a lease-mode invocation; this optimistic run's writes were dropped`,
            { key: this.key, retryAfterMs: Math.max(0, existing.leaseUntil + o.clockSkewMs - now) },
          );
        }
        // Another execution completed first: its outcome wins and this run's staged writes were dropped.
        this.#engine.remember(this.key, existing.result ?? serialize(undefined), existing.outcome ?? 'value', this.#fingerprint, existing.expiresAt);
        return existing;
      }
    } else {
      const attempts = { ambiguous: false };
      try {
        // Fenced by the token and the in-progress status: a retry after a lost answer finds its own
        // completed record and stops there, so staged writes apply once.
        await this.#write('store the result', () => o.store.complete(input), attempts);
      } catch (error) {
        // An earlier attempt may have been applied (its answer lost): a consistent read tells.
        const stored = error instanceof IdempotencyLeaseLostError ? 'no' : await this.#ownCompletion();
        if (stored !== 'yes') throw await this.#notStored(error, attempts.ambiguous || stored === 'unknown');
      }
    }
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
    if (definite && this.#staged.length > 0) {
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
    if (options.atMostOnce === true) {
      await this.#write(`checkpoint step "${name}"`, () =>
        o.store.checkpoint({ key: this.key, token: this.token, step: name, checkpoint: { state: 'started' } }),
      );
      this.#checkpointed = true;
    }
    const value = await fn();
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
      if (bytes <= MAX_CHECKPOINT_BYTES) return result;
      failure = new IdempotencyResultTooLargeError(
        `The result of step "${name}" of ${this.key} would take the record's step checkpoints to ${bytes} bytes, above the ${MAX_CHECKPOINT_BYTES} a record holds; the step ran, so it is marked and does not run again. Return less from steps (store the payload elsewhere and return a reference)`,
        { key: this.key, bytes, maxBytes: MAX_CHECKPOINT_BYTES },
      );
    } catch (error) {
      failure = new IdempotencyResultNotStorableError(
        `The result of step "${name}" of ${this.key} cannot be stored (${(error as Error).message}); the step ran, so it is marked and does not run again`,
        { key: this.key, cause: error, ...(error instanceof UnstorableValueError ? { path: error.path } : {}) },
      );
    }
    const checkpoint: StepCheckpoint = { state: 'unstorable', reason: failure.message };
    await this.#write(`checkpoint step "${name}"`, () => this.#o.store.checkpoint({ key: this.key, token: this.token, step: name, checkpoint }));
    this.#checkpointed = true;
    this.#steps.set(name, checkpoint);
    throw failure;
  }

  /** See {@link commitWith}. */
  public stage(items: readonly StagedWrite[]): void {
    items.forEach((item, index) => {
      const kinds = item && typeof item === 'object' ? Object.keys(item).filter((k) => WRITE_KINDS.has(k)) : [];
      if (kinds.length !== 1 || Object.keys(item).length !== 1) {
        throw new IdempotencyContextError(
          `commitWith: item #${this.#staged.length + index} must have exactly one of Put, Update, Delete or ConditionCheck, got keys [${
            item && typeof item === 'object' ? Object.keys(item).join(', ') : String(item)
          }]`,
          { key: this.key },
        );
      }
    });
    if (this.#staged.length + items.length > MAX_STAGED_WRITES) {
      throw new IdempotencyContextError(
        `commitWith: ${this.#staged.length + items.length} staged writes exceed the ${MAX_STAGED_WRITES} that fit in one DynamoDB transaction beside the idempotency record; nothing was sent`,
        { key: this.key },
      );
    }
    this.#staged.push(...items);
  }

  /** See {@link downstreamKey}. */
  public downstreamKey(label: string): string {
    return createHash('sha256').update(`${this.key}\u0000${label}`).digest('hex');
  }

  /** Extends this execution's lease, and the record's expiry beyond it (used by long SQS handlers). */
  public async extendLease(ms: number): Promise<void> {
    const o = this.#o;
    if (o.mode === 'optimistic' || this.#finished) return;
    const leaseUntil = o.clock() + ms;
    const expiresAt = Math.max(this.#expiresAt, this.#engine.expiresBeyondLease(leaseUntil));
    await this.#write('extend the lease', () => o.store.extendLease({ key: this.key, token: this.token, leaseUntil, expiresAt }));
    this.#leaseUntil = leaseUntil;
    this.#expiresAt = expiresAt;
  }
}

const WRITE_KINDS = new Set(['Put', 'Update', 'Delete', 'ConditionCheck']);

/**
 * The library's own errors kept as outcomes (a result that could not be stored) come back as instances of
 * their classes, marked `replayed: true`; other stored errors are revived by `reviveError`.
 */
function reviveLibraryError(stored: StoredError | undefined): Error | undefined {
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

/** Options of {@link step}. */
export interface StepOptions {
  /**
   * Checkpoint "started" before running, so a later attempt that finds the step started but unfinished
   * throws `IdempotencyStepInterruptedError` instead of running it again.
   * @default false
   */
  readonly atMostOnce?: boolean;
}

const executions = new AsyncLocalStorage<{ execution: Execution<unknown> | undefined }>();

/** The execution the calling code runs in, or a clear error naming `what` was called outside one. */
export function currentExecution(what: string): Execution<unknown> {
  const execution = executions.getStore()?.execution;
  if (!execution) {
    throw new IdempotencyContextError(
      `${what} was called outside an idempotent execution: call it from a function wrapped by makeIdempotent, the idempotency middleware or processSqsBatch with a store`,
    );
  }
  return execution;
}

/**
 * Makes a holder the current store from here on (for the middy middleware, whose handler runs outside
 * any callback we control). @internal
 */
export function enterExecutionHolder(): { execution: Execution<unknown> | undefined } {
  const holder: { execution: Execution<unknown> | undefined } = { execution: undefined };
  executions.enterWith(holder);
  return holder;
}

/** A result given by hand for a step (`completeStep`), serialised; refused before anything is written. */
function storableStepResult(key: string, step: string, value: unknown): string {
  let text: string;
  try {
    text = serialize(value);
  } catch (error) {
    throw new IdempotencyResultNotStorableError(`The result given for step "${step}" cannot be stored (${(error as Error).message}); nothing was written`, {
      key,
      cause: error,
    });
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CHECKPOINT_BYTES) {
    throw new IdempotencyResultTooLargeError(`The result given for step "${step}" is ${bytes} bytes, above the ${MAX_CHECKPOINT_BYTES} a record holds; nothing was written`, {
      key,
      bytes,
      maxBytes: MAX_CHECKPOINT_BYTES,
    });
  }
  return text;
}

function checkFingerprint(key: string, stored: string | undefined, current: string | undefined): void {
  if (stored !== undefined && current !== undefined && stored !== current) {
    throw new IdempotencyPayloadMismatchError(
      `Idempotency key ${key} was used before with a different payload (the fingerprint differs); use a new key for a different request`,
      { key },
    );
  }
}

function describeMissing(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return 'an empty string';
  return Array.isArray(value) ? 'an array of missing values' : 'an empty value';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
