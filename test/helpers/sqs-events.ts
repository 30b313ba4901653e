/**
 * Factories for SQS events exactly as Lambda's SQS event source delivers them, modelled on the examples in
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (standard and FIFO queues).
 *
 *   sqsEvent([sqsRecord({ body: '{"id":1}' }), sqsRecord({ body: '{"id":2}' })])
 *   sqsEvent([fifoRecord('group-a', 'dedup-1', 1, 'first'), fifoRecord('group-a', 'dedup-2', 2, 'second')])
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

export { createLambdaContext as lambdaContext } from '../../lib/testing';

/** Region of the records built here, as in AWS's example. */
export const EXAMPLE_REGION = 'us-east-2';
/** Queue ARN of the standard-queue records built here (AWS's example queue). */
export const EXAMPLE_QUEUE_ARN = `arn:aws:sqs:${EXAMPLE_REGION}:123456789012:my-queue`;
/** Queue ARN of the FIFO records built here. */
export const EXAMPLE_FIFO_QUEUE_ARN = `arn:aws:sqs:${EXAMPLE_REGION}:123456789012:fifo.fifo`;
/** SenderId of the records built here (AWS's example). */
export const EXAMPLE_SENDER_ID = 'AIDAIENQZJOLO23YVJ4VO';
/** SentTimestamp of the records built here (AWS's example). */
export const EXAMPLE_SENT_TIMESTAMP = '1545082649183';

/** Overrides of {@link sqsRecord}: any field; `attributes` is merged into the defaults. */
export type SqsRecordOverrides = Partial<Omit<SQSRecord, 'attributes'>> & {
  attributes?: Partial<SQSRecordAttributes>;
};

/** MD5 hex digest of a message body, as SQS computes `md5OfBody`. */
export function md5(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * One record of a standard queue, as Lambda delivers it. Defaults: a new random `messageId` and
 * `receiptHandle`, body `Test message.`, `ApproximateReceiveCount` `1`, no message attributes,
 * `md5OfBody` computed from the body.
 */
export function sqsRecord(overrides: SqsRecordOverrides = {}): SQSRecord {
  const { attributes, ...rest } = overrides;
  const body = rest.body ?? 'Test message.';
  const messageId = rest.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `AQEB${Buffer.from(`${messageId}#${randomUUID()}`).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: EXAMPLE_SENT_TIMESTAMP,
      SenderId: EXAMPLE_SENDER_ID,
      ApproximateFirstReceiveTimestamp: String(Number(EXAMPLE_SENT_TIMESTAMP) + 2),
      ...attributes,
    },
    messageAttributes: {},
    md5OfBody: md5(body),
    eventSource: 'aws:sqs',
    eventSourceARN: EXAMPLE_QUEUE_ARN,
    awsRegion: EXAMPLE_REGION,
    ...rest,
  };
}

/**
 * One record of a FIFO queue: `MessageGroupId`, `MessageDeduplicationId` and `SequenceNumber` (as given,
 * stringified) set, ARN of a `.fifo` queue.
 */
export function fifoRecord(
  group: string,
  dedupId: string,
  seq: number | bigint | string,
  body: string,
  overrides: SqsRecordOverrides = {},
): SQSRecord {
  return sqsRecord({
    eventSourceARN: EXAMPLE_FIFO_QUEUE_ARN,
    ...overrides,
    body,
    attributes: {
      SequenceNumber: String(seq),
      MessageGroupId: group,
      MessageDeduplicationId: dedupId,
      ...overrides.attributes,
    },
  });
}

/** The event Lambda passes to the handler for a batch of records. */
export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A message attribute in Lambda's shape (`stringValue` or `binaryValue`, empty list fields, `dataType`). */
export function messageAttribute(dataType: 'String' | 'Number', value: string): SQSMessageAttribute;
export function messageAttribute(dataType: 'Binary', value: Buffer): SQSMessageAttribute;
export function messageAttribute(dataType: 'String' | 'Number' | 'Binary', value: string | Buffer): SQSMessageAttribute {
  return dataType === 'Binary'
    ? { binaryValue: Buffer.from(value).toString('base64'), stringListValues: [], binaryListValues: [], dataType }
    : { stringValue: String(value), stringListValues: [], binaryListValues: [], dataType };
}
