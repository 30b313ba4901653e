/**
 * A bounded-concurrency runner for batch processors: at most `limit` items run at once, each started in the
 * order given as soon as a slot frees.
 */

/**
 * Runs `worker` on every item, at most `limit` at a time, starting items in their order. Resolves when all
 * have settled. A worker that throws stops the runner from starting further items; the returned promise
 * rejects with the first such error once the running ones have settled (batch processors catch their
 * failures per item, so this is a safety net, not a control path).
 */
export async function runConcurrently<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next;
      next += 1;
      try {
        await worker(items[index] as T, index);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  const lanes = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failed) throw firstError;
}

/**
 * Serialises work on the same key inside one batch: work for a key waits until earlier work for that key
 * settled (whatever its outcome), work for different keys runs freely. Lets two records of one batch with
 * the same idempotency key run once: the second meets the first's completed record instead of its lease.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` after the earlier work queued under `key` (at once when `key` is undefined). */
  public run<T>(key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    const before = this.#tails.get(key);
    const result = before ? before.then(work) : work();
    this.#tails.set(
      key,
      result.then(
        () => undefined,
        () => undefined,
      ),
    );
    return result;
  }
}
