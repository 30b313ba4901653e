/**
 * Bounded-concurrency scheduling for batch processors: tasks of one batch run at most `limit` at once, each
 * after the earlier tasks it waits for, the earliest ready task first.
 */

/** The smallest number first: ready tasks start in batch order. */
class IndexHeap {
  readonly #items: number[] = [];

  public get size(): number {
    return this.#items.length;
  }

  public push(value: number): void {
    const a = this.#items;
    a.push(value);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as number) <= value) break;
      a[i] = a[parent] as number;
      a[parent] = value;
      i = parent;
    }
  }

  public pop(): number | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < a.length && (a[left] as number) < (a[smallest] as number)) smallest = left;
      if (right < a.length && (a[right] as number) < (a[smallest] as number)) smallest = right;
      if (smallest === i) break;
      [a[i], a[smallest]] = [a[smallest] as number, a[i] as number];
      i = smallest;
    }
    return top;
  }
}

/** What {@link runScheduled} runs: tasks `0 … size - 1`, named by their index in the batch. */
export interface Schedule<TOutcome extends object> {
  readonly size: number;
  /** At most this many tasks run at once (at least one). A task waiting for others holds no slot. */
  readonly limit: number;
  /**
   * The earlier tasks (lower indexes) task `index` waits for, each slot meaning something to `decide`
   * (`undefined`: nothing to wait for there). Earlier only, so waits never form a cycle.
   * @default - none: every task is ready at once
   */
  waitsFor?(index: number): readonly (number | undefined)[];
  /**
   * Called once the tasks `index` waits for have settled, with their outcomes in the same slots: an outcome
   * settles the task without running it, `undefined` makes it ready.
   * @default - every task becomes ready
   */
  decide?(index: number, before: readonly (TOutcome | undefined)[]): TOutcome | undefined;
  /**
   * Called when a ready task gets a slot, just before it runs: an outcome settles it without running it.
   * @default - every task runs
   */
  beforeStart?(index: number): TOutcome | undefined;
  /**
   * Runs the task. It must not reject (a batch processor turns its failures into outcomes). It may call
   * `freeSlot` before it settles, once the part that `limit` bounds is done (a record's handler), so that the
   * next task starts while this one finishes (stores its outcome).
   */
  run(index: number, freeSlot: () => void): Promise<TOutcome>;
  /** Called as each task settles, run or not. */
  settled?(index: number, outcome: TOutcome): void;
}

/**
 * Runs a batch's tasks: a task waits for the tasks `waitsFor` names; among the ready ones the earliest
 * starts first, up to `limit` at once. Resolves with every task's outcome once all have settled.
 */
export function runScheduled<TOutcome extends object>(schedule: Schedule<TOutcome>): Promise<TOutcome[]> {
  return new Scheduler(schedule).run();
}

/** One run of a {@link Schedule}: the tasks' waits as counters, the ready ones in a heap. */
class Scheduler<TOutcome extends object> {
  readonly #schedule: Schedule<TOutcome>;
  readonly #limit: number;
  /** Per task, the earlier tasks it waits for (as `waitsFor` gave them, slots kept for `decide`). */
  readonly #before: (readonly (number | undefined)[])[] = [];
  /** Per task, how many of the tasks it waits for have not settled. */
  readonly #waiting: number[] = [];
  /** Per task, the later tasks that wait for it. */
  readonly #dependents: number[][];
  readonly #outcomes: (TOutcome | undefined)[];
  /** Tasks whose waits are over, not yet decided. */
  readonly #unblocked: number[] = [];
  readonly #ready = new IndexHeap();
  #running = 0;
  #finished = 0;
  #resolve: () => void = () => undefined;

  public constructor(schedule: Schedule<TOutcome>) {
    const { size } = schedule;
    this.#schedule = schedule;
    this.#limit = Math.max(1, Math.min(schedule.limit, size));
    this.#dependents = Array.from({ length: size }, () => []);
    this.#outcomes = Array.from({ length: size }, () => undefined);
    for (let index = 0; index < size; index += 1) {
      const earlier = schedule.waitsFor?.(index) ?? [];
      this.#before.push(earlier);
      let waits = 0;
      for (const task of new Set(earlier)) {
        if (task === undefined) continue;
        this.#dependents[task]?.push(index);
        waits += 1;
      }
      this.#waiting.push(waits);
      if (waits === 0) this.#unblocked.push(index);
    }
  }

  public async run(): Promise<TOutcome[]> {
    await new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#pump();
    });
    return this.#outcomes as TOutcome[];
  }

  #finish(index: number, outcome: TOutcome): void {
    this.#outcomes[index] = outcome;
    this.#finished += 1;
    this.#schedule.settled?.(index, outcome);
    for (const next of this.#dependents[index] ?? []) {
      const waits = (this.#waiting[next] ?? 0) - 1;
      this.#waiting[next] = waits;
      if (waits === 0) this.#unblocked.push(next);
    }
  }

  /** Decides the unblocked tasks, starts ready ones while slots are free, and resolves once all settled. */
  #pump(): void {
    for (;;) {
      // Tasks whose outcome is decided without running them.
      for (let index = this.#unblocked.pop(); index !== undefined; index = this.#unblocked.pop()) {
        const verdict = this.#schedule.decide?.(
          index,
          (this.#before[index] ?? []).map((task) => this.#outcomes[task ?? -1]),
        );
        if (verdict === undefined) this.#ready.push(index);
        else this.#finish(index, verdict);
      }
      if (this.#running >= this.#limit || this.#ready.size === 0) break;
      const index = this.#ready.pop() as number;
      const skipped = this.#schedule.beforeStart?.(index);
      if (skipped === undefined) this.#start(index);
      else this.#finish(index, skipped);
    }
    if (this.#finished === this.#schedule.size) this.#resolve();
  }

  /** Runs a task in a slot, which it holds until it settles or calls `freeSlot`. */
  #start(index: number): void {
    this.#running += 1;
    let holding = true;
    const release = (): boolean => {
      if (!holding) return false;
      holding = false;
      this.#running -= 1;
      return true;
    };
    const freeSlot = (): void => {
      if (release()) this.#pump();
    };
    void this.#schedule.run(index, freeSlot).then((outcome) => {
      release();
      this.#finish(index, outcome);
      this.#pump();
    });
  }
}
