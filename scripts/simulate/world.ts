/**
 * The simulated world: virtual time and seeded randomness. While a simulation runs it replaces the
 * process's `setTimeout`, `clearTimeout` (the globals and `node:timers`'), `Date.now`, `performance.now` and `Math.random`, so that the real
 * engine's backoffs, deadlines and jitter run on the simulator's clock and seed: the same seed gives the same
 * run. Only the simulator's own event loop (`drain`) uses the real `setImmediate`.
 */

import { AsyncResource } from 'node:async_hooks';
import timers from 'node:timers';
import { mulberry32 } from '../../lib/testing/faults';

const realSetImmediate = setImmediate;

/** Seeded randomness: the test kit's generator (mulberry32). */
export const seededRandom = mulberry32;

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
  /** Whether the process that set the timer still runs (a dead process's timers never fire). */
  readonly alive: () => boolean;
}

/** Virtual time: timers fire only when the simulator advances the clock to them. */
export class VirtualTime {
  /** Epoch milliseconds at virtual time 0. */
  public static readonly EPOCH = 1_900_000_000_000;
  #now = VirtualTime.EPOCH;
  #timers: Timer[] = [];
  #nextId = 1;
  /** Called when a timer is set: returns whether its process still runs when the timer is due. */
  public liveness: () => () => boolean = () => () => true;

  public now(): number {
    return this.#now;
  }

  public setTimeout(callback: () => void, ms = 0): number {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#now + Math.max(0, Number(ms) || 0), callback, alive: this.liveness() });
    return id;
  }

  public clearTimeout(id: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  /** When the earliest timer is due, if any (timers of dead processes are dropped). */
  public nextTimerAt(): number | undefined {
    this.#timers = this.#timers.filter((timer) => timer.alive());
    let earliest: number | undefined;
    for (const timer of this.#timers) if (earliest === undefined || timer.at < earliest) earliest = timer.at;
    return earliest;
  }

  /** Moves the clock to `at` (never back) and fires the timers due by then, earliest first. */
  public advanceTo(at: number): void {
    this.#now = Math.max(this.#now, at);
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= this.#now).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) return;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      if (due.alive()) due.callback();
    }
  }
}

/** Runs `body` with the process's time and randomness replaced by the world's; restores them after. */
export async function inWorld<T>(time: VirtualTime, random: () => number, body: () => Promise<T>): Promise<T> {
  const saved = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    dateNow: Date.now,
    perfNow: performance.now.bind(performance),
    random: Math.random,
    timersSetTimeout: timers.setTimeout,
    timersClearTimeout: timers.clearTimeout,
  };
  const fakeTimeout = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    // Bound to the async context that set it, as Node's own timers are.
    const bound = AsyncResource.bind(() => callback(...args));
    const id = time.setTimeout(bound, ms);
    // Node's timers have unref/ref; the engine's callers may use them.
    return { id, unref: () => undefined, ref: () => undefined, [Symbol.toPrimitive]: () => id } as unknown as NodeJS.Timeout;
  };
  globalThis.setTimeout = fakeTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((handle: unknown) =>
    time.clearTimeout((handle as { id?: unknown } | undefined)?.id ?? handle)) as typeof clearTimeout;
  // Code that takes Node's own timers (to escape a test's fake timers) runs on the world's clock as well.
  const nodeTimers = timers as { setTimeout: unknown; clearTimeout: unknown };
  nodeTimers.setTimeout = globalThis.setTimeout;
  nodeTimers.clearTimeout = globalThis.clearTimeout;
  Date.now = () => time.now();
  performance.now = () => time.now() - VirtualTime.EPOCH;
  Math.random = random;
  try {
    return await body();
  } finally {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.clearTimeout = saved.clearTimeout;
    Date.now = saved.dateNow;
    performance.now = saved.perfNow;
    Math.random = saved.random;
    nodeTimers.setTimeout = saved.timersSetTimeout;
    nodeTimers.clearTimeout = saved.timersClearTimeout;
  }
}

/** Lets every promise chain that can move, move (microtasks and the turns between them). */
export async function drain(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => realSetImmediate(resolve));
}
