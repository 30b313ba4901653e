import type {
  ChangeMessageVisibilityBatchCommand as ChangeVisibilityBatchCommandType,
  DeleteMessageBatchCommand as DeleteMessageBatchCommandType,
  Message,
  MessageAttributeValue,
  ReceiveMessageCommand as ReceiveMessageCommandType,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { TestKitConfigError, TestKitError } from './errors';
import { createLambdaContext, DEFAULT_ACCOUNT_ID, DEFAULT_FUNCTION_NAME, DEFAULT_LAMBDA_REGION } from './lambda-context';
import { loadOptional } from './optional';

/** Records per invocation when `batchSize` is not given (Lambda's default for SQS). */
export const DEFAULT_BATCH_SIZE = 10;
/** Concurrent polling loops when `pollers` is not given. */
export const DEFAULT_POLLERS = 1;
/**
 * Long-poll duration of each ReceiveMessage, in seconds, when `waitTimeSeconds` is not given. Lambda uses
 * 20; a short wait keeps `idle()` and `stop()` quick in tests.
 */
export const DEFAULT_WAIT_TIME_SECONDS = 1;
/** Function timeout in milliseconds of the emulated invocations when `timeoutMs` is not given. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
/** Whether `batchItemFailures` are honoured when `reportBatchItemFailures` is not given. */
export const DEFAULT_REPORT_BATCH_ITEM_FAILURES = true;
/** Milliseconds `idle()` waits before it rejects, when no `timeoutMs` is given. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Largest batch one ReceiveMessage returns. */
const MAX_RECEIVE_BATCH = 10;
/** Pause after a failed ReceiveMessage before the next one (doubles up to 1 s). */
const RECEIVE_ERROR_BACKOFF_MS = 50;
/** Pause after an empty receive when `waitTimeSeconds` is 0, so that the loop does not spin. */
const EMPTY_RECEIVE_PAUSE_MS = 20;

/** What a handler may return; Lambda reads `batchItemFailures` when `reportBatchItemFailures` is on. */
export type LocalEventSourceHandler = (event: SQSEvent, context: Context) => unknown;

/** Options of {@link startLocalEventSource}. */
export interface LocalEventSourceOptions {
  /** The SQS client to poll with (e.g. the one `startLocalSqs` returns, or one built for its endpoint). */
  readonly client: SQSClient;
  /** The queue to poll. The event's `eventSourceARN` is derived from it. */
  readonly queueUrl: string;
  /** The Lambda handler to invoke with each batch. */
  readonly handler: LocalEventSourceHandler;
  /**
   * Maximum records per invocation (1 to 10: one ReceiveMessage per invocation; the batching window of
   * larger Lambda batches is not emulated).
   * @default {@link DEFAULT_BATCH_SIZE} (10)
   */
  readonly batchSize?: number;
  /**
   * Number of polling loops running at once (each invokes the handler with its own batches, so up to
   * `pollers` invocations run concurrently, like Lambda's concurrent pollers).
   * @default {@link DEFAULT_POLLERS} (1)
   */
  readonly pollers?: number;
  /**
   * Long-poll duration of each ReceiveMessage, in seconds (0 to 20). `stop()` waits for running receives,
   * so it takes up to this long.
   * @default {@link DEFAULT_WAIT_TIME_SECONDS} (1)
   */
  readonly waitTimeSeconds?: number;
  /**
   * Visibility timeout in seconds applied to the received messages (0 to 43200): how long a record that
   * failed stays hidden before it is delivered again.
   * @default - the queue's own visibility timeout
   */
  readonly visibilityTimeout?: number;
  /**
   * Function timeout in milliseconds: the context's `getRemainingTimeInMillis()` counts down from it, and
   * an invocation still running when it is reached counts as failed (nothing is deleted). The handler is
   * not killed: `stop()` waits for it to settle.
   * @default {@link DEFAULT_HANDLER_TIMEOUT_MS} (30000)
   */
  readonly timeoutMs?: number;
  /**
   * Whether the handler's `batchItemFailures` are honoured (the event source mapping's
   * `ReportBatchItemFailures` function response type). When `false`, any result means the whole batch
   * succeeded.
   * @default {@link DEFAULT_REPORT_BATCH_ITEM_FAILURES} (true)
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Function name in the context.
   * @default {@link DEFAULT_FUNCTION_NAME} (`local-function`)
   */
  readonly functionName?: string;
  /**
   * Region in `awsRegion`, the event source ARN and the function ARN.
   * @default - the region in the queue URL host (`sqs.REGION.…`), else {@link DEFAULT_LAMBDA_REGION}
   */
  readonly region?: string;
}

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

type SqsModule = {
  ReceiveMessageCommand: typeof ReceiveMessageCommandType;
  DeleteMessageBatchCommand: typeof DeleteMessageBatchCommandType;
  ChangeMessageVisibilityBatchCommand: typeof ChangeVisibilityBatchCommandType;
};

/** A receipt whose record is in the batch, or why the batch as a whole failed. */
type Outcome = { readonly ok: true; readonly failed: ReadonlySet<string> } | { readonly ok: false };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new TestKitConfigError(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${String(value)}\``,
    );
  }
}

