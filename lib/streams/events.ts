/**
 * Recognising a stream event, and decoding each kind of record into what the record handler receives.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { decimalValue } from '../json';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { DYNAMODB_EVENT_SOURCE, KAFKA_EVENT_SOURCES, KINESIS_EVENT_SOURCE } from './defaults';
import type {
  DynamoDBImage,
  DynamoDBRecordInfo,
  DynamoDBStreamRecord,
  KafkaHeader,
  KafkaRecord,
  KafkaRecordInfo,
  KinesisRecord,
  KinesisRecordInfo,
  StreamAttributeValue,
} from './types';

/** A Kafka partition of the batch: its records in offset order. */
export interface KafkaPartition {
  /** The key of the partition in the event's `records` (`<topic>-<partition>`). */
  readonly topicPartition: string;
  readonly records: readonly KafkaRecord[];
}

/** A recognised event. */
export type ClassifiedEvent =
  | { readonly kind: 'none' }
  | { readonly kind: 'kinesis'; readonly records: readonly KinesisRecord[] }
  | { readonly kind: 'dynamodb'; readonly records: readonly DynamoDBStreamRecord[] }
  | {
      readonly kind: 'kafka';
      /** What identifies the cluster (see {@link kafkaSource}); `undefined` when the event names none. */
      readonly source: string | undefined;
      readonly partitions: readonly KafkaPartition[];
    };

const EXPECTED = 'processStreamBatch expected a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event';

const OTHER_PROCESSORS: Readonly<Record<string, string>> = { 'aws:sqs': ' (use processSqsBatch for SQS)' };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function malformed(what: string): IdempotencyConfigError {
  return new IdempotencyConfigError(`${EXPECTED}; ${what}`);
}

/**
 * Tells which kind of stream event `event` is and checks the fields the processor relies on (the sequence
 * numbers it reports, the offsets it orders by), so a malformed event fails at once with a clear error
 * rather than half-way through the batch.
 * @throws IdempotencyConfigError for an event of another kind, or a malformed one
 */
export function classifyEvent(event: unknown): ClassifiedEvent {
  if (!isObject(event)) throw malformed(`got ${describe(event)}`);
  if (Array.isArray(event['Records'])) return classifyRecords(event['Records'] as unknown[]);
  if ('Records' in event) {
    throw malformed(
      `got an object whose Records is ${describe(event['Records'])} (expected an array of Kinesis or DynamoDB Streams records)`,
    );
  }
  const eventSource = event['eventSource'];
  if (typeof eventSource === 'string' && (KAFKA_EVENT_SOURCES as readonly string[]).includes(eventSource)) {
    return classifyKafka(event, eventSource);
  }
  const keys = Object.keys(event);
  throw malformed(
    typeof eventSource === 'string'
      ? `got an event whose eventSource is ${JSON.stringify(eventSource)}`
      : `got an object with keys [${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''}], without a Records array (Kinesis, DynamoDB Streams) or a Kafka eventSource (${KAFKA_EVENT_SOURCES.join(', ')})`,
  );
}

function classifyRecords(records: unknown[]): ClassifiedEvent {
  if (records.length === 0) return { kind: 'none' };
  const first = records[0];
  const source = isObject(first) ? first['eventSource'] : undefined;
  if (source !== KINESIS_EVENT_SOURCE && source !== DYNAMODB_EVENT_SOURCE) {
    throw malformed(
      `got records whose eventSource is ${typeof source === 'string' ? JSON.stringify(source) : describe(source)}${
        typeof source === 'string' ? (OTHER_PROCESSORS[source] ?? '') : ''
      }`,
    );
  }
  records.forEach((record, index) => {
    const at = `Records[${index}]`;
    if (!isObject(record) || record['eventSource'] !== source) {
      throw malformed(`${at} is not a record of the same kind as Records[0] (eventSource ${JSON.stringify(source)})`);
    }
    if (source === KINESIS_EVENT_SOURCE) {
      const kinesis = record['kinesis'];
      if (!isObject(kinesis) || typeof kinesis['sequenceNumber'] !== 'string' || typeof kinesis['data'] !== 'string') {
        throw malformed(`${at}.kinesis must hold the record's \`data\` and \`sequenceNumber\` as strings`);
      }
    } else {
      const change = record['dynamodb'];
      if (!isObject(change) || typeof change['SequenceNumber'] !== 'string') {
        throw malformed(`${at}.dynamodb.SequenceNumber must be a string`);
      }
      const eventName = record['eventName'];
      if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
        throw malformed(`${at}.eventName must be INSERT, MODIFY or REMOVE, got ${describe(eventName)}`);
      }
    }
  });
  return source === KINESIS_EVENT_SOURCE
    ? { kind: 'kinesis', records: records as KinesisRecord[] }
    : { kind: 'dynamodb', records: records as DynamoDBStreamRecord[] };
}

