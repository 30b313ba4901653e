/** Where an outbox message goes: an SQS queue, an SNS topic or an EventBridge bus, as plain data. */
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';

/** An SQS queue (standard or FIFO: a URL ending in `.fifo`). Made by {@link sqsQueue}. */
export interface SqsQueueTarget {
  readonly kind: 'sqs';
  readonly queueUrl: string;
  readonly fifo: boolean;
}

/** An SNS topic (standard or FIFO: an ARN ending in `.fifo`). Made by {@link snsTopic}. */
export interface SnsTopicTarget {
  readonly kind: 'sns';
  readonly topicArn: string;
  readonly fifo: boolean;
}

/** An EventBridge event bus with the `source` and `detail-type` of its events. Made by {@link eventBus}. */
export interface EventBusTarget {
  readonly kind: 'eventbridge';
  /** The bus name or ARN. */
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
}

/** A destination of `publish`. */
export type OutboxTarget = SqsQueueTarget | SnsTopicTarget | EventBusTarget;

/** The `source` and `detail-type` of the events {@link eventBus} publishes. */
export interface EventBusOptions {
  /** The events' `source` (e.g. `'orders'`). */
  readonly source: string;
  /** The events' `detail-type` (e.g. `'OrderAccepted'`). */
  readonly detailType: string;
}

const SQS_QUEUE_URL = /^https?:\/\/[^/\s]+\/[^/\s]+\/[A-Za-z0-9_-]{1,75}(\.fifo)?$/;
const SNS_TOPIC_ARN = /^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const EVENT_BUS = /^(arn:[a-z-]+:events:[a-z0-9-]+:\d{12}:event-bus\/)?[A-Za-z0-9._\-/]{1,256}$/;

/**
 * An SQS queue as a `publish` target. A queue URL ending in `.fifo` is a FIFO queue: its messages need a
 * `groupId` and carry their id as `MessageDeduplicationId`.
 * @param queueUrl the queue's URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`)
 * @throws IdempotencyConfigError when `queueUrl` is not a queue URL
 */
export function sqsQueue(queueUrl: string): SqsQueueTarget {
  if (typeof queueUrl !== 'string' || !SQS_QUEUE_URL.test(queueUrl)) {
    throw new IdempotencyConfigError(
      `Expected \`queueUrl\` of sqsQueue to be an SQS queue URL (https://HOST/ACCOUNT/NAME), got ${describe(queueUrl)}`,
    );
  }
  return Object.freeze({ kind: 'sqs', queueUrl, fifo: queueUrl.endsWith('.fifo') });
}

/**
 * An SNS topic as a `publish` target. A topic ARN ending in `.fifo` is a FIFO topic: its messages need a
 * `groupId` and carry their id as `MessageDeduplicationId`.
 * @param topicArn the topic's ARN
 * @throws IdempotencyConfigError when `topicArn` is not an SNS topic ARN
 */
export function snsTopic(topicArn: string): SnsTopicTarget {
  if (typeof topicArn !== 'string' || !SNS_TOPIC_ARN.test(topicArn)) {
    throw new IdempotencyConfigError(
      `Expected \`topicArn\` of snsTopic to be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got ${describe(topicArn)}`,
    );
  }
  return Object.freeze({ kind: 'sns', topicArn, fifo: topicArn.endsWith('.fifo') });
}

/**
 * An EventBridge event bus as a `publish` target: each message becomes one event with this `source` and
 * `detailType`, whose `detail` is the message (a JSON object) with `outboxMessageId` added.
 * @param busNameOrArn the bus name (`'default'`) or ARN
 * @throws IdempotencyConfigError when the name, `source` or `detailType` is invalid
 */
export function eventBus(busNameOrArn: string, options: EventBusOptions): EventBusTarget {
  if (typeof busNameOrArn !== 'string' || !EVENT_BUS.test(busNameOrArn)) {
    throw new IdempotencyConfigError(`Expected the bus of eventBus to be an event bus name or ARN, got ${describe(busNameOrArn)}`);
  }
  const { source, detailType } = (options ?? {}) as Partial<EventBusOptions>;
  for (const [name, value] of [
    ['source', source],
    ['detailType', detailType],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
      throw new IdempotencyConfigError(`Expected \`${name}\` of eventBus to be a string of 1 to 256 characters, got ${describe(value)}`);
    }
  }
  return Object.freeze({ kind: 'eventbridge', eventBusName: busNameOrArn, source: source as string, detailType: detailType as string });
}

/** The target's name in messages: its queue URL, topic ARN or bus. */
export function targetName(target: OutboxTarget): string {
  switch (target.kind) {
    case 'sqs':
      return target.queueUrl;
    case 'sns':
      return target.topicArn;
    default:
      return target.eventBusName;
  }
}

/** Whether `value` is a target made by {@link sqsQueue}, {@link snsTopic} or {@link eventBus}. */
export function isTarget(value: unknown): value is OutboxTarget {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'sqs' || kind === 'sns' || kind === 'eventbridge';
}
