/**
 * Helpers for processSqsBatch tests: batches of real SQS record shapes (several messages of one FIFO group in
 * a batch, which fauxqs never delivers), a logger that records, a store that records what it was asked,
 * and promises resolved by hand so tests wait for events instead of sleeping.
 */
import type { SQSRecord } from 'aws-lambda';
import { InMemoryStore, type IdempotencyLogger, type IdempotencyStore } from '../../lib';
import { fifoRecord, sqsRecord, type SqsRecordOverrides } from './sqs-events';

/** A standard-queue record whose body is the JSON of `body`. */
export function jsonRecord(body: unknown, overrides: SqsRecordOverrides = {}): SQSRecord {
  return sqsRecord({ ...overrides, body: JSON.stringify(body) });
}

/** An order event as the examples send it. */
export interface Order {
  readonly orderId: string;
  readonly amount?: number;
}

/**
 * FIFO records in the order given: `[group, body]` pairs; bodies are JSON-encoded, sequence numbers
 * increase, each record gets its own deduplication id `dedup-<n>` (unless overridden).
 */
export function fifoBatch(entries: readonly (readonly [group: string, body: unknown, overrides?: SqsRecordOverrides])[]): SQSRecord[] {
  return entries.map(([group, body, overrides], index) =>
    fifoRecord(group, overrides?.attributes?.MessageDeduplicationId ?? `dedup-${index + 1}`, 1000 + index, JSON.stringify(body), overrides),
  );
}

/** Failed message ids of a batch response, in order. */
export function failedIds(response: { batchItemFailures: { itemIdentifier: string }[] }): string[] {
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

/** A promise resolved by hand. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One call of a {@link RecordingLogger}. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: readonly unknown[];
}

/** A logger that keeps every call. */
export interface RecordingLogger extends IdempotencyLogger {
  readonly entries: LogEntry[];
  /** Messages logged at `level`, in order. */
  messages(level: LogEntry['level']): string[];
}

export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const log =
    (level: LogEntry['level']) =>
    (message: string, ...extra: unknown[]): void => {
      entries.push({ level, message, extra });
    };
  return {
    entries,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    messages: (level) => entries.filter((entry) => entry.level === level).map((entry) => entry.message),
  };
}

/** Calls an {@link IdempotencyStore} received, by method. */
export interface StoreCalls {
  readonly claim: { key: string; leaseUntil: number; now: number }[];
  readonly extendLease: { key: string; leaseUntil: number }[];
  readonly complete: string[];
  /** Keys of the completed records written in one request (optimistic mode). */
  readonly putCompleted: string[];
  readonly release: string[];
  readonly get: string[];
}

/** An InMemoryStore that records the calls it receives (what the engine asked, not what it decided). */
export function recordingStore(inner: InMemoryStore = new InMemoryStore()): IdempotencyStore & { calls: StoreCalls; inner: InMemoryStore } {
  const calls: StoreCalls = { claim: [], extendLease: [], complete: [], putCompleted: [], release: [], get: [] };
  return {
    calls,
    inner,
    claim: (input) => {
      calls.claim.push({ key: input.key, leaseUntil: input.leaseUntil, now: input.now });
      return inner.claim(input);
    },
    takeOver: (input) => inner.takeOver(input),
    checkpoint: (input) => inner.checkpoint(input),
    extendLease: (input) => {
      calls.extendLease.push({ key: input.key, leaseUntil: input.leaseUntil });
      return inner.extendLease(input);
    },
    complete: (input) => {
      calls.complete.push(input.key);
      return inner.complete(input);
    },
    putCompleted: (input) => {
      calls.putCompleted.push(input.key);
      return inner.putCompleted(input);
    },
    release: (input) => {
      calls.release.push(input.key);
      return inner.release(input);
    },
    get: (key, now) => {
      calls.get.push(key);
      return inner.get(key, now);
    },
  };
}

/**
 * Tracks how many handler calls run at once, and lets a test hold each call until it releases it.
 * `enter(id)` returns a promise the handler awaits; `release(id)` lets that call finish; `open()` lets
 * every held and future call finish.
 */
export interface Gate {
  enter(id: string): Promise<void>;
  release(id: string): void;
  open(): void;
  /** Resolves once `count` calls are held at the same time. */
  running(count: number): Promise<void>;
  /** Resolves once `count` calls have started in total. */
  startedCount(count: number): Promise<void>;
  /** Ids of the calls in the order they started. */
  readonly started: string[];
  maxRunning(): number;
  /** Ids of the calls held now, in the order they started. */
  runningNow(): string[];
}

export function gate(): Gate {
  const held = new Map<string, Deferred>();
  const started: string[] = [];
  let max = 0;
  let opened = false;
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      if (waiter.ready()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const until = (ready: () => boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      waiters.push({ ready, resolve });
      check();
    });
  return {
    enter(id) {
      started.push(id);
      if (opened) return Promise.resolve();
      const d = deferred();
      held.set(id, d);
      max = Math.max(max, held.size);
      check();
      return d.promise;
    },
    release(id) {
      const d = held.get(id);
      if (!d) throw new Error(`no call ${id} is held (held: ${[...held.keys()].join(', ')})`);
      held.delete(id);
      d.resolve();
    },
    open() {
      opened = true;
      for (const [id, d] of [...held]) {
        held.delete(id);
        d.resolve();
      }
    },
    running: (count) => until(() => held.size >= count),
    startedCount: (count) => until(() => started.length >= count),
    started,
    maxRunning: () => max,
    runningNow: () => [...held.keys()],
  };
}

/** Lets every pending promise callback run (a few macrotask turns), without a timer-based sleep. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
