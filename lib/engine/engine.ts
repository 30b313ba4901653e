/** The engine: derives keys, claims, waits, replays, and the way out of stuck records. Executions run the work. */
import { randomUUID } from 'node:crypto';
import { LEASE_SAFETY_MARGIN_MS } from '../defaults';
import { IdempotencyInProgressError, IdempotencyKeyError, IdempotencyPayloadMismatchError } from '../errors';
import { MetricsEmitter } from '../metrics/emitter';
import type { IdempotencyMetricName } from '../metrics/types';
import type { ResolvedOptions } from '../options';
import {
  RecordStatus,
  type ClaimInput,
  type ClaimResult,
  type IdempotencyRecord,
  type OutcomeKind,
  type StepCheckpoint,
} from '../persistence/store';
import { currentWriteBatch, type WriteBatch } from '../persistence/coalesce';
import { monotonicNow } from '../retry';
import type { Begin } from './begin';
import { executions } from './context';
import { Execution } from './execution';
import type { Lease } from './held-lease';
import type { ExecutionHost } from './host';
import { checkFingerprint, describeMissing, fingerprintHashOf, recordKeyOf } from './identity';
import { DisabledExecution, idempotencyDisabled } from './kill-switch';
import { LeaseTime } from './lease-time';
import { LocalCache } from './local-cache';
import { replayOutcome } from './replay';
import { resolveStuckRecord, type ResolverParts } from './resolve-record';
import { checkedClaim } from './store-answers';
import { StoreCalls } from './store-calls';
import type { InvocationInfo, LifecycleHooks, RecordResolution } from './types';
import { waitForHolder, type WaitParts } from './wait-for-holder';

/** What every claim attempt of one invocation shares (see `#plan`). */
interface ClaimPlan<TResult> {
  readonly token: string;
  /** The durable execution that owns the record, if the invocation runs in one. */
  readonly owner: string | undefined;
  readonly leaseMs: number;
  /** Until when (the options' clock) the invocation may wait for another holder. */
  readonly deadline: number;
  readonly retryDeadline: () => number;
  /** The write-batching scope the claim and the execution's writes go through, if any. */
  readonly writeBatch: WriteBatch | undefined;
  readonly execution: (steps: Readonly<Record<string, StepCheckpoint>>, written: Lease) => Begin<TResult>;
}

/** The one place that holds the rules: claim, run, complete, release, replay. Adapters call it. */
export class IdempotencyEngine<TArgs extends unknown[], TResult> {
  public readonly options: ResolvedOptions<TArgs>;
  readonly #cache: LocalCache;
  readonly #time: LeaseTime;
  readonly #calls: StoreCalls;
  readonly #metrics: MetricsEmitter;
  /**
   * The key and fingerprint derived from an arguments array, each hashed once: a batch derives them before
   * running (to spot duplicates) and passes the same array to `begin`.
   */
  readonly #derived = new WeakMap<
    object,
    { key?: { readonly value: string | undefined }; fingerprint?: { readonly value: string | undefined } }
  >();
  /** What this engine's executions may ask of it. */
  readonly #host: ExecutionHost<TResult>;

