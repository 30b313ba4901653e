/**
 * Claims made before an ordered batch's records run. Records that must run one after another (a FIFO
 * message group, a Kinesis shard, a Kafka partition) would otherwise claim one at a time, a request each;
 * claimed in the same turn of the event loop inside a write-batching scope, their claims share one request.
 * The claims no record takes (the batch stopped before them) are released together, also in one request.
 */
import type { Begin, IdempotencyEngine, InvocationInfo, LifecycleHooks } from '../engine';
import { IdempotencyInProgressError, IdempotencyStoreError } from '../errors';

/**
 * How long a record whose claim made ahead met another invocation's claim waits for that holder (within the
 * invocation's deadline) before it fails: long enough for a consumer that holds our next key only as a claim
 * ahead to give it back or finish it, short enough that a crashed holder costs little.
 */
const HOLDER_WAIT_MS = 5_000;

/** How one claim made ahead ended: the engine's decision, or the error the record fails with at its turn. */
type Settled<TResult> = { readonly ok: true; readonly begun: Begin<TResult> } | { readonly ok: false; readonly error: unknown };

/** Whether records of `engine` are worth claiming ahead: lease mode claims before running; optimistic does not. */
export function claimsBeforeRunning<TArgs extends unknown[], TResult>(
  engine: IdempotencyEngine<TArgs, TResult> | undefined,
): engine is IdempotencyEngine<TArgs, TResult> {
  return engine !== undefined && engine.options.mode === 'lease';
}

export class ClaimsAhead<TArgs extends unknown[], TResult> {
  readonly #claims = new Map<unknown, Promise<Settled<TResult>>>();
  /** Whether this batch claims ahead at all (ordered batches do; a standard queue's never does). */
  #claimsAhead = false;

  /**
   * Starts the claim of record `id` (any value that names the record: its index, the record itself). Call
   * it for every record to claim in the same turn, so that the store sends them together; the claim waits
   * in this object until the record's turn ({@link run}) or the end ({@link releaseUntaken}).
   */
  public claim(id: unknown, engine: IdempotencyEngine<TArgs, TResult>, args: TArgs, info: InvocationInfo): void {
    this.#claimsAhead = true;
    const settled = engine.begin(args, info).then(
      (begun): Settled<TResult> => ({ ok: true, begun }),
      (error: unknown): Settled<TResult> => ({ ok: false, error }),
    );
    this.#claims.set(id, settled);
  }

  /**
   * Runs record `id` through its engine's lifecycle, with the claim made ahead for it (without one, the
   * whole lifecycle from the claim on). A claim that failed fails the record here, at its turn; one that met
   * another invocation's claim first gives back this batch's untaken claims and waits for the holder.
   */
  public async run(
    id: unknown,
    engine: IdempotencyEngine<TArgs, TResult>,
    args: TArgs,
    info: InvocationInfo,
    work: () => Promise<TResult> | TResult,
    hooks: LifecycleHooks<TResult>,
  ): Promise<TResult> {
    return engine.proceed(await this.#begin(id, engine, args, info), work, hooks);
  }

  async #begin(id: unknown, engine: IdempotencyEngine<TArgs, TResult>, args: TArgs, info: InvocationInfo): Promise<Begin<TResult>> {
    const claim = this.#claims.get(id);
    this.#claims.delete(id);
    try {
      if (claim === undefined) return await engine.begin(args, info);
      const settled = await claim;
      if (!settled.ok) throw settled.error;
      // The record waited for the ones before it: its lease, as written, may be half gone by now.
      if (settled.begun.kind === 'execute' && settled.begun.execution.leaseRunsShort()) await settled.begun.execution.keepLease();
      return settled.begun;
    } catch (error) {
      // Only a batch that claims ahead can hold what another consumer waits for: others fail at once, as before.
      if (!(error instanceof IdempotencyInProgressError) || !this.#claimsAhead) throw error;
      // Held by another invocation: perhaps another consumer's claim made ahead, held while that consumer
      // waits on one of ours (two shards carrying the same keys in opposite order). Give ours back, so it
      // can go on, and wait a while for the holder before failing the record.
      await this.#giveBack();
      return engine.begin(args, { ...info, waitForHolderMs: HOLDER_WAIT_MS });
    }
  }

  /**
   * Gives back, mid-batch, the claims made ahead that no record took yet: their records claim again at their
   * turn. A claim whose release failed stays held by this batch (a new claim would not know it as its own),
   * and its record fails at its turn instead, to be delivered again once the lease ends; so does a record
   * whose claim failed (its outcome may be a claim of ours whose answer was lost).
   */
  async #giveBack(): Promise<void> {
    await Promise.all(
      [...this.#claims].map(async ([id, claim]) => {
        const settled = await claim;
        // A claim that failed fails its record at its turn, as before: its outcome may be a claim of ours.
        if (!settled.ok || settled.begun.kind !== 'execute') return;
        const execution = settled.begun.execution;
        if (await execution.release()) {
          this.#claims.delete(id);
          return;
        }
        const error = new IdempotencyStoreError(
          `The claim of idempotency record ${execution.key} made ahead could not be given back while its batch waited for another invocation; the record is held until its lease ends, then delivered again`,
          { key: execution.key, retryable: true },
        );
        this.#claims.set(id, Promise.resolve({ ok: false, error }));
      }),
    );
  }

  /** Releases the claims no record took (the records that did not run), all in the same turn. */
  public async releaseUntaken(): Promise<void> {
    const left = [...this.#claims.values()];
    this.#claims.clear();
    await Promise.all(
      left.map(async (claim) => {
        const settled = await claim;
        // release() never throws: a release that fails is logged, and the record held until its lease ends.
        if (settled.ok && settled.begun.kind === 'execute') await settled.begun.execution.release();
      }),
    );
  }
}