const KNOWN_OPTIONS = new Set([
  'client',
  'queueUrl',
  'handler',
  'batchSize',
  'pollers',
  'waitTimeSeconds',
  'visibilityTimeout',
  'timeoutMs',
  'reportBatchItemFailures',
  'functionName',
  'region',
]);

/**
 * The queue ARN for a queue URL `https://sqs.REGION.HOST/ACCOUNT/NAME` (AWS's and fauxqs's format).
 * @throws TestKitConfigError when the URL has no `/ACCOUNT/NAME` path.
 */
export function queueArnFromUrl(queueUrl: string, region?: string): { arn: string; region: string } {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new TestKitConfigError(`Expected \`queueUrl\` to be a URL, got \`${queueUrl}\``);
  }
  const [account, name, ...rest] = url.pathname.split('/').filter((part) => part !== '');
  if (account === undefined || name === undefined || rest.length > 0) {
    throw new TestKitConfigError(
      `Expected \`queueUrl\` to end with /ACCOUNT_ID/QUEUE_NAME, got \`${queueUrl}\``,
    );
  }
  const hostRegion = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(url.hostname)?.[1];
  const resolvedRegion = region ?? hostRegion ?? DEFAULT_LAMBDA_REGION;
  const accountId = /^\d{12}$/.test(account) ? account : DEFAULT_ACCOUNT_ID;
  return { arn: `arn:aws:sqs:${resolvedRegion}:${accountId}:${name}`, region: resolvedRegion };
}

function toBase64(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value).toString('base64');
}

/** SDK message attributes to Lambda's shape (lower camel case, binary as base64, list fields present). */
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const binaryValue = toBase64(value.BinaryValue);
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(binaryValue !== undefined ? { binaryValue } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

const SYSTEM_ATTRIBUTES = [
  'AWSTraceHeader',
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'DeadLetterQueueSourceArn',
] as const;

/** One SDK message as the record Lambda puts in the event. */
export function toSqsRecord(message: Message, eventSourceArn: string, awsRegion: string): SQSRecord {
  const source = message.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = (source as Record<string, string | undefined>)[name];
    if (value !== undefined) attributes[name] = value;
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes: toLambdaAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion,
  };
}

/**
 * Reads a handler result the way Lambda does with `ReportBatchItemFailures`: no result, no
 * `batchItemFailures` or an empty list means success; each entry must name a record of the batch by its
 * `itemIdentifier` (the message id), else the whole batch fails.
 */
