/**
 * The shapes of Lambda's Kinesis, DynamoDB Streams and Kafka (Amazon MSK and self-managed) events and of
 * the stream batch response, declared here so that users of the library need not install
 * `@types/aws-lambda`. They are structurally identical to `@types/aws-lambda`'s `KinesisStreamEvent`,
 * `DynamoDBStreamEvent`, `MSKEvent`, `SelfManagedKafkaEvent` and their records (as far as used), so values
 * of those types are accepted, and handlers annotated with those record types fit
 * (test/types/streams.types.ts checks both directions).
 */
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';

// ---------------------------------------------------------------------------------------------- Kinesis

/** The `kinesis` member of a Kinesis record (`@types/aws-lambda`'s `KinesisStreamRecordPayload`). */
export interface KinesisRecordData {
  /** When Kinesis received the record, in epoch seconds (with milliseconds as decimals). */
  approximateArrivalTimestamp: number;
  /** The record's data, base64 encoded. */
  data: string;
  kinesisSchemaVersion: string;
  partitionKey: string;
  /** The record's position in its shard: a decimal string of up to 129 digits (56 in practice). */
  sequenceNumber: string;
}

/** One record of a Kinesis batch, as Lambda delivers it (`@types/aws-lambda`'s `KinesisStreamRecord`). */
export interface KinesisRecord {
  awsRegion: string;
  /** `<shard id>:<sequence number>`, e.g. `shardId-000000000006:49590338271490256608559692538361571095921575989136588898`. */
  eventID: string;
  eventName: string;
  /** `aws:kinesis`. */
  eventSource: string;
  /** `arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM_NAME`. */
  eventSourceARN: string;
  eventVersion: string;
  invokeIdentityArn: string;
  kinesis: KinesisRecordData;
}

/** The event Lambda passes to a Kinesis consumer (`@types/aws-lambda`'s `KinesisStreamEvent`). */
export interface KinesisEvent {
  Records: KinesisRecord[];
}

// -------------------------------------------------------------------------------------- DynamoDB Streams

interface AttributeValueTypes {
  B: string;
  BOOL: boolean;
  BS: string[];
  L: StreamAttributeValue[];
  M: Record<string, StreamAttributeValue>;
  N: string;
  NS: string[];
  NULL: boolean;
  S: string;
  SS: string[];
}

/**
 * An attribute value in a DynamoDB stream record, exactly one member set (`@types/aws-lambda`'s
 * `AttributeValue`). Binary values (`B`, `BS`) arrive base64 encoded.
 */
export type StreamAttributeValue = {
  [P in keyof AttributeValueTypes]: { [K in P]: AttributeValueTypes[K] } & { [K in Exclude<keyof AttributeValueTypes, P>]?: never };
}[keyof AttributeValueTypes];

/** The `dynamodb` member of a DynamoDB Streams record (`@types/aws-lambda`'s `StreamRecord`). */
export interface DynamoDBStreamChange {
  /** When the change was made, in epoch seconds. */
  ApproximateCreationDateTime?: number | undefined;
  /** The key attributes of the changed item. */
  Keys?: { [key: string]: StreamAttributeValue } | undefined;
  /** The item after the change (stream views `NEW_IMAGE` and `NEW_AND_OLD_IMAGES`; absent on `REMOVE`). */
  NewImage?: { [key: string]: StreamAttributeValue } | undefined;
  /** The item before the change (stream views `OLD_IMAGE` and `NEW_AND_OLD_IMAGES`; absent on `INSERT`). */
  OldImage?: { [key: string]: StreamAttributeValue } | undefined;
  /** The record's position in its shard, a decimal string (about 21 digits). */
  SequenceNumber?: string | undefined;
  SizeBytes?: number | undefined;
  StreamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | undefined;
}

/** One record of a DynamoDB Streams batch (`@types/aws-lambda`'s `DynamoDBRecord`). */
export interface DynamoDBStreamRecord {
  awsRegion?: string | undefined;
  dynamodb?: DynamoDBStreamChange | undefined;
  /** A unique identifier of the change. */
  eventID?: string | undefined;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | undefined;
  /** `aws:dynamodb`. */
  eventSource?: string | undefined;
  /** `arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE_NAME/stream/LABEL`. */
  eventSourceARN?: string | undefined;
  eventVersion?: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as in @types/aws-lambda, so its records fit
  userIdentity?: any;
}

/** The event Lambda passes to a DynamoDB Streams consumer (`@types/aws-lambda`'s `DynamoDBStreamEvent`). */
export interface DynamoDBStreamEvent {
  Records: DynamoDBStreamRecord[];
}

// ------------------------------------------------------------------------------------------------ Kafka

/** One header of a Kafka record: its name and its value's bytes (`@types/aws-lambda`'s `MSKRecordHeader`). */
export interface KafkaRecordHeader {
  [headerKey: string]: number[];
}

