/**
 * Claims made before an ordered batch's records run. Records that must run one after another (a FIFO
 * message group, a Kinesis shard, a Kafka partition) would otherwise claim one at a time, a request each;
 * claimed in the same turn of the event loop inside a write-batching scope, their claims share one request.
 * The claims no record takes (the batch stopped before them) are released together, also in one request.
 */
import type { Begin, IdempotencyEngine, InvocationInfo, LifecycleHooks } from '../engine';

/** How one claim made ahead ended: the engine's decision, or the error the record fails with at its turn. */
type Settled<TResult> =
  { readonly ok: true; readonly begun: Begin<TResult>; readonly at: number } | { readonly ok: false; readonly error: unknown };

/** Whether records of `engine` are worth claiming ahead: lease mode claims before running; optimistic does not. */
export function claimsBeforeRunning<TArgs extends unknown[], TResult>(
  engine: IdempotencyEngine<TArgs, TResult> | undefined,
): engine is IdempotencyEngine<TArgs, TResult> {
  return engine !== undefined && engine.options.mode === 'lease';
}

export class ClaimsAhead<TArgs extends unknown[], TResult> {
  readonly #claims = new Map<unknown, Promise<Settled<TResult>>>();

  /**
   * Starts the claim of record `id` (any value that names the record: its index, the record itself). Call
   * it for every record to claim in the same turn, so that the store sends them together; the claim waits
   * in this object until the record's turn ({@link run}) or the end ({@link releaseUntaken}).
   */
  public claim(id: unknown, engine: IdempotencyEngine<TArgs, TResult>, args: TArgs, info: InvocationInfo): void {
    const settled = engine.begin(args, info).then(
      (begun): Settled<TResult> => ({ ok: true, begun, at: engine.options.clock() }),
      (error: unknown): Settled<TResult> => ({ ok: false, error }),
    );
    this.#claims.set(id, settled);
  }

  /**
   * Runs record `id` through its engine's lifecycle, with the claim made ahead for it (without one, the
   * whole lifecycle from the claim on). A claim that failed fails the record here, at its turn.
   */
  public async run(
    id: unknown,
    engine: IdempotencyEngine<TArgs, TResult>,
    args: TArgs,
    info: InvocationInfo,
    work: () => Promise<TResult> | TResult,
    hooks: LifecycleHooks<TResult>,
  ): Promise<TResult> {
    const claim = this.#claims.get(id);
    if (claim === undefined) return engine.run(args, info, work, hooks);
    this.#claims.delete(id);
    const settled = await claim;
    if (!settled.ok) throw settled.error;
    await renewIfHalfGone(engine, settled);
    return engine.proceed(settled.begun, work, hooks);
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

/**
 * An explicit `leaseSeconds` lease runs from the claim: a record that waited for the records before it
 * may start with little of it left. Renew it to a full lease before running, once half of it is gone.
 * (A lease taken from the Lambda context ends with the invocation whenever the claim was made.)
 */
async function renewIfHalfGone<TResult>(
  engine: IdempotencyEngine<never, TResult>,
  settled: Settled<TResult> & { ok: true },
): Promise<void> {
  const begun = settled.begun;
  if (begun.kind !== 'execute' || engine.options.leaseSeconds === undefined) return;
  const execution = begun.execution;
  if (engine.options.clock() - settled.at < execution.leaseMs / 2) return;
  try {
    await execution.extendLease(execution.leaseMs);
  } catch (error) {
    await execution.release();
    throw error;
  }
}
