/**
 * The batch runtime every batch processor (SQS, Kinesis, DynamoDB Streams, Kafka) runs its records with. A
 * source hands it its records prepared ({@link BatchItem}: decoded, keyed, in a lane or not) and its few
 * parts (how many run at once, how far ahead to claim, what a failure stops, how the log names a record),
 * and reads the outcomes back into its own report. The rules are the runtime's, one for every source:
 *
 * - Order: a record waits for the record before it in its lane and for the record before it with the same
 *   idempotency key (both earlier in the batch, so waits never form a cycle); among the ready records the
 *   earliest starts first, up to `concurrency` at once.
 * - Failures: after a failure the rest of its lane does not run; with `stopOnFailure` nothing else starts.
 * - In-batch duplicates: a record whose earlier same-key record failed fails too, without running; one whose
 *   earlier same-key record did not run does not run either. When the earlier one completed, a lease-mode
 *   record meets its completed record in the store (a replay); an optimistic-mode record, for which nothing
 *   is claimed before running, is acknowledged here after the engine's fingerprint check.
 * - Claims ahead (lease mode): each lane's records are claimed `claimAhead` at a time, the first ones before
 *   any record runs, the next ones when the lane reaches them, each group in one turn so the store sends it
 *   as one request; the claims of records that then do not run are released together at the end. Records in
 *   no lane are claimed together before any runs when more of them wait than run at once.
 * - Write batching: the records' executions write through one write-batching scope, so concurrent claims,
 *   completions and releases share requests.
 */
import { invocationInfo, type InvocationInfo, type LifecycleHooks } from '../engine';
import type { IdempotencyLogger } from '../logger';
import { newWriteBatch, type WriteBatch } from '../persistence/coalesce';
import { ClaimsAhead, claimsBeforeRunning } from './claims-ahead';
import { runScheduled } from './scheduler';
import { acknowledgesDuplicates, fingerprintMismatch } from './duplicates';
import { logRecordFailure, type FailureWording, type RecordFailure } from './failure-log';
import type { BatchEngine, BatchItem } from './items';

/** How a record ended: `done` (run, replayed or acknowledged), `failed`, or `skipped` (not run). */
export type RecordOutcome =
  { readonly state: 'done' } | { readonly state: 'failed'; readonly error: unknown } | { readonly state: 'skipped' };

/** Watches the records as they settle (SQS keeps unfinished messages invisible). */
export interface BatchWatch {
  /** Before the first record runs. */
  start(): void;
  /** As the record at `index` settles, run or not. */
  settled(index: number): void;
  /** After the last record settled and the untaken claims were released. */
  stop(): Promise<void>;
}

/** A batch for {@link runBatch}: its prepared records and the source's parts. */
export interface BatchRun<TArgs extends unknown[]> {
  readonly items: readonly BatchItem<TArgs>[];
  /** Runs the handler on a record's arguments (the record and its decoded form). */
  readonly handler: (...args: TArgs) => unknown;
  /** The Lambda context (the remaining time bounds leases), or undefined. */
  readonly context: unknown;
  readonly logger: IdempotencyLogger;
  /** At most this many records run at once (a record waiting for another holds no slot). */
  readonly concurrency: number;
  /** Lease mode: records of a lane claimed in one request ahead of their turn (`Infinity`: whole lanes at once). */
  readonly claimAhead: number;
  /** After any failure in a lane, no record starts any more (SQS FIFO's `fifoOnFailure: 'stop'`). */
  readonly stopOnFailure: boolean;
  /**
   * Whether a record that does not run because of an earlier failure gets its own log line (SQS, which
   * reports it failed) or is only counted in the failure's line (streams, which stop there).
   */
  readonly logsSkipped: boolean;
  readonly wording: FailureWording;
  /** The lifecycle hooks of the record at `index` (SQS renews its lease and logs replays). */
  hooks?(index: number, engine: BatchEngine<TArgs>): LifecycleHooks<unknown>;
  readonly watch?: BatchWatch;
}

const DONE: RecordOutcome = Object.freeze({ state: 'done' });
const SKIPPED: RecordOutcome = Object.freeze({ state: 'skipped' });

/** Runs a batch's records by the rules above; resolves with each record's outcome, in batch order. */
export function runBatch<TArgs extends unknown[]>(batch: BatchRun<TArgs>): Promise<RecordOutcome[]> {
  if (batch.items.length === 0) return Promise.resolve([]);
  return new BatchRuntime(batch).run();
}

