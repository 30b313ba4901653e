/**
 * Factories for stream events exactly as Lambda delivers them, modelled on the example events of AWS's Lambda
 * guide: Kinesis (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html), DynamoDB Streams
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), Amazon MSK
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html) and self-managed Apache Kafka
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html).
 *
 *   kinesisEvent(kinesisRecords([{ orderId: 1 }, { orderId: 2 }]))
 *   dynamodbEvent([dynamodbRecord({ eventName: 'INSERT', keys: { id: 'a' }, newImage: { id: 'a', total: 3 } })])
 *   mskEvent([kafkaRecord({ topic: 'orders', partition: 0, offset: 15, value: { orderId: 1 } })])
 */
import { randomUUID } from 'node:crypto';
import { marshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type {
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
  MSKEvent,
  MSKRecord,
  SelfManagedKafkaEvent,
  AttributeValue as StreamAttributeValue,
} from 'aws-lambda';

export { createLambdaContext as lambdaContext } from '../../lib/testing';

/** Region of the records built here, as in AWS's examples. */
export const EXAMPLE_REGION = 'us-east-2';
/** Account of the ARNs built here. */
export const EXAMPLE_ACCOUNT = '123456789012';
/** Stream of the Kinesis records built here (AWS's example stream). */
export const EXAMPLE_STREAM_NAME = 'lambda-stream';
/** Shard of the Kinesis records built here (AWS's example shard). */
export const EXAMPLE_SHARD_ID = 'shardId-000000000006';
/** Sequence number of AWS's example Kinesis record: the first one {@link kinesisRecords} hands out. */
export const EXAMPLE_KINESIS_SEQUENCE = 49590338271490256608559692538361571095921575989136588898n;
/** Table of the DynamoDB Streams records built here (AWS's example table). */
export const EXAMPLE_TABLE_NAME = 'my-table';
/** First sequence number {@link dynamodbRecord} hands out (a 22-digit number, as DynamoDB Streams gives). */
export const EXAMPLE_DYNAMODB_SEQUENCE = 1100000000017454423009n;
/** Amazon MSK cluster of the Kafka events built here (AWS's example cluster). */
export const EXAMPLE_MSK_CLUSTER = 'ExampleMSKCluster';
/** `bootstrapServers` of the Kafka events built here (AWS's example). */
export const EXAMPLE_BOOTSTRAP_SERVERS =
  'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092';
/** Epoch milliseconds of AWS's example Kafka record. */
export const EXAMPLE_KAFKA_TIMESTAMP = 1545084650987;

/** A payload: text as it is, bytes as they are, anything else as JSON. */
export type Payload = string | Uint8Array | Record<string, unknown> | unknown[] | number | boolean | null;

function bytesOf(payload: Payload): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Base64 of a payload (see {@link Payload}). */
export function base64(payload: Payload): string {
  return bytesOf(payload).toString('base64');
}

// ---------------------------------------------------------------------------------------------- Kinesis

/** ARN of a Kinesis stream. */
export function kinesisStreamArn(streamName = EXAMPLE_STREAM_NAME): string {
  return `arn:aws:kinesis:${EXAMPLE_REGION}:${EXAMPLE_ACCOUNT}:stream/${streamName}`;
}

/** Fields of {@link kinesisRecord}. */
export interface KinesisRecordFields {
  /** The record's data. */
  readonly data: Payload;
  /** @default EXAMPLE_KINESIS_SEQUENCE */
  readonly sequenceNumber?: bigint | string;
  /** @default '1' (AWS's example) */
  readonly partitionKey?: string;
  /** @default EXAMPLE_SHARD_ID */
  readonly shardId?: string;
  /** @default EXAMPLE_STREAM_NAME */
  readonly streamName?: string;
}

/** One Kinesis record, as Lambda delivers it (AWS's example record with the given data and position). */
export function kinesisRecord(fields: KinesisRecordFields): KinesisStreamRecord {
  const sequenceNumber = String(fields.sequenceNumber ?? EXAMPLE_KINESIS_SEQUENCE);
  const shardId = fields.shardId ?? EXAMPLE_SHARD_ID;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: fields.partitionKey ?? '1',
      sequenceNumber,
      data: base64(fields.data),
      approximateArrivalTimestamp: 1545084650.987,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${EXAMPLE_ACCOUNT}:role/lambda-role`,
    awsRegion: EXAMPLE_REGION,
    eventSourceARN: kinesisStreamArn(fields.streamName),
  };
}

/**
 * Consecutive records of one shard carrying `data` in order, with growing sequence numbers from `first`
 * (as Kinesis assigns them: far apart, always increasing).
 */
export function kinesisRecords(
  data: readonly Payload[],
  options: { readonly first?: bigint; readonly shardId?: string; readonly streamName?: string; readonly partitionKey?: string } = {},
): KinesisStreamRecord[] {
  const first = options.first ?? EXAMPLE_KINESIS_SEQUENCE;
  return data.map((item, i) =>
    kinesisRecord({
      data: item,
      sequenceNumber: first + BigInt(i) * 2564141053402933965934476854153n,
      ...(options.shardId === undefined ? {} : { shardId: options.shardId }),
      ...(options.streamName === undefined ? {} : { streamName: options.streamName }),
      ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
    }),
  );
}

/** The event Lambda passes to a Kinesis consumer. */
export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

// -------------------------------------------------------------------------------------- DynamoDB Streams

/** ARN of a DynamoDB table's stream. */
export function dynamodbStreamArn(tableName = EXAMPLE_TABLE_NAME): string {
  return `arn:aws:dynamodb:${EXAMPLE_REGION}:${EXAMPLE_ACCOUNT}:table/${tableName}/stream/2024-06-10T19:26:16.525`;
}

/** An item as it appears in a stream record: DynamoDB JSON, binary values base64 encoded. */
export function streamImage(item: Record<string, NativeAttributeValue>): Record<string, StreamAttributeValue> {
  const marshalled = marshall(item, { removeUndefinedValues: true });
  const json = JSON.stringify(marshalled, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
  );
  return JSON.parse(json) as Record<string, StreamAttributeValue>;
}

/** Fields of {@link dynamodbRecord}. */
export interface DynamoDBRecordFields {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The item's key attributes, as plain values. */
  readonly keys: Record<string, NativeAttributeValue>;
  /** The item after the change (left out on REMOVE by DynamoDB). */
  readonly newImage?: Record<string, NativeAttributeValue>;
  /** The item before the change (absent on INSERT). */
  readonly oldImage?: Record<string, NativeAttributeValue>;
  /** @default - the next of a counter starting at EXAMPLE_DYNAMODB_SEQUENCE */
  readonly sequenceNumber?: bigint | string;
  /** @default - a new random 32-hex-digit id, as DynamoDB gives */
  readonly eventID?: string;
  /** @default EXAMPLE_TABLE_NAME */
  readonly tableName?: string;
}

let dynamodbSequence = EXAMPLE_DYNAMODB_SEQUENCE;

/** One DynamoDB Streams record (view NEW_AND_OLD_IMAGES), as Lambda delivers it. */
export function dynamodbRecord(fields: DynamoDBRecordFields): DynamoDBRecord {
  let sequenceNumber = fields.sequenceNumber;
  if (sequenceNumber === undefined) {
    sequenceNumber = dynamodbSequence;
    dynamodbSequence += 100n;
  }
  const images = { ...fields.keys, ...fields.newImage, ...fields.oldImage };
  return {
    eventID: fields.eventID ?? randomUUID().replace(/-/g, ''),
    eventName: fields.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: EXAMPLE_REGION,
    dynamodb: {
      ApproximateCreationDateTime: 1693997155,
      Keys: streamImage(fields.keys),
      ...(fields.newImage === undefined ? {} : { NewImage: streamImage(fields.newImage) }),
      ...(fields.oldImage === undefined ? {} : { OldImage: streamImage(fields.oldImage) }),
      SequenceNumber: String(sequenceNumber),
      SizeBytes: Buffer.byteLength(JSON.stringify(images, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: dynamodbStreamArn(fields.tableName),
  };
}

/** The event Lambda passes to a DynamoDB Streams consumer. */
export function dynamodbEvent(records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

// ------------------------------------------------------------------------------------------------ Kafka

/** UUID part of the ARNs of the MSK clusters built here (AWS's example). */
export const EXAMPLE_MSK_CLUSTER_UUID = 'e9f754c6-d29a-4430-a7db-958a19fd2c54-4';

/** Where an MSK cluster lives: {@link mskClusterArn}'s parts besides its name. */
export interface MskClusterPlace {
  /** @default EXAMPLE_REGION */
  readonly region?: string;
  /** @default EXAMPLE_ACCOUNT */
  readonly account?: string;
  /** @default EXAMPLE_MSK_CLUSTER_UUID */
  readonly uuid?: string;
}

/** ARN of an Amazon MSK cluster: `arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID`. */
export function mskClusterArn(clusterName = EXAMPLE_MSK_CLUSTER, place: MskClusterPlace = {}): string {
  return `arn:aws:kafka:${place.region ?? EXAMPLE_REGION}:${place.account ?? EXAMPLE_ACCOUNT}:cluster/${clusterName}/${place.uuid ?? EXAMPLE_MSK_CLUSTER_UUID}`;
}

/** Fields of {@link kafkaRecord}. */
export interface KafkaRecordFields {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's value; `undefined` leaves it out (a tombstone). */
  readonly value: Payload | undefined;
  /** The record's key; `undefined` leaves it out, as Lambda does for a record without a key. */
  readonly key?: Payload;
  /** Headers by name, values as text; in this order. */
  readonly headers?: readonly (readonly [string, string])[];
  /** @default EXAMPLE_KAFKA_TIMESTAMP */
  readonly timestamp?: number;
}

/** One Kafka record, as Lambda delivers it (key and value base64, header values as arrays of bytes). */
export function kafkaRecord(fields: KafkaRecordFields): MSKRecord {
  const record = {
    topic: fields.topic,
    partition: fields.partition,
    offset: fields.offset,
    timestamp: fields.timestamp ?? EXAMPLE_KAFKA_TIMESTAMP,
    timestampType: 'CREATE_TIME' as const,
    ...(fields.key === undefined ? {} : { key: base64(fields.key) }),
    ...(fields.value === undefined ? {} : { value: base64(fields.value) }),
    headers: (fields.headers ?? []).map(([name, text]) => ({ [name]: [...Buffer.from(text, 'utf8')] })),
  };
  // Lambda omits `key` and `value` when Kafka has none; @types/aws-lambda declares them always present.
  return record as MSKRecord;
}

/**
 * Consecutive records of one partition from offset `first`, whose values are `values` as JSON (a string
 * value becomes a JSON string).
 */
export function kafkaRecords(topic: string, partition: number, values: readonly unknown[], first = 0): MSKRecord[] {
  return values.map((value, i) => kafkaRecord({ topic, partition, offset: first + i, value: JSON.stringify(value) }));
}

function byTopicPartition(records: readonly MSKRecord[]): Record<string, MSKRecord[]> {
  const groups: Record<string, MSKRecord[]> = {};
  for (const record of records) (groups[`${record.topic}-${record.partition}`] ??= []).push(record);
  return groups;
}

/** The event Lambda passes to a consumer of an Amazon MSK topic: records grouped by topic-partition. */
export function mskEvent(records: readonly MSKRecord[], clusterName = EXAMPLE_MSK_CLUSTER, place: MskClusterPlace = {}): MSKEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: mskClusterArn(clusterName, place),
    bootstrapServers: EXAMPLE_BOOTSTRAP_SERVERS,
    records: byTopicPartition(records),
  };
}

/**
 * The event Lambda passes to a consumer of a self-managed Kafka topic; `bootstrapServers` as the event source
 * mapping lists them (comma-separated `host:port`).
 */
export function selfManagedKafkaEvent(records: readonly MSKRecord[], bootstrapServers = EXAMPLE_BOOTSTRAP_SERVERS): SelfManagedKafkaEvent {
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: byTopicPartition(records) };
}