/** Accepts an integer given as a number or a decimal string (some example events quote the partition). */
function integerOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function classifyKafka(event: Record<string, unknown>, eventSource: string): ClassifiedEvent {
  const groups = event['records'];
  if (!isObject(groups))
    throw malformed(`a Kafka event's \`records\` must be an object of arrays by topic-partition, got ${describe(groups)}`);
  const partitions = Object.entries(groups).map(([topicPartition, records]): KafkaPartition => {
    if (!Array.isArray(records)) {
      throw malformed(`records[${JSON.stringify(topicPartition)}] must be an array, got ${describe(records)}`);
    }
    const normalised = records.map((record: unknown, index) => {
      const at = `records[${JSON.stringify(topicPartition)}][${index}]`;
      if (!isObject(record) || typeof record['topic'] !== 'string') throw malformed(`${at}.topic must be a string`);
      const partition = integerOf(record['partition']);
      const offset = integerOf(record['offset']);
      if (partition === undefined) throw malformed(`${at}.partition must be a whole number, got ${describe(record['partition'])}`);
      if (offset === undefined) throw malformed(`${at}.offset must be a whole number, got ${describe(record['offset'])}`);
      // The same record, with partition and offset as numbers whichever way the event spelt them.
      return record['partition'] === partition && record['offset'] === offset
        ? (record as unknown as KafkaRecord)
        : ({ ...record, partition, offset } as unknown as KafkaRecord);
    });
    // Stable: records Lambda delivered in offset order stay as they are.
    return { topicPartition, records: [...normalised].sort((a, b) => a.offset - b.offset) };
  });
  return { kind: 'kafka', source: kafkaSource(event, eventSource), partitions };
}

/**
 * What identifies the Kafka cluster an event comes from, for the default operation name: an Amazon MSK
 * cluster's whole ARN (its partition, Region, account, name and UUID: clusters of one name in two accounts or
 * Regions, or a cluster deleted and created again, stay apart), else the cluster's bootstrap servers (a
 * self-managed cluster), each trimmed and in lower case (host names ignore case), without repeats, sorted
 * (the order Lambda lists them in carries no meaning). `undefined` when the event has neither.
 */
function kafkaSource(event: Record<string, unknown>, eventSource: string): string | undefined {
  const arn = event['eventSourceArn'];
  if (eventSource === 'aws:kafka' && typeof arn === 'string' && arn.trim().length > 0) return arn.trim();
  const servers = event['bootstrapServers'];
  if (typeof servers !== 'string') return undefined;
  const list = [...new Set(servers.split(',').map((server) => server.trim().toLowerCase()))].filter((server) => server.length > 0).sort();
  return list.length === 0 ? undefined : list.join(',');
}

/** `<stream name>` of a Kinesis record's ARN. */
export function kinesisSource(record: KinesisRecord): string {
  const match = /:stream\/([^/]+)/.exec(record.eventSourceARN ?? '');
  return match?.[1] ?? 'unknown-stream';
}

/** `<table name>` of a DynamoDB Streams record's ARN. */
export function dynamodbSource(record: DynamoDBStreamRecord): string {
  const match = /:table\/([^/]+)/.exec(record.eventSourceARN ?? '');
  return match?.[1] ?? 'unknown-table';
}

