/**
 * The chaos scenario shared by `npm run chaos`, the CI-sized run in `npm test` and `npm start`: business
 * events sent one to three times to a standard and a FIFO queue (fauxqs), consumed by the example
 * consumer (handlers/chaos-consumer.ts) through the local event source (three pollers per queue), with
 * crashes at random points and faults on DynamoDB (DynamoDB Local); then the invariants are checked.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { createChaosConsumer, createPlainConsumer, type SqsConsumer } from '../../handlers/chaos-consumer';
import { DynamoDBStore } from '../../lib';
import { createIdempotencyTable, startLocalEventSource, withFaults, type LocalEventSource } from '../../lib/testing';
import { localDynamoClient, localSqsClient, type Endpoint } from './clients';
import { CrashInjector, type CrashCounts } from './crashes';
import { FakePaymentsApi } from './fake-api';
import { seeded } from './random';
import { verify, type InvariantResult } from './verify';
import { makeWorkload, type OutgoingMessage, type QueueKind } from './workload';

/** Share of deliveries (and of invocations) that crash, when `crashRate` is not given. */
export const DEFAULT_CRASH_RATE = 0.05;
/** Share of DynamoDB requests throttled. */
export const THROTTLE_RATE = 0.05;
/** Share of DynamoDB requests applied whose response is lost. */
export const LOST_RESPONSE_RATE = 0.02;
/** Share of the payments API's responses lost after the charge was applied. */
export const API_LOST_RESPONSE_RATE = 0.02;
/** Attempts of each DynamoDB request (the SDK retries throttles and lost responses). */
export const DYNAMODB_MAX_ATTEMPTS = 10;
/** Concurrent pollers per queue, when `pollers` is not given. */
export const DEFAULT_POLLERS = 3;
/** Function timeout of the emulated Lambda invocations; the lease is this less one second. */
export const HANDLER_TIMEOUT_MS = 2_000;
/** Visibility timeout of the queues, in seconds (Lambda wants at least the function timeout). */
export const VISIBILITY_TIMEOUT_SECONDS = 2;
/** Receives after which SQS moves a message to the DLQ. */
export const MAX_RECEIVE_COUNT = 8;
/** An abandoned attempt stalls this long (plus up to a second), past its timeout and its lease. */
const STALL_MS = HANDLER_TIMEOUT_MS + 500;
/** How often progress is reported and the queues are looked at. */
const MONITOR_INTERVAL_MS = 250;

/** The consumer fails records on purpose all the time: its logs would drown the summary. */
const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/** Progress of a run, reported every quarter second. */
export interface ChaosProgress {
  readonly phase: 'setup' | 'sending' | 'running' | 'verifying' | 'done';
  /** Messages no longer on the queues: deleted after processing, or moved to a DLQ. */
  readonly settled: number;
  /** Messages sent in all. */
  readonly total: number;
  readonly deliveries: number;
}

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** SQS messages to send: copies of business events plus a few poison messages. */
  readonly messages: number;
  /** Seed of the messages, copies, crash decisions and faults (timing still varies between runs). */
  readonly seed: number;
  /** Share of deliveries (and of invocations) that crash. @default {@link DEFAULT_CRASH_RATE} (0.05) */
  readonly crashRate?: number;
  /** `true`: the consumer with effectively-once; `false`: the same logic without it. */
  readonly useLibrary: boolean;
  /** DynamoDB Local. */
  readonly dynamo: Endpoint;
  /** fauxqs. */
  readonly sqs: Endpoint;
  /** Pollers per queue. @default {@link DEFAULT_POLLERS} (3) */
  readonly pollers?: number;
  /** Give up waiting for the queues to drain after this long. @default - 60 s plus 30 ms per message */
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: ChaosProgress) => void;
}

/** What a run did and found. */
export interface ChaosSummary {
  readonly mode: 'effectively-once' | 'plain';
  readonly seed: number;
  readonly crashRate: number;
  readonly businessEvents: number;
  readonly messagesSent: number;
  readonly poisonMessages: number;
  /** Records handed to the handler (a message delivered three times counts three times). */
  readonly deliveries: number;
  /** Deliveries acknowledged without running the handler: the event had been processed already. */
  readonly duplicatesSuppressed: number;
  /** Invocations that ran past the function timeout (abandoned attempts, slow retries). */
  readonly handlerTimeouts: number;
  readonly crashes: CrashCounts;
  readonly faults: { readonly total: number; readonly throttled: number; readonly lostResponses: number; readonly apiLostResponses: number };
  readonly effects: {
    /** Ledger entries written. */
    readonly ledgerEntries: number;
    /** Charges the payments API applied. */
    readonly externalCalls: number;
    /** Requests the payments API received (retried steps included; repeats deduplicated by their key). */
    readonly externalRequests: number;
  };
  readonly invariants: readonly InvariantResult[];
  readonly violations: number;
  /** Whether the queues drained before `timeoutMs`. */
  readonly drained: boolean;
  readonly durationMs: number;
}

