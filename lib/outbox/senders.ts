/**
 * One batch request per target kind (SendMessageBatch, PublishBatch, PutEvents; up to 10 messages and
 * 256 KB), and the retries of what a request did not take: a throttled or failed request (after the SDK's
 * own retries) and the entries a batch answer reports failed are sent again with backoff; entries refused
 * for good are reported.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { loadEventBridge, loadSns, loadSqs } from '../lazy-modules';
import { isTransientAwsError } from '../persistence/transient';
import { MAX_MESSAGE_BYTES, messageBytes, OUTBOX_MESSAGE_ID_ATTRIBUTE, type OutboxMessage } from './message';
import type { EventBusTarget, OutboxTarget, SnsTopicTarget, SqsQueueTarget } from './targets';
import { backoffMs, type Backoff } from '../time';

/** The pause before entries a target did not accept are sent again. */
const SEND_BACKOFF: Backoff = { firstMs: 100, maxMs: 2_000, jitter: 'around' };

/** Messages per batch request (SendMessageBatch, PublishBatch, PutEvents). */
export const MAX_BATCH_ENTRIES = 10;

/** The clients the relay sends with. */
export interface OutboxClients {
  /** Sends to `sqsQueue` targets. @default - a new `SQSClient` with the SDK's default configuration */
  readonly sqs?: SQSClient;
  /** Sends to `snsTopic` targets. @default - a new `SNSClient` with the SDK's default configuration */
  readonly sns?: SNSClient;
  /** Sends to `eventBus` targets. @default - a new `EventBridgeClient` with the SDK's default configuration */
  readonly eventBridge?: EventBridgeClient;
}

/** A message that was not published, and why. */
export interface UnsentMessage {
  readonly message: OutboxMessage;
  readonly reason: string;
}

/** What one attempt of a batch left: the entries to retry and those refused for good. */
interface Attempt {
  readonly retry: OutboxMessage[];
  readonly refused: UnsentMessage[];
}

/** An entry a batch answer reported failed. */
interface EntryFailure {
  readonly index: number;
  readonly code: string;
  readonly message?: string | undefined;
  readonly senderFault: boolean;
}

const RETRYABLE_ENTRY_CODE = /throttl|internal|unavailable|timeout|limit ?exceeded|kms\.?throttl/i;

let defaultClients: { sqs?: SQSClient; sns?: SNSClient; eventBridge?: EventBridgeClient } = {};

/** Sends batches of messages with the given clients (or default ones, made once per process). */
export class Senders {
  readonly #clients: { sqs?: SQSClient; sns?: SNSClient; eventBridge?: EventBridgeClient };
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  public constructor(clients: OutboxClients, maxAttempts: number, sleep: (ms: number) => Promise<void>) {
    this.#clients = { ...clients };
    this.#maxAttempts = maxAttempts;
    this.#sleep = sleep;
  }

