/**
 * The public types of processStreamBatch: @types/aws-lambda's events and records fit ours and ours fit
 * theirs (so handlers annotated with either compile), and the handler's info is inferred from the event.
 * These are compile-time checks: the file fails `tsc` (and ts-jest) when one breaks.
 */
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent as AwsDynamoDBStreamEvent,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
  MSKEvent,
  MSKRecord,
  SelfManagedKafkaEvent,
  SelfManagedKafkaRecord,
} from 'aws-lambda';
import { InMemoryStore } from '../../lib/persistence/memory';
import {
  processStreamBatch,
  type DynamoDBImage,
  type DynamoDBRecordInfo,
  type DynamoDBStreamEvent,
  type DynamoDBStreamRecord,
  type KafkaEvent,
  type KafkaRecord,
  type KafkaRecordInfo,
  type KinesisEvent,
  type KinesisRecord,
  type KinesisRecordInfo,
  type StreamBatchResponse,
  type StreamLambdaContext,
} from '../../lib/streams';
import { dynamodbEvent, dynamodbRecord, kafkaRecords, kinesisEvent, kinesisRecords, mskEvent } from '../helpers/stream-events';

/** Compiles only when `T` is exactly `U`. */
type Equal<T, U> = (<V>() => V extends T ? 1 : 2) extends <V>() => V extends U ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}
function accepts<T>(_value: T): void {}

describe('public stream types', () => {
  it("accept @types/aws-lambda's events, and ours fit theirs", () => {
    const kinesis: KinesisStreamEvent = kinesisEvent([]);
    const dynamodb: AwsDynamoDBStreamEvent = dynamodbEvent([]);
    const msk: MSKEvent = mskEvent([]);
    accepts<KinesisEvent>(kinesis);
    accepts<DynamoDBStreamEvent>(dynamodb);
    accepts<KafkaEvent>(msk);
    accepts<KafkaEvent>({ eventSource: 'SelfManagedKafka', bootstrapServers: '', records: {} } satisfies SelfManagedKafkaEvent);
    accepts<KinesisStreamRecord>({} as KinesisRecord);
    accepts<KinesisRecord>({} as KinesisStreamRecord);
    accepts<DynamoDBRecord>({} as DynamoDBStreamRecord);
    accepts<DynamoDBStreamRecord>({} as DynamoDBRecord);
    accepts<MSKRecord>({} as KafkaRecord);
    accepts<KafkaRecord>({} as MSKRecord);
    accepts<SelfManagedKafkaRecord>({} as KafkaRecord);
    accepts<StreamLambdaContext>({} as Context);
  });

  it('return a response that is a Kinesis and a DynamoDB batch response', () => {
    accepts<KinesisStreamBatchResponse>({} as StreamBatchResponse);
    accepts<DynamoDBBatchResponse>({} as StreamBatchResponse);
  });

  it('infer the record and info of each kind from the event', async () => {
    const store = new InMemoryStore();
    await processStreamBatch(kinesisEvent(kinesisRecords([1])), (_record, _info) => {
      assertType<Equal<typeof _record, KinesisRecord>>();
      assertType<Equal<typeof _info, KinesisRecordInfo<unknown>>>();
    });
    await processStreamBatch(dynamodbEvent([dynamodbRecord({ eventName: 'INSERT', keys: { id: 't' } })]), (_record, _info) => {
      assertType<Equal<typeof _record, DynamoDBStreamRecord>>();
      assertType<Equal<typeof _info.newImage, DynamoDBImage | undefined>>();
    });
    await processStreamBatch(
      mskEvent(kafkaRecords('t', 0, [1])),
      (_record, _info) => {
        assertType<Equal<typeof _record, KafkaRecord>>();
        assertType<Equal<typeof _info.value, unknown>>();
      },
      { store, key: (record, { value }) => `${record.topic}:${String(value)}` },
    );
  });

  it('take the payload type from an annotated handler, or from a `parse` whose parameter is annotated', async () => {
    interface Order {
      orderId: string;
    }
    await processStreamBatch(kinesisEvent(kinesisRecords([{ orderId: 'a' }])), (_record, { data: _data }: KinesisRecordInfo<Order>) => {
      assertType<Equal<typeof _data, Order>>();
    });
    await processStreamBatch(
      mskEvent(kafkaRecords('t', 0, ['x'])),
      (_record, { value: _value }) => {
        assertType<Equal<typeof _value, string[]>>();
      },
      { parse: (text: string) => [text] },
    );
    await processStreamBatch(
      dynamodbEvent([dynamodbRecord({ eventName: 'INSERT', keys: { orderId: 'a' }, newImage: { orderId: 'a' } })]),
      (_record, { newImage: _newImage }: DynamoDBRecordInfo<Order>) => {
        assertType<Equal<typeof _newImage, Order | undefined>>();
      },
    );
  });

  it("accept handlers annotated with @types/aws-lambda's records", async () => {
    await processStreamBatch(kinesisEvent([]), (record: KinesisStreamRecord) => record.kinesis.partitionKey);
    await processStreamBatch(dynamodbEvent([]), (record: DynamoDBRecord) => record.eventID);
    await processStreamBatch(mskEvent([]), (record: MSKRecord, info: KafkaRecordInfo) => `${record.topic}${info.offset}`);
  });
});