interface Queues {
  readonly url: Record<QueueKind, string>;
  readonly dlq: Record<QueueKind, string>;
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (QueueUrl === undefined) throw new Error(`CreateQueue returned no URL for ${name}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`GetQueueAttributes returned no QueueArn for ${name}`);
  return { url: QueueUrl, arn };
}

/** A standard and a FIFO queue, each with its DLQ (redrive after {@link MAX_RECEIVE_COUNT} receives). */
async function createQueues(sqs: SQSClient, prefix: string): Promise<Queues> {
  const make = async (kind: QueueKind): Promise<{ url: string; dlq: string }> => {
    const suffix = kind === 'fifo' ? '.fifo' : '';
    const fifo: Record<string, string> = kind === 'fifo' ? { FifoQueue: 'true' } : {};
    const dlq = await createQueue(sqs, `${prefix}-${kind}-dlq${suffix}`, fifo);
    const main = await createQueue(sqs, `${prefix}-${kind}${suffix}`, {
      ...fifo,
      VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(MAX_RECEIVE_COUNT) }),
    });
    return { url: main.url, dlq: dlq.url };
  };
  const [standard, fifo] = await Promise.all([make('standard'), make('fifo')]);
  return { url: { standard: standard.url, fifo: fifo.url }, dlq: { standard: standard.dlq, fifo: fifo.dlq } };
}

async function send(sqs: SQSClient, queues: Queues, messages: readonly OutgoingMessage[]): Promise<void> {
  const batches: Array<{ queue: QueueKind; entries: OutgoingMessage[] }> = [];
  const open: Partial<Record<QueueKind, OutgoingMessage[]>> = {};
  for (const message of messages) {
    let batch = open[message.queue];
    if (batch === undefined || batch.length === 10) {
      batch = [];
      open[message.queue] = batch;
      batches.push({ queue: message.queue, entries: batch });
    }
    batch.push(message);
  }
  const sendBatch = async ({ queue, entries }: { queue: QueueKind; entries: OutgoingMessage[] }): Promise<void> => {
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.url[queue],
        Entries: entries.map((m, index) => ({
          Id: String(index),
          MessageBody: m.body,
          MessageAttributes: {
            'chaos-kind': { DataType: 'String', StringValue: m.kind },
            'chaos-id': { DataType: 'String', StringValue: m.id },
            'chaos-copy': { DataType: 'String', StringValue: String(m.copy) },
          },
          ...(queue === 'fifo' ? { MessageGroupId: m.groupId, MessageDeduplicationId: m.deduplicationId } : {}),
        })),
      }),
    );
    if ((response.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(response.Failed)}`);
  };
  // A few batches at a time, in order.
  for (let start = 0; start < batches.length; start += 4) {
    await Promise.all(batches.slice(start, start + 4).map(sendBatch));
  }
}

async function messagesLeft(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

function validate(options: ChaosOptions): void {
  if (!Number.isInteger(options.messages) || options.messages < 2) {
    throw new RangeError(`Expected \`messages\` to be an integer >= 2, got ${String(options.messages)}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`Expected \`seed\` to be an integer, got ${String(options.seed)}`);
  const rate = options.crashRate ?? DEFAULT_CRASH_RATE;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 0.5)) {
    throw new RangeError(`Expected \`crashRate\` to be a number from 0 to 0.5, got ${String(options.crashRate)}`);
  }
}