  /** @param options validated once by the adapter (`resolveOptions`, or a batch adapter's own resolution) */
  public constructor(options: ResolvedOptions<TArgs>) {
    this.options = options;
    this.#metrics = new MetricsEmitter(this.options.metrics, this.options.name, this.options.logger);
    this.#cache = new LocalCache(this.options.localCacheMaxItems, this.options.clock);
    this.#time = new LeaseTime(this.options);
    this.#calls = new StoreCalls(this.options.logger, (name) => this.count(name));
    this.#host = {
      options: this.options,
      retryStore: (key, action, call, deadline, onRetry, writeBatch) => this.#calls.retry(key, action, call, deadline, onRetry, writeBatch),
      count: (name) => this.count(name),
      replay: (key, outcome, result) => this.#replay(key, outcome, result),
      expiresAt: (now) => this.#time.completedExpiresAt(now),
      expiresBeyondLease: (leaseUntil) => this.#time.expiresBeyondLease(leaseUntil),
      remember: (key, result, outcome, fingerprint, expiresAt) => this.#cache.remember(key, result, outcome, fingerprint, expiresAt),
    };
  }

  /** Counts one event of `name` for the `metrics` sink (nothing without one): the batch runtime counts the duplicates it acknowledges. @internal */
  public count(name: IdempotencyMetricName): void {
    this.#metrics.count(name);
  }

  /**
   * The lifecycle every adapter goes through: runs `work` at most once per key and returns (or replays)
   * its outcome; `hooks` are where an adapter differs.
   */
  public async run(
    args: TArgs,
    info: InvocationInfo,
    work: () => Promise<TResult> | TResult,
    hooks: LifecycleHooks<TResult> = {},
  ): Promise<TResult> {
    return this.proceed(await this.begin(args, info), work, hooks);
  }

  /**
   * The rest of the lifecycle after {@link begin}: replays, runs unprotected, or runs `work` in the claimed
   * execution. For adapters that claim ahead of running (an ordered batch claims all its records at once).
   */
  public async proceed(
    begun: Begin<TResult>,
    work: () => Promise<TResult> | TResult,
    hooks: LifecycleHooks<TResult> = {},
  ): Promise<TResult> {
    if (begun.kind === 'replay') return hooks.onReplay ? hooks.onReplay(begun.value) : begun.value;
    if (begun.kind === 'unprotected') return work();
    if (begun.kind === 'disabled') {
      const value = await begun.execution.enter(work);
      // As with idempotency on: an outcome the adapter does not store (an HTTP 5xx) commits nothing.
      if (hooks.shouldStore !== undefined && !hooks.shouldStore(value)) begun.execution.discard();
      else await begun.execution.finish();
      return value;
    }
    return begun.execution.execute(work, hooks);
  }

  /**
   * Derives the key (once: a handler that mutates its input cannot change it), then claims it or finds
   * the outcome to replay. With the kill switch on (`EFFECTIVELY_ONCE_DISABLED=true`, read on every call),
   * nothing of that: the work is to run without the store.
   */
  public begin(args: TArgs, info: InvocationInfo): Promise<Begin<TResult>> {
    return this.#begin(args, info).catch((error: unknown) => {
      if (error instanceof IdempotencyInProgressError) this.count('InProgressRejections');
      else if (error instanceof IdempotencyPayloadMismatchError) this.count('PayloadMismatches');
      throw error;
    });
  }

  async #begin(args: TArgs, info: InvocationInfo): Promise<Begin<TResult>> {
    const o = this.options;
    if (idempotencyDisabled(o.logger)) {
      this.count('DisabledInvocations');
      // The key is derived only if downstreamKey asks for it: a broken selector does not stop the debugging.
      return { kind: 'disabled', execution: new DisabledExecution(() => this.keyOf(args), o.store) };
    }
    const key = this.keyOf(args);
    if (key === undefined) {
      this.count('MissingKeys');
      if (o.onMissingKey === 'run') {
        o.logger.warn(`No idempotency key found for ${o.name}; running without idempotency (onMissingKey: 'run')`);
        return { kind: 'unprotected' };
      }
      throw new IdempotencyKeyError(
        `No idempotency key found for ${o.name}: the key selector returned ${describeMissing(o.selectKey(args))}. Fix the \`key\` option or the event, or set onMissingKey: 'run'`,
      );
    }
    const fingerprint = this.fingerprintOf(args);

    const cached = this.#cache.get(key);
    if (cached) {
      checkFingerprint(key, cached.fingerprint, fingerprint);
      return { kind: 'replay', value: this.#replay(key, cached.outcome, cached.result) };
    }
    return this.#claim(key, fingerprint, info);
  }

  /**
   * What every claim attempt of one invocation shares: its token, the lease it asks for, its deadlines, and how
   * the execution is made once the record is ours.
   */
  #plan(key: string, fingerprint: string | undefined, info: InvocationInfo): ClaimPlan<TResult> {
    const o = this.options;
    const token = randomUUID();
    // Inside a durable execution the record belongs to the execution, not to one invocation: its lease is
    // the execution's timeout, whatever leaseSeconds says.
    const owner = info.durableExecutionArn;
    const invocationLeaseMs = this.#time.leaseMs(info);
    const leaseMs = owner === undefined ? invocationLeaseMs : o.durableExecutionTimeoutSeconds * 1000;
    const deadline = o.clock() + (info.remainingMs ?? invocationLeaseMs) - LEASE_SAFETY_MARGIN_MS;
    // Store retries end with the invocation (less the margin), or after completionRetrySeconds without one.
    const invocationEnd = info.remainingMs === undefined ? undefined : monotonicNow() + info.remainingMs - LEASE_SAFETY_MARGIN_MS;
    const retryDeadline = (): number => invocationEnd ?? monotonicNow() + o.completionRetrySeconds * 1000;
    const leaseNeededMs = this.#time.neededMs(info, leaseMs, deadline);
    // An execution begun inside another's work (an idempotent call in a batch record's handler) shares its scope.
    const writeBatch = info.writeBatch ?? currentWriteBatch() ?? executions.getStore()?.execution?.writeBatch;
    const execution = (steps: Readonly<Record<string, StepCheckpoint>>, written: Lease): Begin<TResult> => {
      // Optimistic mode runs the work unclaimed.
      if (o.mode === 'lease') this.count('Claims');
      return {
        kind: 'execute',
        execution: new Execution(this.#host, {
          key,
          token,
          fingerprint,
          steps,
          leaseMs,
          leaseUntil: written.leaseUntil,
          expiresAt: written.expiresAt,
          leaseNeededMs,
          retryDeadline,
          writeBatch,
        }),
      };
    };
    return { token, owner, leaseMs, deadline, retryDeadline, writeBatch, execution };
  }

  /** Claims `key` (lease mode), taking over an ended lease, waiting or replaying as the record found says. */
  async #claim(key: string, fingerprint: string | undefined, info: InvocationInfo): Promise<Begin<TResult>> {
    const o = this.options;
    const plan = this.#plan(key, fingerprint, info);
    const { token, owner, deadline, retryDeadline, execution } = plan;
    if (o.mode === 'optimistic') return execution({}, { leaseUntil: 0, expiresAt: 0 });

    const claimDeadline = retryDeadline();
    let existing: IdempotencyRecord | undefined;
    for (;;) {
      const previous = existing;
      // A resumed durable execution keeps the lease its first invocation took: the timeout counts from the start.
      const resumed = previous !== undefined && owner !== undefined && previous.owner === owner;
      const { result, sent } = await this.#attempt(key, fingerprint, plan, previous, resumed, claimDeadline);
      existing = undefined;
      if (result.claimed) {
        if (previous) this.count(resumed ? 'DurableResumes' : 'LeaseTakeovers');
        return this.#leased(execution(result.steps, sent));
      }
      const found = result.existing;
      // Our own write, applied once and met again by the SDK's retry after a lost response.
      if (found.token === token) return this.#leased(execution(found.steps, found));
      checkFingerprint(key, found.fingerprint, fingerprint);
      if (found.status === RecordStatus.Completed) {
        this.#cache.rememberRecord(key, found, fingerprint);
        return { kind: 'replay', value: this.#replay(key, found.outcome ?? 'value', found.result) };
      }
      if (owner !== undefined && found.owner === owner) {
        // Another invocation of the same durable execution (a resume after a wait or a callback, a retry):
        // the same execution going on, never a duplicate of itself. Take the record over, lease or not.
        existing = found;
        continue;
      }
      if (this.#time.leaseEnded(found)) {
        // The holder's lease ended (it crashed, timed out or released after a failure): take over.
        existing = found;
        continue;
      }
      if (o.onInProgress === 'wait' || info.waitForHolderMs !== undefined) {
        // A wait for the holder asked by the adapter is bounded in real time too (an injected clock may stand still).
        const holderWaitEnd = o.onInProgress === 'wait' ? undefined : monotonicNow() + (info.waitForHolderMs ?? 0);
        const waited = await waitForHolder(this.#parts(), key, found, fingerprint, deadline, holderWaitEnd);
        if (waited.kind === 'replay') return waited;
        // Gone (released after a failure): claim afresh. Lease ended: take over.
        existing = waited.record;
        continue;
      }
      const retryAfterMs = this.#time.retryAfterMs(found);
      throw new IdempotencyInProgressError(
        `Idempotency record ${key} is held by another invocation for ${retryAfterMs} ms more; retry after that (or use onInProgress: 'wait')`,
        { key, retryAfterMs },
      );
    }
  }

  /**
   * One claim (or, after `previous`, a take-over) sent to the store, retried until `deadline`. Its input is
   * built afresh for every attempt, from the clock read as it is sent: a lease computed before a throttled
   * or unanswered first attempt would land partly (or wholly) spent.
   */
  #attempt(
    key: string,
    fingerprint: string | undefined,
    plan: ClaimPlan<TResult>,
    previous: IdempotencyRecord | undefined,
    resumed: boolean,
    deadline: number,
  ): Promise<{ result: ClaimResult; sent: ClaimInput }> {
    const o = this.options;
    const { token, owner, leaseMs, writeBatch } = plan;
    const claimAt = (now: number): ClaimInput => {
      const leaseUntil = resumed && previous !== undefined && previous.leaseUntil > now ? previous.leaseUntil : now + leaseMs;
      const expiresAt = this.#time.claimExpiresAt(now, leaseUntil - now);
      return {
        key,
        token,
        leaseUntil,
        expiresAt: previous ? Math.max(expiresAt, previous.expiresAt) : expiresAt,
        ...(fingerprint === undefined ? {} : { fingerprint }),
        ...(owner === undefined ? {} : { owner }),
        now: now - o.clockSkewMs,
      };
    };
    let sent = claimAt(o.clock());
    return this.#calls
      .retry(
        key,
        'claim',
        () => {
          sent = claimAt(o.clock());
          return previous
            ? o.store.takeOver({ ...sent, previousToken: previous.token }).then((answer) => checkedClaim(answer, 'takeOver', key))
            : o.store.claim(sent).then((answer) => checkedClaim(answer, 'claim', key));
        },
        deadline,
        undefined,
        writeBatch,
      )
      .then((result) => ({ result, sent }));
  }

  /**
   * A claim or take-over landed: the work may start only with enough of the lease as written left (see
   * {@link Execution.keepLease}), which renews it, or gives the record back and throws.
   */
  #leased(begun: Begin<TResult>): Begin<TResult> | Promise<Begin<TResult>> {
    // A lease with enough left (the common case) goes on without a promise.
    if (begun.kind !== 'execute' || !begun.execution.leaseRunsShort()) return begun;
    return begun.execution.keepLease().then(() => begun);
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
      throw new IdempotencyKeyError(
        `No idempotency key found for ${o.name}: the key selector returned ${describeMissing(o.selectKey(args))}; nothing was released`,
      );
    }
    return resolveStuckRecord(this.#parts(), key, step);
  }

  /**
   * The record key `begin` would use for `args` (same selector, canonicalisation and hash), or `undefined`
   * when the selector finds no key. Lets an adapter spot duplicates inside one batch before running any.
   * Throws whatever the key selector throws.
   */
  public keyOf(args: TArgs): string | undefined {
    return this.#remembered(args, 'key', () => recordKeyOf(this.options, args));
  }

  /**
   * The fingerprint `begin` compares on a replay (the hash of the `fingerprint` selector's value), or
   * `undefined` without that option. A selector that fails, or a value with no identity, is an
   * `IdempotencyKeyError`. Lets a batch processor compare in-batch duplicates as a replay would.
   */
  public fingerprintOf(args: TArgs): string | undefined {
    // Without a `fingerprint` selector there is nothing to derive, nor to remember.
    if (this.options.selectFingerprint === undefined) return undefined;
    return this.#remembered(args, 'fingerprint', () => fingerprintHashOf(this.options, args));
  }

  /** What `derive` gives for `args`, derived once per arguments array (see {@link #derived}). */
  #remembered(args: TArgs, what: 'key' | 'fingerprint', derive: () => string | undefined): string | undefined {
    let derived = this.#derived.get(args);
    const known = derived?.[what];
    if (known !== undefined) return known.value;
    const value = derive();
    if (derived === undefined) this.#derived.set(args, (derived = {}));
    derived[what] = { value };
    return value;
  }

  /** What the modules that wait for a holder or resolve a record by hand use of this engine. */
  #parts(): WaitParts<TResult> & ResolverParts {
    return {
      options: this.options,
      time: this.#time,
      calls: this.#calls,
      cache: this.#cache,
      replay: (key, outcome, result) => this.#replay(key, outcome, result),
    };
  }

  /** Returns a stored value, or throws a stored error marked `replayed: true`. */
  #replay(key: string, outcome: OutcomeKind, result: string | undefined): TResult {
    this.count('Replays');
    return replayOutcome(this.options, key, outcome, result);
  }
}
