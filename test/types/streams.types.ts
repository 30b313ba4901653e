/* eslint-disable @typescript-eslint/no-unused-vars -- values here exist to be inspected by the type checker */
/**
 * Type tests of processStreamBatch, checked by `npm run typecheck` (tsc): @types/aws-lambda's events and
 * records fit ours and ours fit theirs (so handlers annotated with either compile), and the handler's record
 * and info are inferred from the event, an annotated handler or an annotated `parse`.
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

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}
function accepts<T>(_value: T): void {}

declare const kinesis: KinesisStreamEvent;
declare const dynamodb: AwsDynamoDBStreamEvent;
declare const msk: MSKEvent;
declare const selfManaged: SelfManagedKafkaEvent;

// @types/aws-lambda's events fit ours, and the records and context go both ways.
accepts<KinesisEvent>(kinesis);
accepts<DynamoDBStreamEvent>(dynamodb);
accepts<KafkaEvent>(msk);
accepts<KafkaEvent>(selfManaged);
accepts<KinesisStreamRecord>({} as KinesisRecord);
accepts<KinesisRecord>({} as KinesisStreamRecord);
accepts<DynamoDBRecord>({});
accepts<DynamoDBStreamRecord>({});
accepts<MSKRecord>({} as KafkaRecord);
accepts<KafkaRecord>({} as MSKRecord);
accepts<SelfManagedKafkaRecord>({} as KafkaRecord);
accepts<StreamLambdaContext>({} as Context);

// The response is a Kinesis and a DynamoDB batch response.
accepts<KinesisStreamBatchResponse>({} as StreamBatchResponse);
accepts<DynamoDBBatchResponse>({} as StreamBatchResponse);

// The record and info of each kind are inferred from the event.
const store = new InMemoryStore();
void processStreamBatch(kinesis, (record, info) => {
  expectType<Equals<typeof record, KinesisRecord>>();
  expectType<Equals<typeof info, KinesisRecordInfo<unknown>>>();
});
void processStreamBatch(dynamodb, (record, info) => {
  expectType<Equals<typeof record, DynamoDBStreamRecord>>();
  expectType<Equals<typeof info.newImage, DynamoDBImage | undefined>>();
});
void processStreamBatch(
  msk,
  (record, info) => {
    expectType<Equals<typeof record, KafkaRecord>>();
    expectType<Equals<typeof info.value, unknown>>();
  },
  { store, key: (record, { value }) => `${record.topic}:${String(value)}` },
);

// The payload type comes from an annotated handler, or from a `parse` whose parameter is annotated.
interface Order {
  orderId: string;
}
void processStreamBatch(kinesis, (_record, { data }: KinesisRecordInfo<Order>) => {
  expectType<Equals<typeof data, Order>>();
});
void processStreamBatch(
  msk,
  (_record, { value }) => {
    expectType<Equals<typeof value, string[]>>();
  },
  { parse: (text: string) => [text] },
);
void processStreamBatch(dynamodb, (_record, { newImage }: DynamoDBRecordInfo<Order>) => {
  expectType<Equals<typeof newImage, Order | undefined>>();
});

// Handlers annotated with @types/aws-lambda's records are accepted.
void processStreamBatch(kinesis, (record: KinesisStreamRecord) => record.kinesis.partitionKey);
void processStreamBatch(dynamodb, (record: DynamoDBRecord) => record.eventID);
void processStreamBatch(msk, (record: MSKRecord, info: KafkaRecordInfo) => `${record.topic}${info.offset}`);

// A wrong annotation does not compile: a Kinesis handler is not a DynamoDB stream handler.
// @ts-expect-error -- a DynamoDB stream event's records are not Kinesis records
void processStreamBatch(dynamodb, (record: KinesisStreamRecord) => record.kinesis.partitionKey);
