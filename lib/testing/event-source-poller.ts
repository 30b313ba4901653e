/**
 * The polling loops of a local event source: receive a batch, invoke the handler with Lambda's event,
 * delete what succeeded (or make the batch visible again when stopping), and count all of it.
 */
import type {
  ChangeMessageVisibilityBatchCommand as ChangeVisibilityBatchCommandType,
  DeleteMessageBatchCommand as DeleteMessageBatchCommandType,
  Message,
  ReceiveMessageCommand as ReceiveMessageCommandType,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { backoffMs, sleep } from '../time';
import { TestKitError } from './errors';
import { IdleTracker } from './event-source-idle';
import { invokeHandler, type Invoked } from './lambda-invoke';
import type { ResolvedEventSourceOptions } from './event-source-options';
import { loadOptional } from './optional';
import { interpretBatchResponse, invocationContext, recordsToDelete, toSqsEvent, type BatchOutcome } from './sqs-records';

/** Live counters of a {@link LocalEventSource}. */
export interface LocalEventSourceStats {
  /** ReceiveMessage calls that completed (empty or not). */
  readonly receives: number;
  /** ReceiveMessage calls that returned no message. */
  readonly emptyReceives: number;
  /** ReceiveMessage calls that failed. */
  readonly receiveErrors: number;
  /** Handler invocations. */
  readonly invocations: number;
  /** Records passed to the handler (a record delivered twice counts twice). */
  readonly messagesDelivered: number;
  /** Messages deleted after a successful invocation. */
  readonly deletes: number;
  /** Records left on the queue for redelivery: reported in `batchItemFailures`, or in a failed invocation. */
  readonly failures: number;
  /** Invocations that threw, timed out or returned an invalid `batchItemFailures`. */
  readonly handlerErrors: number;
  /** Invocations that ran past `timeoutMs`. */
  readonly timeouts: number;
  /** Messages received after `stop()` was called and made visible again without invoking the handler. */
  readonly released: number;
}

/** Something that went wrong while the event source ran (it keeps running). */
export interface LocalEventSourceError {
  readonly kind: 'handler' | 'timeout' | 'invalid-response' | 'receive' | 'delete' | 'release';
  readonly error: unknown;
}

/** Pause after a failed ReceiveMessage before the next one (doubles up to 1 s). */
const RECEIVE_ERROR_BACKOFF_MS = 50;
/** Longest pause after failed receives. */
const MAX_RECEIVE_ERROR_BACKOFF_MS = 1000;
/** Pause after an empty receive when `waitTimeSeconds` is 0, so that the loop does not spin. */
const EMPTY_RECEIVE_PAUSE_MS = 20;

type SqsModule = {
  ReceiveMessageCommand: typeof ReceiveMessageCommandType;
  DeleteMessageBatchCommand: typeof DeleteMessageBatchCommandType;
  ChangeMessageVisibilityBatchCommand: typeof ChangeVisibilityBatchCommandType;
};

/** Runs `settings.pollers` polling loops against one queue; `startLocalEventSource` exposes it. */
export class LocalEventSourcePoller {
  readonly stats: { -readonly [K in keyof LocalEventSourceStats]: number } = {
    receives: 0,
    emptyReceives: 0,
    receiveErrors: 0,
    invocations: 0,
    messagesDelivered: 0,
    deletes: 0,
    failures: 0,
    handlerErrors: 0,
    timeouts: 0,
    released: 0,
  };
  readonly errors: LocalEventSourceError[] = [];
  readonly #settings: ResolvedEventSourceOptions;
  readonly #idle: IdleTracker;
  /** Handlers still running past their timeout: `stop()` waits for them. */
  readonly #lingering = new Set<Promise<unknown>>();
  #stopping = false;
  #loops: Promise<void>[] = [];
  #stopped: Promise<void> | undefined;
  #sqs: SqsModule | undefined;

  public constructor(settings: ResolvedEventSourceOptions) {
    this.#settings = settings;
    this.#idle = new IdleTracker(settings.pollers, () => this.#stopping);
  }

  /** Starts the polling loops. */
  public start(): void {
    this.#loops = Array.from({ length: this.#settings.pollers }, (_, index) =>
      this.#poll(index).catch((error: unknown) => {
        // Only a failure to load @aws-sdk/client-sqs lands here; keep it visible.
        this.errors.push({ kind: 'receive', error });
      }),
    );
  }

  /** See `LocalEventSource.idle`. */
  public idle(timeoutMs: number): Promise<void> {
    return this.#idle.wait(timeoutMs, () => {
      const last = this.errors[this.errors.length - 1];
      return `stats ${JSON.stringify(this.stats)}${last === undefined ? '' : `; last error (${last.kind}): ${String(last.error)}`}`;
    });
  }

  /** See `LocalEventSource.stop`. */
  public stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      await Promise.all(this.#loops);
      while (this.#lingering.size > 0) await Promise.all([...this.#lingering]);
      this.#idle.check();
    })();
    return this.#stopped;
  }

  async #sqsModule(): Promise<SqsModule> {
    return (this.#sqs ??= await loadOptional<SqsModule>('@aws-sdk/client-sqs', 'startLocalEventSource'));
  }

  /** One polling loop: receives until stopping, and hands each batch to {@link #processBatch}. */
  async #poll(index: number): Promise<void> {
    const { ReceiveMessageCommand } = await this.#sqsModule();
    let failedReceives = 0;
    while (!this.#stopping) {
      const startedAt = this.#idle.receiveStarted();
      let messages: Message[];
      try {
        messages = await this.#receive(ReceiveMessageCommand);
        failedReceives = 0;
      } catch (receiveError) {
        this.stats.receiveErrors += 1;
        this.errors.push({ kind: 'receive', error: receiveError });
        this.#idle.receivedMessagesOrFailed(index);
        failedReceives += 1;
        await sleep(backoffMs({ firstMs: RECEIVE_ERROR_BACKOFF_MS, maxMs: MAX_RECEIVE_ERROR_BACKOFF_MS }, failedReceives));
        continue;
      }
      if (messages.length === 0) {
        this.stats.emptyReceives += 1;
        this.#idle.receivedNothing(index, startedAt);
        if (this.#settings.waitTimeSeconds === 0) await sleep(EMPTY_RECEIVE_PAUSE_MS);
        continue;
      }
      this.#idle.receivedMessagesOrFailed(index);
      if (this.#stopping) {
        await this.#release(messages);
        break;
      }
      this.#idle.batchStarted();
      try {
        await this.#processBatch(messages);
      } finally {
        this.#idle.batchEnded();
      }
    }
  }

  /** One ReceiveMessage (counted when it completes). */
  async #receive(ReceiveMessageCommand: SqsModule['ReceiveMessageCommand']): Promise<Message[]> {
    const { client, queueUrl, batchSize, waitTimeSeconds, visibilityTimeout } = this.#settings;
    const response = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        ...(visibilityTimeout !== undefined ? { VisibilityTimeout: visibilityTimeout } : {}),
      }),
    );
    this.stats.receives += 1;
    return response.Messages ?? [];
  }

  /** Invokes the handler with one batch, then deletes the records that succeeded. */
  async #processBatch(messages: Message[]): Promise<void> {
    const event = toSqsEvent(messages, this.#settings);
    const records = event.Records;
    this.stats.invocations += 1;
    this.stats.messagesDelivered += records.length;
    const outcome = this.#settle(await this.#invoke(event), records);
    const toDelete = recordsToDelete(records, outcome);
    this.stats.failures += records.length - toDelete.length;
    if (toDelete.length > 0) await this.#delete(toDelete);
  }

  /** Invokes the handler; a handler past its timeout is remembered, for `stop()` to wait for it. */
  async #invoke(event: SQSEvent): Promise<Invoked> {
    const { handler, timeoutMs } = this.#settings;
    const invoked = await invokeHandler(handler, event, invocationContext(this.#settings), timeoutMs);
    if (invoked.kind === 'timeout') {
      const tail = invoked.running.finally(() => this.#lingering.delete(tail));
      this.#lingering.add(tail);
    }
    return invoked;
  }

  /** Which records of the batch failed, given how the invocation ended; counts and keeps handler errors. */
  #settle(invoked: Invoked, records: readonly SQSRecord[]): BatchOutcome {
    if (invoked.kind !== undefined) {
      this.stats.handlerErrors += 1;
      if (invoked.kind === 'timeout') this.stats.timeouts += 1;
      this.errors.push({ kind: invoked.kind, error: invoked.error });
      return { ok: false };
    }
    if (!this.#settings.reportBatchItemFailures) return { ok: true, failed: new Set() };
    const { result } = invoked;
    const outcome = interpretBatchResponse(result, new Set(records.map((record) => record.messageId)));
    if (!outcome.ok) {
      this.stats.handlerErrors += 1;
      this.errors.push({
        kind: 'invalid-response',
        error: new TestKitError(`The handler returned an invalid batchItemFailures (the whole batch failed): ${JSON.stringify(result)}`),
      });
    }
    return outcome;
  }

  async #delete(records: readonly SQSRecord[]): Promise<void> {
    const { DeleteMessageBatchCommand } = await this.#sqsModule();
    try {
      const response = await this.#settings.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#settings.queueUrl,
          Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      this.stats.deletes += response.Successful?.length ?? 0;
      for (const failure of response.Failed ?? []) {
        this.errors.push({ kind: 'delete', error: new TestKitError(`DeleteMessageBatch failed: ${JSON.stringify(failure)}`) });
      }
    } catch (deleteError) {
      this.errors.push({ kind: 'delete', error: deleteError });
    }
  }

  /** Makes messages received after `stop()` visible again, without invoking the handler. */
  async #release(messages: readonly Message[]): Promise<void> {
    const { ChangeMessageVisibilityBatchCommand } = await this.#sqsModule();
    try {
      await this.#settings.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#settings.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      );
      this.stats.released += messages.length;
    } catch (releaseError) {
      this.errors.push({ kind: 'release', error: releaseError });
    }
  }
}