class BatchRuntime<TArgs extends unknown[]> {
  readonly #batch: BatchRun<TArgs>;
  readonly #items: readonly BatchItem<TArgs>[];
  /** Per record, the record before it in its lane and the one before it with the same key. */
  readonly #before: (readonly [lane: number | undefined, key: number | undefined])[] = [];
  /** Per lane, its records' indexes in batch order; per record, its position in its lane. */
  readonly #lanes = new Map<string, number[]>();
  readonly #position: number[] = [];
  readonly #claims = new ClaimsAhead<TArgs, unknown>();
  /** Set by the first failure in a lane with `stopOnFailure`: nothing starts after it. */
  #stopped = false;
  /** The records run concurrently: their claims, completions and releases may share requests. */
  readonly #writeBatch: WriteBatch = newWriteBatch();

  public constructor(batch: BatchRun<TArgs>) {
    this.#batch = batch;
    this.#items = batch.items;
    const lastOfKey = new Map<string, number>();
    this.#items.forEach((item, index) => {
      const lane = item.lane === undefined ? undefined : this.#lanes.get(item.lane);
      this.#before.push([lane?.at(-1), item.key === undefined ? undefined : lastOfKey.get(item.key)]);
      this.#position.push(lane?.length ?? 0);
      if (item.lane !== undefined) {
        if (lane === undefined) this.#lanes.set(item.lane, [index]);
        else lane.push(index);
      }
      if (item.key !== undefined) lastOfKey.set(item.key, index);
    });
  }

  public async run(): Promise<RecordOutcome[]> {
    const { watch } = this.#batch;
    watch?.start();
    try {
      const info = this.#info();
      for (const lane of this.#lanes.values()) this.#claimAhead(lane, 0, info);
      this.#claimUnordered(info);
      return await runScheduled<RecordOutcome>({
        size: this.#items.length,
        limit: this.#batch.concurrency,
        waitsFor: (index) => this.#before[index] ?? [],
        decide: (index, [laneBefore, keyBefore]) => this.#decide(index, laneBefore, keyBefore),
        beforeStart: (index) => (this.#stopped ? this.#skip(index, { cause: 'stopped' }) : undefined),
        run: (index, freeSlot) => this.#execute(index, freeSlot),
        settled: (index) => watch?.settled(index),
      });
    } finally {
      // Records that did not run (their lane or the batch stopped): their claims go, together.
      await this.#claims.releaseUntaken();
      await watch?.stop();
    }
  }

  /** The invocation's facts as of now (the time left), with the batch's write-batching scope. */
  #info(): InvocationInfo {
    return { ...invocationInfo(this.#batch.context), writeBatch: this.#writeBatch };
  }

  /**
   * Claims, in this one turn, the next `claimAhead` records of `lane` from `start` that run through a
   * lease-mode engine, up to the first that fails without running (its lane stops there). A record after an
   * earlier one with the same key is not claimed: it meets that record's outcome at its turn.
   */
  #claimAhead(lane: readonly number[], start: number, info: InvocationInfo): void {
    const next = lane.slice(start, start + this.#batch.claimAhead);
    const stop = next.findIndex((index) => this.#items[index]?.problem !== undefined);
    this.#claim(stop === -1 ? next : next.slice(0, stop), info);
  }

  /**
   * Claims, in this one turn, the records in no lane (an SQS standard queue's) when more of them wait than
   * run at once (`claimAhead` at most): a batch of 1,000 at concurrency 10 would otherwise wait a claim's
   * round trip for each of its 100 turns; claimed together, 25 claims share a request.
   */
  #claimUnordered(info: InvocationInfo): void {
    const unordered = this.#items.flatMap((item, index) => (item.lane === undefined ? [index] : []));
    if (unordered.length > this.#batch.concurrency) this.#claim(unordered.slice(0, this.#batch.claimAhead), info);
  }

  /** Claims each of these records that runs through a lease-mode engine and is not an earlier record's copy. */
  #claim(indexes: readonly number[], info: InvocationInfo): void {
    for (const index of indexes) {
      const { problem, key, engine, args } = this.#items[index] as BatchItem<TArgs>;
      if (problem !== undefined || key === undefined || args === undefined) continue;
      if (this.#before[index]?.[1] !== undefined || !claimsBeforeRunning(engine)) continue;
      this.#claims.claim(index, engine, args, info);
    }
  }

  /** The outcome of a record that is not to run (`undefined`: it runs), once the records it waits for settled. */
  #decide(index: number, laneBefore: RecordOutcome | undefined, keyBefore: RecordOutcome | undefined): RecordOutcome | undefined {
    const item = this.#items[index] as BatchItem<TArgs>;
    if (laneBefore !== undefined && laneBefore.state !== 'done') return this.#skip(index, { cause: 'lane' });
    if (keyBefore?.state === 'failed') {
      logRecordFailure(this.#batch.logger, this.#batch.wording, index, { cause: 'same-key', error: keyBefore.error });
      return keyBefore;
    }
    if (keyBefore?.state === 'skipped') return this.#skip(index, { cause: 'same-key' });
    if (this.#stopped) return this.#skip(index, { cause: 'stopped' });
    if (item.problem !== undefined) return this.#fail(index, item.problem);
    if (keyBefore?.state === 'done' && item.engine !== undefined && acknowledgesDuplicates(item.engine)) {
      return this.#acknowledge(index, item.engine, this.#before[index]?.[1]);
    }
    return undefined;
  }

  /**
   * Optimistic mode claims nothing before running, so the engine would run this record again: the record
   * before it with the same key completed, and this one is acknowledged with that outcome.
   */
  #acknowledge(index: number, engine: BatchEngine<TArgs>, earlier: number | undefined): RecordOutcome {
    const item = this.#items[index] as BatchItem<TArgs>;
    const completed = earlier === undefined ? undefined : this.#items[earlier];
    const mismatch = fingerprintMismatch(item.key as string, completed?.fingerprint, item.fingerprint);
    if (mismatch !== undefined) {
      engine.count('PayloadMismatches');
      return this.#fail(index, { cause: 'run', error: mismatch });
    }
    engine.count('Replays');
    this.#batch.logger.debug(
      `${this.#batch.wording.name(index)} repeats an event this batch already processed; acknowledged without running the handler`,
    );
    return DONE;
  }

  /** A record not run because of an earlier failure; logged on its own only where the source reports it. */
  #skip(index: number, failure: RecordFailure): RecordOutcome {
    if (this.#batch.logsSkipped) logRecordFailure(this.#batch.logger, this.#batch.wording, index, failure);
    return SKIPPED;
  }

  /** A record that failed: logged, and with `stopOnFailure` the batch stops (a record in no lane does not stop it). */
  #fail(index: number, failure: RecordFailure): RecordOutcome {
    logRecordFailure(this.#batch.logger, this.#batch.wording, index, failure);
    if (this.#batch.stopOnFailure && this.#items[index]?.lane !== undefined) this.#stopped = true;
    return { state: 'failed', error: failure.error };
  }

  /**
   * Runs the handler on one record, through its engine's lifecycle with a store (with its claim made ahead).
   * `concurrency` bounds the handlers running at once: a record in no lane frees its slot as its handler
   * returns, so the next one starts while its outcome is stored (completions of several turns then share
   * requests); a record in a lane keeps it until its outcome, which `stopOnFailure` must know first.
   */
  async #execute(index: number, freeSlot: () => void): Promise<RecordOutcome> {
    const item = this.#items[index] as BatchItem<TArgs>;
    const position = this.#position[index] ?? 0;
    if (item.lane !== undefined && position > 0 && position % this.#batch.claimAhead === 0) {
      this.#claimAhead(this.#lanes.get(item.lane) ?? [], position, this.#info());
    }
    const { engine } = item;
    const args = item.args as TArgs;
    // The slot is freed as the handler's promise settles with a value (a throw keeps it until the outcome).
    const work =
      item.lane === undefined
        ? (): Promise<unknown> =>
            Promise.resolve(this.#batch.handler(...args)).then((value) => {
              freeSlot();
              return value;
            })
        : (): unknown => this.#batch.handler(...args);
    try {
      if (engine === undefined) await work();
      else {
        const hooks = this.#batch.hooks?.(index, engine) ?? {};
        await this.#claims.run(index, engine, args, this.#info(), work, hooks);
      }
      return DONE;
    } catch (error) {
      return this.#fail(index, { cause: 'run', error });
    }
  }
}