/**
 * One record of a Kafka batch, Amazon MSK or self-managed (`@types/aws-lambda`'s `MSKRecord` and
 * `SelfManagedKafkaRecord`). Lambda leaves `key` out for a record without a key and `value` out (or null)
 * for a tombstone; the processor copes with both.
 */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch milliseconds. */
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  /** The record's key, base64 encoded. */
  key: string;
  /** The record's value, base64 encoded. */
  value: string;
  headers: KafkaRecordHeader[];
}

/**
 * The event Lambda passes to a Kafka consumer: `aws:kafka` for Amazon MSK (`@types/aws-lambda`'s
 * `MSKEvent`), `SelfManagedKafka` for a self-managed cluster (`SelfManagedKafkaEvent`; older events say
 * `aws:SelfManagedKafka`). Records are grouped by `<topic>-<partition>`, each group in offset order.
 */
export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka' | 'aws:SelfManagedKafka';
  /** Amazon MSK: `arn:aws:kafka:REGION:ACCOUNT:cluster/CLUSTER_NAME/UUID`. */
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: { [topicPartition: string]: KafkaRecord[] };
}

// -------------------------------------------------------------------------------------------- Together

/** Any event {@link processStreamBatch} takes. */
export type StreamEvent = KinesisEvent | DynamoDBStreamEvent | KafkaEvent;

/** Any record {@link processStreamBatch} hands to a record handler. */
export type StreamRecord = KinesisRecord | DynamoDBStreamRecord | KafkaRecord;

/** A record to deliver again (`@types/aws-lambda`'s `KinesisStreamBatchItemFailure`, `DynamoDBBatchItemFailure`). */
export interface StreamBatchItemFailure {
  /** The sequence number of the failed record: Lambda resumes the shard from it. */
  itemIdentifier: string;
}

/**
 * What a Kinesis or DynamoDB Streams consumer returns with `ReportBatchItemFailures` on
 * (`@types/aws-lambda`'s `KinesisStreamBatchResponse`, `DynamoDBBatchResponse`): at most one failure, the
 * first failed record, from which Lambda resumes the shard. A Kafka batch always returns no failures (a
 * failure throws instead).
 */
export interface StreamBatchResponse {
  batchItemFailures: StreamBatchItemFailure[];
}

/** The part of the Lambda context the processor reads (a Lambda `Context` fits). */
export interface StreamLambdaContext {
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis(): number;
}

// ----------------------------------------------------------------------- What a record handler receives

/** What the record handler (and a `key` function) learns about a Kinesis record besides itself. */
export interface KinesisRecordInfo<TData = unknown> {
  /** The record's data: base64-decoded, read as UTF-8 and parsed by `parse` (JSON by default). */
  readonly data: TData;
  /** The record's sequence number (what `batchItemFailures` reports). */
  readonly sequenceNumber: string;
}

/** An image of a DynamoDB item, unmarshalled to plain JavaScript values. */
export type DynamoDBImage = Record<string, NativeAttributeValue>;

/** What the record handler (and a `key` function) learns about a DynamoDB Streams record besides itself. */
export interface DynamoDBRecordInfo<TImage = DynamoDBImage> {
  /** What happened to the item. */
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /**
   * The item's key attributes, unmarshalled: strings, `number`s (`bigint` beyond 2^53, an exact
   * `NumberValue` for a decimal a `number` cannot hold), `Uint8Array`s for binary, `Set`s for set types.
   */
  readonly keys: DynamoDBImage;
  /** The item after the change, unmarshalled like `keys`; `undefined` on `REMOVE` or when the stream view leaves it out. */
  readonly newImage: TImage | undefined;
  /** The item before the change, unmarshalled like `keys`; `undefined` on `INSERT` or when the stream view leaves it out. */
  readonly oldImage: TImage | undefined;
  /** The record's sequence number (what `batchItemFailures` reports). */
  readonly sequenceNumber: string;
}

/** A header of a Kafka record, decoded. */
export interface KafkaHeader {
  /** The header's name. */
  readonly key: string;
  /** The header's value, read as UTF-8. */
  readonly value: string;
}

/** What the record handler (and a `key` function) learns about a Kafka record besides itself. */
export interface KafkaRecordInfo<TValue = unknown> {
  /** The record's key, base64-decoded and read as UTF-8; `undefined` for a record without a key. */
  readonly key: string | undefined;
  /**
   * The record's value: base64-decoded, read as UTF-8 and parsed by `parse` (JSON by default); `undefined`
   * for a record without a value (a tombstone), which is not parsed.
   */
  readonly value: TValue;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** The record's headers in their order, decoded. */
  readonly headers: readonly KafkaHeader[];
}

/** Processes one record. Throwing (or rejecting) fails the record: see {@link processStreamBatch}. */
export type StreamRecordHandler<TRecord, TInfo, TResult = unknown> = (record: TRecord, info: TInfo) => Promise<TResult> | TResult;