/** Runs one chaos scenario end to end (own tables and queues) and checks the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  validate(options);
  const started = Date.now();
  const { messages, seed, useLibrary, onProgress } = options;
  const crashRate = options.crashRate ?? DEFAULT_CRASH_RATE;
  const pollers = options.pollers ?? DEFAULT_POLLERS;
  const timeoutMs = options.timeoutMs ?? 60_000 + 30 * messages;
  const mode = useLibrary ? 'effectively-once' : 'plain';
  const report = (progress: ChaosProgress): void => onProgress?.(progress);
  report({ phase: 'setup', settled: 0, total: messages, deliveries: 0 });

  const workload = makeWorkload(messages, seed);
  const runId = `chaos-${useLibrary ? 'eo' : 'plain'}-${randomBytes(4).toString('hex')}`;
  // A clean client for setup and verification; a faulty one for the consumer.
  const admin: DynamoDBClient = localDynamoClient(options.dynamo);
  const faulty: DynamoDBClient = localDynamoClient(options.dynamo, { maxAttempts: DYNAMODB_MAX_ATTEMPTS });
  const faults = withFaults(faulty, { seed, throttleRate: THROTTLE_RATE, lostResponseRate: LOST_RESPONSE_RATE });
  const sqs = localSqsClient(options.sqs);
  // The pollers' own client, so that their long polls never queue behind the monitor's requests.
  const sqsForSources = localSqsClient(options.sqs);
  const sources: LocalEventSource[] = [];
  try {
    const [idempotencyTable, ledgerTable, queues] = await Promise.all([
      createIdempotencyTable(admin, `${runId}-idempotency`),
      createIdempotencyTable(admin, `${runId}-ledger`),
      createQueues(sqs, runId),
    ]);
    const api = new FakePaymentsApi(seeded(seed, 'api'), API_LOST_RESPONSE_RATE);
    const stallRandom = seeded(seed, 'stall');
    const crashes = new CrashInjector(seed, crashRate, () => STALL_MS + Math.floor(stallRandom() * 1000));
    // The same faulty client under both: the store (which commits the ledger writes) or the plain writes.
    const deps = { ledgerTable, api, hooks: crashes.hooks, logger: QUIET };
    const consumer: SqsConsumer = useLibrary
      ? createChaosConsumer({ ...deps, store: new DynamoDBStore({ client: faulty, tableName: idempotencyTable }) })
      : createPlainConsumer({ ...deps, client: faulty });

    let duplicatesSuppressed = 0;
    const lambda = async (event: SQSEvent, context: Context): Promise<unknown> => {
      const records = event.Records;
      return crashes.run(records, async (startedHere) => {
        await crashes.invocation('before-claim', records);
        const response = await consumer(event, context);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const record of records) {
          if (!failed.has(record.messageId) && !startedHere.has(record.messageId)) duplicatesSuppressed += 1;
        }
        await crashes.invocation('after-commit', records);
        return response;
      });
    };

    for (const kind of ['standard', 'fifo'] as const) {
      sources.push(
        startLocalEventSource({
          client: sqsForSources,
          queueUrl: queues.url[kind],
          handler: lambda,
          pollers,
          batchSize: 10,
          timeoutMs: HANDLER_TIMEOUT_MS,
          functionName: 'chaos-consumer',
        }),
      );
    }
    const deliveries = (): number => sources.reduce((sum, s) => sum + s.stats.messagesDelivered, 0);

    report({ phase: 'sending', settled: 0, total: messages, deliveries: 0 });
    await send(sqs, queues, workload.messages);

    // Wait for both queues to drain (poison messages leave them for their DLQ).
    let drained = false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [standardLeft, fifoLeft] = await Promise.all([messagesLeft(sqs, queues.url.standard), messagesLeft(sqs, queues.url.fifo)]);
      report({ phase: 'running', settled: Math.max(0, messages - standardLeft - fifoLeft), total: messages, deliveries: deliveries() });
      if (standardLeft + fifoLeft === 0) {
        drained = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, MONITOR_INTERVAL_MS));
    }
    // Abandoned attempts still stalled wake up and carry on: stop() waits for them.
    await Promise.all(sources.map((source) => source.stop()));
    report({ phase: 'verifying', settled: messages, total: messages, deliveries: deliveries() });

    const invariants = await verify({
      admin,
      sqs,
      idempotencyTable: useLibrary ? idempotencyTable : undefined,
      ledgerTable,
      queues,
      workload,
      api,
    });
    const injected = faults.injected();
    const ledgerEntries = invariants.ledgerEntries;
    const summary: ChaosSummary = {
      mode,
      seed,
      crashRate,
      businessEvents: workload.events.length,
      messagesSent: workload.messages.length,
      poisonMessages: workload.poison.size,
      deliveries: deliveries(),
      duplicatesSuppressed,
      handlerTimeouts: sources.reduce((sum, s) => sum + s.stats.timeouts, 0),
      crashes: crashes.counts(),
      faults: {
        total: injected.throttled + injected.lostResponses + api.lostResponses,
        throttled: injected.throttled,
        lostResponses: injected.lostResponses,
        apiLostResponses: api.lostResponses,
      },
      effects: { ledgerEntries, externalCalls: api.charges, externalRequests: api.requests },
      invariants: invariants.results,
      violations: invariants.results.reduce((sum, r) => sum + r.violations, 0),
      drained,
      durationMs: Date.now() - started,
    };
    report({ phase: 'done', settled: messages, total: messages, deliveries: summary.deliveries });
    return summary;
  } finally {
    await Promise.all(sources.map((source) => source.stop()));
    faults.remove();
    admin.destroy();
    faulty.destroy();
    sqs.destroy();
    sqsForSources.destroy();
  }
}
