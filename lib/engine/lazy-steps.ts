/**
 * An execution's step checkpoints behind the calls the execution makes, with `engine/steps` loaded and the
 * checkpoints made on the first `step`: an execution without steps never evaluates that module.
 */
import { loadSteps } from '../lazy-parts';
import type { IdempotencyStore, StepCheckpoint } from '../persistence/store';
import type { StepOptions } from './context';
import type { StepIo, Steps } from './steps';

export class LazySteps {
  readonly #key: string;
  readonly #found: Readonly<Record<string, StepCheckpoint>>;
  readonly #io: StepIo;
  readonly #store: IdempotencyStore;
  #making: Promise<Steps> | undefined;
  #made: Steps | undefined;

  /** @param found the checkpoints the record held when the execution claimed it */
  public constructor(key: string, found: Readonly<Record<string, StepCheckpoint>>, io: StepIo, store: IdempotencyStore) {
    this.#key = key;
    this.#found = found;
    this.#io = io;
    this.#store = store;
  }

  /** Whether the record holds checkpoints (kept, with the lease ended, when the execution releases it). */
  public get checkpointed(): boolean {
    return this.#made?.checkpointed ?? Object.keys(this.#found).length > 0;
  }

  /** See {@link step}. */
  public run<T>(name: string, fn: () => Promise<T> | T, options: StepOptions): Promise<T> {
    return this.#steps().then((steps) => steps.run(name, fn, options));
  }

  /** The checkpoints, made once; a failed load is not kept, so the next step tries again. */
  #steps(): Promise<Steps> {
    this.#making ??= loadSteps().then(
      ({ Steps, checkpointBudget }) => {
        this.#made = new Steps(this.#key, this.#found, this.#io, checkpointBudget(this.#store));
        return this.#made;
      },
      (error: unknown) => {
        this.#making = undefined;
        throw error;
      },
    );
    return this.#making;
  }
}
