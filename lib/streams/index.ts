/** Stream batches: Kinesis, DynamoDB Streams and Kafka (Amazon MSK and self-managed). */
export { processStreamBatch } from './process';
export { releaseStreamRecord } from './release';
export { DEFAULT_KAFKA_CONCURRENCY } from './defaults';
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