export function interpretBatchResponse(result: unknown, messageIds: ReadonlySet<string>): Outcome {
  if (result === null || typeof result !== 'object') return { ok: true, failed: new Set() };
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { ok: true, failed: new Set() };
  if (!Array.isArray(failures)) return { ok: false };
  const failed = new Set<string>();
  for (const entry of failures) {
    const id = (entry as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !messageIds.has(id)) return { ok: false };
    failed.add(id);
  }
  return { ok: true, failed };
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
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TestKitConfigError(`Unknown option \`${key}\` of startLocalEventSource`);
  }
  const { client, queueUrl, handler } = options;
  if (client === undefined || typeof (client as { send?: unknown }).send !== 'function') {
    throw new TestKitConfigError(`Expected \`client\` to be an SQSClient, got \`${String(client)}\``);
  }
  if (typeof handler !== 'function') {
    throw new TestKitConfigError(`Expected \`handler\` to be a function, got \`${String(handler)}\``);
  }
  checkInteger('batchSize', options.batchSize, 1, MAX_RECEIVE_BATCH);
  checkInteger('pollers', options.pollers, 1, 100);
  checkInteger('waitTimeSeconds', options.waitTimeSeconds, 0, 20);
  checkInteger('visibilityTimeout', options.visibilityTimeout, 0, 43_200);
  if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)) {
    throw new TestKitConfigError(`Expected \`timeoutMs\` to be a positive number, got \`${String(options.timeoutMs)}\``);
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const pollers = options.pollers ?? DEFAULT_POLLERS;
  const waitTimeSeconds = options.waitTimeSeconds ?? DEFAULT_WAIT_TIME_SECONDS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? DEFAULT_REPORT_BATCH_ITEM_FAILURES;
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  const { arn: eventSourceArn, region } = queueArnFromUrl(queueUrl, options.region);
  const accountId = eventSourceArn.split(':')[4] ?? DEFAULT_ACCOUNT_ID;

  const stats = {
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
  const errors: LocalEventSourceError[] = [];
  let stopping = false;
  const lingering = new Set<Promise<unknown>>();

  // idle() bookkeeping, on a logical clock: each poller remembers when its last completed receive started
  // if it was empty (-1 if it returned messages or failed); a batch end moves `lastBatchEnd`.
  let clock = 0;
  let lastBatchEnd = 0;
  let running = 0;
  const lastEmptyStart: number[] = Array.from({ length: pollers }, () => -1);
  const waiters = new Set<{ since: number; resolve: () => void }>();
  const checkIdle = (): void => {
    if (running > 0) return;
    const settledSince = Math.min(...lastEmptyStart);
    for (const waiter of waiters) {
      if (stopping || settledSince > Math.max(waiter.since, lastBatchEnd)) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  let sqs: SqsModule | undefined;
  const sqsModule = async (): Promise<SqsModule> =>
    (sqs ??= await loadOptional<SqsModule>('@aws-sdk/client-sqs', 'startLocalEventSource'));

  type InvokeOutcome = { result?: unknown; kind?: 'handler' | 'timeout'; error?: unknown };
  const invoke = async (event: SQSEvent): Promise<InvokeOutcome> => {
    const context = createLambdaContext({ functionName, timeoutMs, region, accountId });
    const run = (async () => handler(event, context))();
    // Lambda serialises the result to JSON; so do we, so that a result that cannot be sent fails here too.
    const settled: Promise<InvokeOutcome> = run.then(
      (result) => {
        const json = JSON.stringify(result);
        return { result: json === undefined ? undefined : (JSON.parse(json) as unknown) };
      },
      (error: unknown) => ({ kind: 'handler' as const, error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<InvokeOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            kind: 'timeout',
            error: new TestKitError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`),
          }),
        timeoutMs,
      );
    });
    const outcome = await Promise.race([
      settled.catch((error: unknown): InvokeOutcome => ({ kind: 'handler', error })),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome.kind === 'timeout') {
      // The handler is not killed; stop() waits for it so that nothing runs after the test.
      const tail = settled.catch(() => undefined).finally(() => lingering.delete(tail));
      lingering.add(tail);
    }
    return outcome;
  };

  const processBatch = async (messages: Message[]): Promise<void> => {
    const records = messages.map((message) => toSqsRecord(message, eventSourceArn, region));
    const event: SQSEvent = { Records: records };
    stats.invocations += 1;
    stats.messagesDelivered += records.length;
    const { result, kind, error } = await invoke(event);

    let outcome: Outcome;
    if (kind !== undefined) {
      stats.handlerErrors += 1;
      if (kind === 'timeout') stats.timeouts += 1;
      errors.push({ kind, error });
      outcome = { ok: false };
    } else if (reportBatchItemFailures) {
      outcome = interpretBatchResponse(result, new Set(records.map((record) => record.messageId)));
      if (!outcome.ok) {
        stats.handlerErrors += 1;
        errors.push({
          kind: 'invalid-response',
          error: new TestKitError(
            `The handler returned an invalid batchItemFailures (the whole batch failed): ${JSON.stringify(result)}`,
          ),
        });
      }
    } else {
      outcome = { ok: true, failed: new Set() };
    }

    const toDelete = outcome.ok ? records.filter((record) => !outcome.failed.has(record.messageId)) : [];
    stats.failures += records.length - toDelete.length;
    if (toDelete.length === 0) return;
    const { DeleteMessageBatchCommand } = await sqsModule();
    try {
      const response = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: toDelete.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      stats.deletes += response.Successful?.length ?? 0;
      for (const failure of response.Failed ?? []) {
        errors.push({ kind: 'delete', error: new TestKitError(`DeleteMessageBatch failed: ${JSON.stringify(failure)}`) });
      }
    } catch (deleteError) {
      errors.push({ kind: 'delete', error: deleteError });
    }
  };

  const release = async (messages: Message[]): Promise<void> => {
    const { ChangeMessageVisibilityBatchCommand } = await sqsModule();
    try {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      );
      stats.released += messages.length;
    } catch (releaseError) {
      errors.push({ kind: 'release', error: releaseError });
    }
  };

  const poll = async (index: number): Promise<void> => {
    const { ReceiveMessageCommand } = await sqsModule();
    let backoff = RECEIVE_ERROR_BACKOFF_MS;
    while (!stopping) {
      const startedAt = ++clock;
      let messages: Message[];
      try {
        const response = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
            ...(options.visibilityTimeout !== undefined ? { VisibilityTimeout: options.visibilityTimeout } : {}),
          }),
        );
        messages = response.Messages ?? [];
        stats.receives += 1;
        backoff = RECEIVE_ERROR_BACKOFF_MS;
      } catch (receiveError) {
        stats.receiveErrors += 1;
        errors.push({ kind: 'receive', error: receiveError });
        lastEmptyStart[index] = -1;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
        continue;
      }
      if (messages.length === 0) {
        stats.emptyReceives += 1;
        lastEmptyStart[index] = startedAt;
        checkIdle();
        if (waitTimeSeconds === 0) await sleep(EMPTY_RECEIVE_PAUSE_MS);
        continue;
      }
      lastEmptyStart[index] = -1;
      if (stopping) {
        await release(messages);
        break;
      }
      running += 1;
      try {
        await processBatch(messages);
      } finally {
        running -= 1;
        lastBatchEnd = ++clock;
        checkIdle();
      }
    }
  };

  const loops = Array.from({ length: pollers }, (_, index) =>
    poll(index).catch((error: unknown) => {
      // Only a failure to load @aws-sdk/client-sqs lands here; keep it visible.
      errors.push({ kind: 'receive', error });
    }),
  );

  let stopped: Promise<void> | undefined;
  return {
    stats,
    errors,
    eventSourceArn,
    idle: ({ timeoutMs: idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS } = {}) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const last = errors[errors.length - 1];
          reject(
            new TestKitError(
              `The local event source did not become idle within ${idleTimeoutMs} ms ` +
                `(stats ${JSON.stringify(stats)}${last === undefined ? '' : `; last error (${last.kind}): ${String(last.error)}`})`,
            ),
          );
        }, idleTimeoutMs);
        const waiter = {
          since: ++clock,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.add(waiter);
        checkIdle();
      }),
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        await Promise.all(loops);
        while (lingering.size > 0) await Promise.all([...lingering]);
        checkIdle();
      })();
      return stopped;
    },
  };
}
