/**
 * Batched writes: inside a write-batching scope (`processSqsBatch`, `processStreamBatch`), the claims,
 * plain completions and plain releases of one event-loop turn go out as ONE script call per hash slot
 * (one in all on a standalone server), each record's write under the same condition as its single script.
 * When a batch call fails as a whole, each write is retried alone with its single script.
 */
import { coalesce, scopedCoalescer, settle, type Pending } from '../persistence/coalesce';
import type { ClaimInput, ClaimResult, CompleteInput } from '../persistence/store';
import { claimArgs, completeArgs, releaseArgs } from './record';
import type { ScriptRunner } from './runner';
import { SCRIPTS, type Script } from './scripts';
import { slotOf } from './slot';

/** Most records one batch script writes (a script blocks the server while it runs). */
const MAX_BATCH_KEYS = 100;

/** A release, as the store takes it. */
export interface ReleaseInput {
  readonly key: string;
  readonly token: string;
  readonly keepCheckpoints: boolean;
}

/** The single writes a batch falls back to, and what a reply of a batched write means. */
export interface SingleWrites {
  claim(input: ClaimInput): Promise<ClaimResult>;
  complete(input: CompleteInput): Promise<void>;
  release(input: ReleaseInput): Promise<void>;
  /** The claim's result from its script's reply. */
  claimResult(input: ClaimInput, reply: unknown): Promise<ClaimResult>;
  /** Resolves, or throws as the single completion would, from its script's reply. */
  completeResult(input: CompleteInput, reply: unknown): void;
  /** Resolves, or throws as the single release would, from its script's reply. */
  releaseResult(input: ReleaseInput, reply: unknown): void;
}

export class WriteBatches {
  readonly #runner: ScriptRunner;
  readonly #single: SingleWrites;
  readonly #recordKey: (key: string) => string;
  /** Whether keys are grouped by slot: a cluster client, or a server that refused a cross-slot script. */
  #cluster: boolean;
  readonly #claimsOwner = {};
  readonly #completionsOwner = {};
  readonly #releasesOwner = {};

  public constructor(runner: ScriptRunner, single: SingleWrites, recordKey: (key: string) => string, cluster: boolean) {
    this.#runner = runner;
    this.#single = single;
    this.#recordKey = recordKey;
    this.#cluster = cluster;
  }

  /** The claim, sent with the others of this turn; undefined outside a write-batching scope. */
  public claim(input: ClaimInput): Promise<ClaimResult> | undefined {
    const batched = scopedCoalescer(this.#claimsOwner, () =>
      coalesce<ClaimInput, ClaimResult>((calls) =>
        this.#flush(
          calls,
          SCRIPTS.claimBatch,
          claimArgs,
          async (call, reply) => call.resolve(await this.#single.claimResult(call.input, reply)),
          (input) => this.#single.claim(input),
        ),
      ),
    );
    return batched?.(input);
  }

  /** The completion, sent with the others of this turn; undefined outside a scope (and with staged writes). */
  public complete(input: CompleteInput): Promise<void> | undefined {
    if (input.writes.length > 0) return undefined;
    const batched = scopedCoalescer(this.#completionsOwner, () =>
      coalesce<CompleteInput, void>((calls) =>
        this.#flush(
          calls,
          SCRIPTS.completeBatch,
          completeArgs,
          (call, reply) => {
            this.#single.completeResult(call.input, reply);
            call.resolve();
          },
          (input) => this.#single.complete(input),
        ),
      ),
    );
    return batched?.(input);
  }

  /** The release, sent with the others of this turn (the unrun claims of an ordered batch that stopped). */
  public release(input: ReleaseInput): Promise<void> | undefined {
    const batched = scopedCoalescer(this.#releasesOwner, () =>
      coalesce<ReleaseInput, void>((calls) =>
        this.#flush(
          calls,
          SCRIPTS.releaseBatch,
          releaseArgs,
          (call, reply) => {
            this.#single.releaseResult(call.input, reply);
            call.resolve();
          },
          (input) => this.#single.release(input),
        ),
      ),
    );
    return batched?.(input);
  }

  async #flush<I extends { readonly key: string }, O>(
    calls: Pending<I, O>[],
    script: Script,
    args: (input: I) => string[],
    answer: (call: Pending<I, O>, reply: unknown) => void | Promise<void>,
    alone: (input: I) => Promise<O>,
  ): Promise<void> {
    await Promise.all(
      this.#groups(calls).map(async (group) => {
        // One call alone goes as its single write (the same command count, the single script's rules).
        if (group.length === 1) {
          const only = group[0] as Pending<I, O>;
          return settle(only, alone(only.input));
        }
        let replies: unknown;
        try {
          replies = await this.#runner.write(
            script,
            group.map((call) => this.#recordKey(call.input.key)),
            group.flatMap((call) => args(call.input)),
            group.map((call) => call.input.key).join(', '),
          );
        } catch (error) {
          // A proxy in front of a cluster (ElastiCache Serverless) refuses keys of several slots: group by slot from now on.
          if (String((error as { message?: unknown } | null)?.message).startsWith('CROSSSLOT')) this.#cluster = true;
          // The batch failed as a whole (its answer lost, a connection reset): each write alone, retried as usual.
          await Promise.all(group.map((call) => settle(call, alone(call.input))));
          return;
        }
        const list = Array.isArray(replies) ? replies : [];
        await Promise.all(
          group.map(async (call, index) => {
            try {
              await answer(call, list[index]);
            } catch (error) {
              call.reject(error);
            }
          }),
        );
      }),
    );
  }

  /** The calls in groups that one script may write: one slot each on a cluster, at most MAX_BATCH_KEYS. */
  #groups<I extends { readonly key: string }, O>(calls: Pending<I, O>[]): Pending<I, O>[][] {
    const bySlot = new Map<number, Pending<I, O>[]>();
    for (const call of calls) {
      const slot = this.#cluster ? slotOf(this.#recordKey(call.input.key)) : 0;
      const group = bySlot.get(slot) ?? [];
      group.push(call);
      bySlot.set(slot, group);
    }
    const groups: Pending<I, O>[][] = [];
    for (const group of bySlot.values()) {
      for (let i = 0; i < group.length; i += MAX_BATCH_KEYS) groups.push(group.slice(i, i + MAX_BATCH_KEYS));
    }
    return groups;
  }
}
