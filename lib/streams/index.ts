/**
 * `effectively-once/streams`: `processStreamBatch` for Kinesis, DynamoDB Streams and Kafka (Amazon MSK and
 * self-managed) batches, and `releaseStreamRecord`.
 * @module effectively-once/streams
 */
export { processStreamBatch } from './process';
export { releaseStreamRecord } from './release';
export { StreamBatchError, type KafkaPartitionFailure } from '../errors';
export type { StreamKind, StreamBatchOptionsBase, KinesisBatchOptions, DynamoDBStreamBatchOptions, KafkaBatchOptions } from './options';
export type {
  KinesisEvent,
  KinesisRecord,
  KinesisRecordData,
  KinesisRecordInfo,
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  DynamoDBStreamChange,
  DynamoDBRecordInfo,
  DynamoDBImage,
  StreamAttributeValue,
  KafkaEvent,
  KafkaRecord,
  KafkaRecordHeader,
  KafkaRecordInfo,
  KafkaHeader,
  StreamEvent,
  StreamRecord,
  StreamRecordHandler,
  StreamBatchResponse,
  StreamBatchItemFailure,
  StreamLambdaContext,
} from './types';
