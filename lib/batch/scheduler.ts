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
  /** Runs the task. It must not reject (a batch processor turns its failures into outcomes). */
  run(index: number): Promise<TOutcome>;
  /** Called as each task settles, run or not. */
  settled?(index: number, outcome: TOutcome): void;
}

/**
 * Runs a batch's tasks: a task waits for the tasks `waitsFor` names; among the ready ones the earliest
 * starts first, up to `limit` at once. Resolves with every task's outcome once all have settled.
 */
export async function runScheduled<TOutcome extends object>(schedule: Schedule<TOutcome>): Promise<TOutcome[]> {
  const { size } = schedule;
  const limit = Math.max(1, Math.min(schedule.limit, size));
  const before: (readonly (number | undefined)[])[] = [];
  const waiting: number[] = [];
  const dependents: number[][] = Array.from({ length: size }, () => []);
  for (let index = 0; index < size; index += 1) {
    const earlier = schedule.waitsFor?.(index) ?? [];
    before.push(earlier);
    waiting.push(0);
    for (const task of new Set(earlier)) {
      if (task === undefined) continue;
      dependents[task]?.push(index);
      waiting[index] = (waiting[index] ?? 0) + 1;
    }
  }

  const outcomes: (TOutcome | undefined)[] = Array.from({ length: size }, () => undefined);
  const unblocked = Array.from({ length: size }, (_x, index) => index).filter((index) => waiting[index] === 0);
  const ready = new IndexHeap();
  let running = 0;
  let finished = 0;
  await new Promise<void>((resolve) => {
    const finish = (index: number, outcome: TOutcome): void => {
      outcomes[index] = outcome;
      finished += 1;
      schedule.settled?.(index, outcome);
      for (const next of dependents[index] ?? []) {
        waiting[next] = (waiting[next] ?? 0) - 1;
        if (waiting[next] === 0) unblocked.push(next);
      }
    };
    const pump = (): void => {
      for (;;) {
        // Tasks whose outcome is decided without running them.
        for (let index = unblocked.pop(); index !== undefined; index = unblocked.pop()) {
          const verdict = schedule.decide?.(
            index,
            (before[index] ?? []).map((task) => outcomes[task ?? -1]),
          );
          if (verdict === undefined) ready.push(index);
          else finish(index, verdict);
        }
        if (running >= limit || ready.size === 0) break;
        const index = ready.pop() as number;
        const skipped = schedule.beforeStart?.(index);
        if (skipped !== undefined) {
          finish(index, skipped);
          continue;
        }
        running += 1;
        void schedule.run(index).then((outcome) => {
          running -= 1;
          finish(index, outcome);
          pump();
        });
      }
      if (finished === size) resolve();
    };
    pump();
  });
  return outcomes as TOutcome[];
}