  /**
   * Sends messages of one target (in order, in batches of up to 10 and 256 KB), retrying what can be
   * retried up to `maxAttempts` times per batch; returns those not sent.
   */
  public async sendAll(messages: readonly OutboxMessage[]): Promise<UnsentMessage[]> {
    const unsent: UnsentMessage[] = [];
    for (const batch of batches(messages)) {
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        const { retry, refused } = await this.#attempt(pending);
        unsent.push(...refused);
        if (retry.length > 0 && attempt >= this.#maxAttempts) {
          unsent.push(...retry.map((message) => ({ message, reason: `not accepted after ${attempt} attempts` })));
          break;
        }
        if (retry.length > 0) await this.#sleep(backoffMs(SEND_BACKOFF, attempt));
        pending = retry;
      }
    }
    return unsent;
  }

  async #attempt(batch: OutboxMessage[]): Promise<Attempt> {
    const target = (batch[0] as OutboxMessage).target;
    let failures: EntryFailure[];
    try {
      failures = await this.#send(target, batch);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return retryableRequestError(error)
        ? { retry: batch, refused: [] }
        : { retry: [], refused: batch.map((message) => ({ message, reason })) };
    }
    const retry: OutboxMessage[] = [];
    const refused: UnsentMessage[] = [];
    for (const failure of failures) {
      const message = batch[failure.index];
      if (message === undefined) continue;
      if (!failure.senderFault || RETRYABLE_ENTRY_CODE.test(failure.code)) retry.push(message);
      else refused.push({ message, reason: `${failure.code}${failure.message ? `: ${failure.message}` : ''}` });
    }
    return { retry, refused };
  }

  #send(target: OutboxTarget, batch: readonly OutboxMessage[]): Promise<EntryFailure[]> {
    if (target.kind === 'sqs') return this.#sendSqs(target, batch);
    if (target.kind === 'sns') return this.#sendSns(target, batch);
    return this.#sendEvents(target, batch);
  }

  async #sendSqs(target: SqsQueueTarget, batch: readonly OutboxMessage[]): Promise<EntryFailure[]> {
    const sqs = await loadSqs();
    const client = (this.#clients.sqs ??= defaultClients.sqs ??= new sqs.SQSClient({}));
    const output = await client.send(
      new sqs.SendMessageBatchCommand({
        QueueUrl: target.queueUrl,
        Entries: batch.map((m, i) => ({
          Id: String(i),
          MessageBody: m.body,
          MessageAttributes: attributesOf(m),
          ...(m.groupId === undefined ? {} : { MessageGroupId: m.groupId }),
          ...(target.fifo ? { MessageDeduplicationId: m.id } : {}),
          ...(m.delaySeconds === undefined ? {} : { DelaySeconds: m.delaySeconds }),
        })),
      }),
    );
    return failedEntries(output.Failed);
  }

  async #sendSns(target: SnsTopicTarget, batch: readonly OutboxMessage[]): Promise<EntryFailure[]> {
    const sns = await loadSns();
    const client = (this.#clients.sns ??= defaultClients.sns ??= new sns.SNSClient({}));
    const output = await client.send(
      new sns.PublishBatchCommand({
        TopicArn: target.topicArn,
        PublishBatchRequestEntries: batch.map((m, i) => ({
          Id: String(i),
          Message: m.body,
          MessageAttributes: attributesOf(m),
          ...(m.groupId === undefined ? {} : { MessageGroupId: m.groupId }),
          ...(target.fifo ? { MessageDeduplicationId: m.id } : {}),
        })),
      }),
    );
    return failedEntries(output.Failed);
  }

  async #sendEvents(target: EventBusTarget, batch: readonly OutboxMessage[]): Promise<EntryFailure[]> {
    const events = await loadEventBridge();
    const client = (this.#clients.eventBridge ??= defaultClients.eventBridge ??= new events.EventBridgeClient({}));
    const output = await client.send(
      new events.PutEventsCommand({
        Entries: batch.map((m) => ({
          EventBusName: target.eventBusName,
          Source: target.source,
          DetailType: target.detailType,
          Detail: m.body,
        })),
      }),
    );
    const entries = output.Entries ?? [];
    const failures: EntryFailure[] = [];
    batch.forEach((_m, index) => {
      const entry = entries[index];
      // An answer without an entry for a message tells nothing of it: send it again.
      if (entry === undefined) failures.push({ index, code: 'MissingEntry', senderFault: false });
      else if (entry.ErrorCode !== undefined) {
        failures.push({
          index,
          code: entry.ErrorCode,
          message: entry.ErrorMessage,
          senderFault: !RETRYABLE_ENTRY_CODE.test(entry.ErrorCode),
        });
      }
    });
    return failures;
  }
}

/** The failed entries of an SQS or SNS batch answer (their `Id` is the message's index in the batch). */
function failedEntries(
  failed:
    | readonly { Id?: string | undefined; Code?: string | undefined; Message?: string | undefined; SenderFault?: boolean | undefined }[]
    | undefined,
): EntryFailure[] {
  return (failed ?? []).map((f) => ({
    index: Number(f.Id),
    code: f.Code ?? 'Unknown',
    message: f.Message,
    senderFault: f.SenderFault === true,
  }));
}

/** A failed request worth sending again: transient (throttled, 5xx, network), by name or by the SDK's marks. */
function retryableRequestError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return isTransientAwsError(error) || (typeof name === 'string' && RETRYABLE_ENTRY_CODE.test(name));
}

/** For tests: forget the default clients made so far. @internal */
export function resetDefaultClients(): void {
  defaultClients = {};
}

function attributesOf(message: OutboxMessage): Record<string, { DataType: string; StringValue: string }> {
  return { ...message.attributes, [OUTBOX_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: message.id } };
}

/** Messages of one target in request-sized batches: at most 10 entries and 256 KB each, in order. */
export function batches(messages: readonly OutboxMessage[]): OutboxMessage[][] {
  const out: OutboxMessage[][] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    const last = out[out.length - 1];
    if (last === undefined || last.length >= MAX_BATCH_ENTRIES || bytes + size > MAX_MESSAGE_BYTES) {
      out.push([message]);
      bytes = size;
    } else {
      last.push(message);
      bytes += size;
    }
  }
  return out;
}
