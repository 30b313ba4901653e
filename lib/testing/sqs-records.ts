/**
 * Pure converters of the local event source: SDK messages to the records, events and contexts Lambda
 * builds, queue URLs to ARNs, and handler results to the records to delete. No I/O here.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { TestKitConfigError } from './errors';
import { createLambdaContext, DEFAULT_ACCOUNT_ID, DEFAULT_LAMBDA_REGION } from './lambda-context';
import type { InvocationTarget } from './lambda-types';

export type { InvocationTarget } from './lambda-types';

/**
 * How a handler result settles its batch: the message ids of the records that failed (the others are
 * deleted), or `ok: false` when the whole batch failed.
 */
export type BatchOutcome = { readonly ok: true; readonly failed: ReadonlySet<string> } | { readonly ok: false };

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
    throw new TestKitConfigError(`Expected \`queueUrl\` to end with /ACCOUNT_ID/QUEUE_NAME, got \`${queueUrl}\``);
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

/** The event Lambda invokes its function with for one received batch. */
export function toSqsEvent(messages: readonly Message[], target: Pick<InvocationTarget, 'eventSourceArn' | 'region'>): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, target.eventSourceArn, target.region)) };
}

/** A fresh context for one invocation of the target function (in the queue's account). */
export function invocationContext(target: InvocationTarget): Context {
  const accountId = target.eventSourceArn.split(':')[4] ?? DEFAULT_ACCOUNT_ID;
  return createLambdaContext({
    functionName: target.functionName,
    timeoutMs: target.timeoutMs,
    region: target.region,
    accountId,
  });
}

/**
 * Reads a handler result the way Lambda does with `ReportBatchItemFailures`: no result, no
 * `batchItemFailures` or an empty list means success; each entry must name a record of the batch by its
 * `itemIdentifier` (the message id), else the whole batch fails.
 */
export function interpretBatchResponse(result: unknown, messageIds: ReadonlySet<string>): BatchOutcome {
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

/** The records of a batch to delete: none when it failed as a whole, else those not reported failed. */
export function recordsToDelete(records: readonly SQSRecord[], outcome: BatchOutcome): SQSRecord[] {
  return outcome.ok ? records.filter((record) => !outcome.failed.has(record.messageId)) : [];
}
