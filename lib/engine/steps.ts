/**
 * The step checkpoints of one execution: a step done in an earlier attempt is replayed from its checkpoint,
 * one started and not finished (`atMostOnce`) stops the work, and a step's result is checkpointed when it returns.
 */
import {
  IdempotencyContextError,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
  IdempotencyStepInterruptedError,
  type IdempotencyError,
} from '../errors';
import { MAX_CHECKPOINT_BYTES } from '../defaults';
import type { IdempotencyStore, StepCheckpoint } from '../persistence/store';
import { deserialize, serialize, UnstorableValueError } from '../serialize';
import type { StepOptions } from './context';

/** What the steps need from their execution: the checkpoint write, and the lease a step starts with. */
export interface StepIo {
  /** Writes the checkpoint of `step` under the execution's token. */
  checkpoint(step: string, checkpoint: StepCheckpoint): Promise<void>;
  /** Makes sure the lease has what the work needs left before a step starts (see `Execution.keepLease`). */
  keepLease(): Promise<void>;
  /** Runs the function of `step` marked as inside it (for `publish`, which refuses there). */
  inside<T>(step: string, fn: () => Promise<T> | T): Promise<T> | T;
}

export class Steps {
  readonly #key: string;
  readonly #io: StepIo;
  /** Bytes of step results one record holds (the library's budget, or less when the store says so). */
  readonly #budget: number;
  readonly #checkpoints: Map<string, StepCheckpoint>;
  readonly #used = new Set<string>();
  #checkpointed: boolean;

  /** @param found the checkpoints the record held when this execution claimed it */
  public constructor(key: string, found: Readonly<Record<string, StepCheckpoint>>, io: StepIo, budget: number) {
    this.#key = key;
    this.#io = io;
    this.#budget = budget;
    this.#checkpoints = new Map(Object.entries(found));
    this.#checkpointed = this.#checkpoints.size > 0;
  }

  /** Whether the record holds checkpoints (kept, with the lease ended, when the execution releases it). */
  public get checkpointed(): boolean {
    return this.#checkpointed;
  }

  /** See {@link step}. */
  public async run<T>(name: string, fn: () => Promise<T> | T, options: StepOptions): Promise<T> {
    const checkpoint = this.#claimName(name);
    if (checkpoint?.state === 'done') return (checkpoint.result === undefined ? undefined : deserialize(checkpoint.result)) as T;
    if (checkpoint?.state === 'unstorable') {
      throw new IdempotencyResultNotStorableError(
        `Step "${name}" of ${this.#key} ran in an earlier attempt, but its result could not be checkpointed (${checkpoint.reason ?? 'unknown reason'}), so it does not run again. Reconcile it, then call completeStep("${name}", result, ...args) with a result that can be stored, or release(...args)`,
        { key: this.#key },
      );
    }
    if (checkpoint?.state === 'started') {
      throw new IdempotencyStepInterruptedError(
        `Step "${name}" of ${this.#key} was started by an earlier attempt that did not finish it (atMostOnce), so it may or may not have had its effect. Reconcile it with the downstream system, then call completeStep("${name}", result, ...args) on the idempotent function (the step is replayed with that result) or release(...args) (the work runs afresh)`,
        { key: this.#key, step: name },
      );
    }
    // A step is work: it starts only with the lease it needs left (renewed once half of it is gone).
    await this.#io.keepLease();
    if (options.atMostOnce === true) {
      await this.#write(name, { state: 'started' });
      await this.#io.keepLease();
    }
    const value = await this.#io.inside(name, fn);
    const result = await this.#checkpointable(name, value);
    await this.#write(name, { state: 'done', result });
    return value;
  }

  /** Checks the name and marks it used in this execution; the checkpoint an earlier attempt left under it. */
  #claimName(name: string): StepCheckpoint | undefined {
    if (typeof name !== 'string' || name.length === 0) {
      throw new IdempotencyContextError(`Expected the step name to be a non-empty string, got ${String(name)}`, { key: this.#key });
    }
    if (this.#used.has(name)) {
      throw new IdempotencyContextError(
        `step("${name}") was already used in this execution; step names identify checkpoints and must be unique`,
        { key: this.#key },
      );
    }
    this.#used.add(name);
    return this.#checkpoints.get(name);
  }

  async #write(name: string, checkpoint: StepCheckpoint): Promise<void> {
    await this.#io.checkpoint(name, checkpoint);
    this.#checkpointed = true;
    if (checkpoint.state !== 'started') this.#checkpoints.set(name, checkpoint);
  }

  /**
   * The step's result as it is checkpointed. A result that cannot be stored, or that would take the
   * record's checkpoints above the budget (`MAX_CHECKPOINT_BYTES`, or a store's own lower limit), is marked
   * `unstorable` instead, so the step (which ran) never runs again, and a typed error is thrown.
   */
  async #checkpointable(name: string, value: unknown): Promise<string> {
    let failure: IdempotencyError;
    let result: string;
    try {
      result = serialize(value);
      const held = [...this.#checkpoints].reduce((sum, [step, c]) => (step === name ? sum : sum + Buffer.byteLength(c.result ?? '')), 0);
      const bytes = held + Buffer.byteLength(result);
      const budget = this.#budget;
      if (bytes <= budget) return result;
      failure = new IdempotencyResultTooLargeError(
        `The result of step "${name}" of ${this.#key} would take the record's step checkpoints to ${bytes} bytes, above the ${budget} a record holds; the step ran, so it is marked and does not run again. Return less from steps (store the payload elsewhere and return a reference)`,
        { key: this.#key, bytes, maxBytes: budget },
      );
    } catch (error) {
      failure = new IdempotencyResultNotStorableError(
        `The result of step "${name}" of ${this.#key} cannot be stored (${(error as Error).message}); the step ran, so it is marked and does not run again`,
        { key: this.#key, cause: error, ...(error instanceof UnstorableValueError ? { path: error.path } : {}) },
      );
    }
    await this.#write(name, { state: 'unstorable', reason: failure.message });
    throw failure;
  }
}

/** Bytes of step results one record holds: the library's budget, or less when the store says so. */
export function checkpointBudget(store: IdempotencyStore): number {
  return Math.min(MAX_CHECKPOINT_BYTES, store.limits?.maxCheckpointBytes ?? MAX_CHECKPOINT_BYTES);
}
