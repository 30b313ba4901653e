/**
 * The shapes of Lambda's SQS event and batch response, declared here so that users of the library need
 * not install `@types/aws-lambda`. They are structurally identical to `@types/aws-lambda`'s `SQSEvent`,
 * `SQSRecord`, `SQSBatchResponse` and `Context` (as far as used), so values of those types are accepted and
 * returned as they are (test/types/sqs.types.ts checks both directions).
 */

/** System attributes of an SQS record (`@types/aws-lambda`'s `SQSRecordAttributes`). */
export interface SqsRecordAttributes {
  AWSTraceHeader?: string | undefined;
  /** How many times the message was received, this delivery included (a decimal string). */
  ApproximateReceiveCount: string;
  SentTimestamp: string;
  SenderId: string;
  ApproximateFirstReceiveTimestamp: string;
  /** FIFO queues: the message's position in its group. */
  SequenceNumber?: string | undefined;
  /** FIFO queues: the group whose messages are delivered in order (fair standard queues also set it). */
  MessageGroupId?: string | undefined;
  /** FIFO queues: the token SQS deduplicates on within five minutes. */
  MessageDeduplicationId?: string | undefined;
  DeadLetterQueueSourceArn?: string | undefined;
}

/** A message attribute (`@types/aws-lambda`'s `SQSMessageAttribute`). */
export interface SqsMessageAttribute {
  stringValue?: string | undefined;
  binaryValue?: string | undefined;
  stringListValues?: string[] | undefined;
  binaryListValues?: string[] | undefined;
  dataType: string;
}

/** One message of the batch, as Lambda delivers it (`@types/aws-lambda`'s `SQSRecord`). */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: SqsRecordAttributes;
  messageAttributes: { [name: string]: SqsMessageAttribute };
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: string;
  /** `arn:aws:sqs:REGION:ACCOUNT:QUEUE_NAME`; FIFO queue names end in `.fifo`. */
  eventSourceARN: string;
  awsRegion: string;
}

/** The event Lambda passes to an SQS consumer (`@types/aws-lambda`'s `SQSEvent`). */
export interface SqsEvent {
  Records: SqsRecord[];
}

/** A record to deliver again (`@types/aws-lambda`'s `SQSBatchItemFailure`). */
export interface SqsBatchItemFailure {
  /** The `messageId` of the failed record. */
  itemIdentifier: string;
}

/**
 * What an SQS consumer returns with `ReportBatchItemFailures` on (`@types/aws-lambda`'s `SQSBatchResponse`):
 * the records to deliver again; the others are deleted.
 */
export interface SqsBatchResponse {
  batchItemFailures: SqsBatchItemFailure[];
}

/** The part of the Lambda context the processor reads (a Lambda `Context` fits). */
export interface SqsLambdaContext {
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis(): number;
}

/**
 * Anything with an AWS SDK v3 `send` method: pass your `SQSClient` (from `@aws-sdk/client-sqs`). The
 * processor only sends `ChangeMessageVisibilityBatchCommand`s through it.
 */
export interface SqsClientLike {
  send(command: never): Promise<unknown>;
}

/** The queue a record came from, as its `eventSourceARN` names it. */
export interface SqsRecordSource {
  readonly queueArn: string;
  readonly queueName: string;
  /** Whether the queue is a FIFO queue (its name ends in `.fifo`). */
  readonly fifo: boolean;
}
