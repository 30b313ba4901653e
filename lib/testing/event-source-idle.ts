/**
 * When a local event source counts as idle. On a logical clock: each poller remembers when its last
 * completed receive started if it was empty (-1 if it returned messages or failed); a batch end moves
 * `lastBatchEnd`. A waiter registered at time `since` is released once no batch runs and every poller
 * has since started a receive that found nothing (or once the event source is stopping).
 */
import { TestKitError } from './errors';

interface Waiter {
  readonly since: number;
  readonly resolve: () => void;
}

/** The `idle()` bookkeeping of a local event source. */
export class IdleTracker {
  #clock = 0;
  #lastBatchEnd = 0;
  #running = 0;
  readonly #lastEmptyStart: number[];
  readonly #waiters = new Set<Waiter>();

  /**
   * @param pollers number of polling loops.
   * @param isStopping whether `stop()` was called: every waiter is then released once no batch runs.
   */
  public constructor(
    pollers: number,
    private readonly isStopping: () => boolean,
  ) {
    this.#lastEmptyStart = Array.from({ length: pollers }, () => -1);
  }

  /** A poller starts a receive; returns its time on the clock. */
  public receiveStarted(): number {
    return ++this.#clock;
  }

  /** The receive that poller `index` started at `startedAt` found nothing. */
  public receivedNothing(index: number, startedAt: number): void {
    this.#lastEmptyStart[index] = startedAt;
    this.check();
  }

  /** Poller `index` received messages, or its receive failed: it has not seen the queue empty. */
  public receivedMessagesOrFailed(index: number): void {
    this.#lastEmptyStart[index] = -1;
  }

  public batchStarted(): void {
    this.#running += 1;
  }

  public batchEnded(): void {
    this.#running -= 1;
    this.#lastBatchEnd = ++this.#clock;
    this.check();
  }

  /** Releases the waiters whose condition holds. */
  public check(): void {
    if (this.#running > 0) return;
    const settledSince = Math.min(...this.#lastEmptyStart);
    for (const waiter of this.#waiters) {
      if (this.isStopping() || settledSince > Math.max(waiter.since, this.#lastBatchEnd)) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Resolves once idle; rejects with a {@link TestKitError} after `timeoutMs`.
   * @param describe what the timeout message adds after the time waited (read when it times out).
   */
  public wait(timeoutMs: number, describe: () => string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new TestKitError(`The local event source did not become idle within ${timeoutMs} ms (${describe()})`));
      }, timeoutMs);
      const waiter: Waiter = {
        since: ++this.#clock,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.add(waiter);
      this.check();
    });
  }
}