function utf8(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

export function kinesisInfo(record: KinesisRecord, parse: (text: string, record: KinesisRecord) => unknown): KinesisRecordInfo {
  return { data: parse(utf8(record.kinesis.data), record), sequenceNumber: record.kinesis.sequenceNumber };
}

/** The most significant digits a DynamoDB number has. */
const MAX_DYNAMODB_DIGITS = 38;

/**
 * A number of a stream image as the handler receives it. DynamoDB holds up to 38 significant digits, a
 * JavaScript number about 17, so:
 * - a number whose value a `number` holds exactly (`String(Number(text))` is the same decimal: `0.1`, `12.5`,
 *   `1e-7`, integers up to 2^53) is a `number`;
 * - an integer beyond 2^53 is a `bigint` (as `unmarshall` gives it by default), exact;
 * - any other (`0.123456789012345678901`, `12345678901234567890.5`) is a `NumberValue` holding the text
 *   DynamoDB sent, never a rounded `number`.
 * @throws IdempotencyConfigError when `text` is not a number DynamoDB can hold
 */
function convertNumber(text: string): number | bigint | NumberValue {
  const value = typeof text === 'string' ? decimalValue(text) : undefined;
  // The power of ten of the leading digit: DynamoDB numbers lie within 1E-130 and 9.99…E+125 (or are 0).
  const magnitude = value === undefined ? 0 : value.exponent + value.digits.length - 1;
  if (value === undefined || value.digits.length > MAX_DYNAMODB_DIGITS || (value.digits !== '0' && (magnitude > 125 || magnitude < -130))) {
    throw new IdempotencyConfigError(
      `Expected a DynamoDB number (at most 38 significant digits, magnitude within 1E-130 and 1E+126), got N ${typeof text === 'string' ? JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text) : describe(text)}`,
    );
  }
  const n = Number(text);
  const roundTrip = decimalValue(String(n));
  if (value.exponent >= 0 && !Number.isSafeInteger(n)) {
    // Exact, and what unmarshall gives for these by default (and the README promises).
    return BigInt(`${value.negative ? '-' : ''}${value.digits}${'0'.repeat(value.exponent)}`);
  }
  if (
    roundTrip !== undefined &&
    roundTrip.negative === value.negative &&
    roundTrip.digits === value.digits &&
    roundTrip.exponent === value.exponent
  ) {
    return n === 0 ? 0 : n;
  }
  return NumberValue.from(text);
}

/** Plain bytes, as the SDK gives binary attributes it reads from DynamoDB. */
function bytes(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** The stream's JSON attribute value as the SDK's (binary as bytes rather than base64 text). */
function toSdk(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: bytes(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(bytes) };
  if (value.L !== undefined) return { L: value.L.map(toSdk) };
  if (value.M !== undefined) return { M: toSdkMap(value.M) };
  return value;
}

function toSdkMap(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toSdk(value)]));
}

/**
 * An image unmarshalled; `what` names it for the error (`Keys`, `NewImage`, `OldImage` of the record).
 * @throws IdempotencyConfigError for an attribute value that is not DynamoDB JSON (the SDK's error as `cause`)
 */
function image(attributes: Record<string, StreamAttributeValue> | undefined, what: string): DynamoDBImage | undefined {
  if (attributes === undefined) return undefined;
  try {
    return unmarshall(toSdkMap(attributes), { wrapNumbers: convertNumber }) as DynamoDBImage;
  } catch (error) {
    const reason = error instanceof Error ? error.message : describe(error);
    throw new IdempotencyConfigError(`Could not read ${what}: ${reason}`, { cause: error });
  }
}

export function dynamodbInfo(record: DynamoDBStreamRecord): DynamoDBRecordInfo {
  const change = record.dynamodb ?? {};
  const of = `dynamodb.%s of DynamoDB Streams record ${change.SequenceNumber ?? '(no sequence number)'}`;
  return {
    eventName: record.eventName ?? 'MODIFY',
    keys: image(change.Keys, of.replace('%s', 'Keys')) ?? {},
    newImage: image(change.NewImage, of.replace('%s', 'NewImage')),
    oldImage: image(change.OldImage, of.replace('%s', 'OldImage')),
    sequenceNumber: change.SequenceNumber ?? '',
  };
}

/** A header value: an array of bytes as Lambda sends it, or base64 text as some example events show. */
function headerValue(value: unknown): string {
  if (Array.isArray(value)) return Buffer.from(value as number[]).toString('utf8');
  if (typeof value === 'string') return utf8(value);
  return '';
}

export function kafkaInfo(record: KafkaRecord, parse: (text: string, record: KafkaRecord) => unknown): KafkaRecordInfo {
  const headers: KafkaHeader[] = [];
  for (const header of (record.headers as unknown[] | null | undefined) ?? []) {
    if (isObject(header)) for (const [key, value] of Object.entries(header)) headers.push({ key, value: headerValue(value) });
  }
  const key = record.key as string | null | undefined;
  const value = record.value as string | null | undefined;
  return {
    key: typeof key === 'string' ? utf8(key) : undefined,
    value: typeof value === 'string' ? parse(utf8(value), record) : undefined,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    headers,
  };
}
