/**
 * `startLocalEventSource`: Lambda's SQS event source mapping, emulated against a real or local queue.
 * The options are in `event-source-options.ts`, the polling loops in `event-source-poller.ts`, and the
 * records and events they build in `sqs-records.ts`.
 */
import { DEFAULT_IDLE_TIMEOUT_MS, resolveEventSourceOptions, type LocalEventSourceOptions } from './event-source-options';
import { LocalEventSourcePoller, type LocalEventSourceError, type LocalEventSourceStats } from './event-source-poller';

export type { LocalEventSourceError, LocalEventSourceStats } from './event-source-poller';

/** A running local event source, returned by {@link startLocalEventSource}. */
export interface LocalEventSource {
  /** Live counters. */
  readonly stats: LocalEventSourceStats;
  /** Errors met so far, oldest first (handler errors, timeouts, failed receives or deletes). */
  readonly errors: readonly LocalEventSourceError[];
  /** The `eventSourceARN` put in the records. */
  readonly eventSourceArn: string;
  /**
   * Resolves once the queue looks drained: after this call, every poller completed a receive that found
   * nothing, and no batch is running. Messages hidden by their visibility timeout (records that failed)
   * are not waited for: await a condition of your handler for redeliveries. Resolves at once after `stop()`.
   * @param options.timeoutMs rejects with a {@link TestKitError} after this many milliseconds
   *   (default {@link DEFAULT_IDLE_TIMEOUT_MS}).
   */
  idle(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Stops polling: waits for the running receives and batches (and handlers past their timeout) to end.
   * Messages received after this call are made visible again without invoking the handler. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Emulates Lambda's SQS event source mapping against a real (or local) queue: long-polls it, invokes
 * `handler` with events of the exact shape Lambda sends, deletes the records that succeeded and leaves the
 * others to reappear after their visibility timeout.
 *
 * - A handler that throws (or runs past `timeoutMs`) fails the whole batch: nothing is deleted.
 * - `batchItemFailures` in the result leaves those records on the queue; an `itemIdentifier` that is not a
 *   message id of the batch fails the whole batch, as in Lambda.
 *
 * Differences from Lambda to keep in mind: batches are at most 10 records (no batching window); there is
 * no redrive by the event source itself (the queue's redrive policy still applies); with fauxqs, a FIFO
 * queue delivers at most one in-flight message per message group, so a batch never holds two messages of
 * one group, whereas real SQS and Lambda can deliver several messages of a group in one batch (in order).
 * Tests of FIFO ordering within a batch therefore need the real service.
 */
export function startLocalEventSource(options: LocalEventSourceOptions): LocalEventSource {
  const settings = resolveEventSourceOptions(options);
  const poller = new LocalEventSourcePoller(settings);
  poller.start();
  return {
    stats: poller.stats,
    errors: poller.errors,
    eventSourceArn: settings.eventSourceArn,
    idle: ({ timeoutMs = DEFAULT_IDLE_TIMEOUT_MS } = {}) => poller.idle(timeoutMs),
    stop: () => poller.stop(),
  };
}
