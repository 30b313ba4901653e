/**
 * effectively-once: each logical event has its effect once, however often Lambda, SQS or a client
 * delivers it.
 * @module effectively-once
 */
export { makeIdempotent, type IdempotentFunction } from './make-idempotent';
export { idempotent, type IdempotentMethodDecorator } from './decorator';
export { idempotencyMiddleware, type IdempotencyMiddleware } from './middleware';
export { step, downstreamKey, commitWith } from './effects';
export type { StepOptions, RecordResolution } from './engine';
export type { IdempotencyOptions, IdempotencyLogger, ReplayInfo } from './options';
export {
  emfMetrics,
  powertoolsMetrics,
  type EmfMetricsOptions,
  type EmfWriter,
  type PowertoolsMetricsLike,
  type IdempotencyMetric,
  type IdempotencyMetricName,
  type IdempotencyMetricsSink,
} from './metrics';
export type { Selector } from './keys';
export {
  processSqsBatch,
  releaseSqsRecord,
  type StepResolution,
  type SqsBatchOptions,
  type SqsVisibilityOptions,
  type SqsRecordHandler,
  type SqsRecordInfo,
  type SqsIdempotencyArgs,
  type FifoOnFailure,
  type SqsEvent,
  type SqsRecord,
  type SqsRecordAttributes,
  type SqsMessageAttribute,
  type SqsBatchResponse,
  type SqsBatchItemFailure,
  type SqsLambdaContext,
  type SqsClientLike,
} from './sqs';
export {
  processStreamBatch,
  releaseStreamRecord,
  type StreamKind,
  type StreamBatchOptionsBase,
  type KinesisBatchOptions,
  type DynamoDBStreamBatchOptions,
  type KafkaBatchOptions,
  type KinesisEvent,
  type KinesisRecord,
  type KinesisRecordData,
  type KinesisRecordInfo,
  type DynamoDBStreamEvent,
  type DynamoDBStreamRecord,
  type DynamoDBStreamChange,
  type DynamoDBRecordInfo,
  type DynamoDBImage,
  type StreamAttributeValue,
  type KafkaEvent,
  type KafkaRecord,
  type KafkaRecordHeader,
  type KafkaRecordInfo,
  type KafkaHeader,
  type StreamEvent,
  type StreamRecord,
  type StreamRecordHandler,
  type StreamBatchResponse,
  type StreamBatchItemFailure,
  type StreamLambdaContext,
} from './streams';
export {
  makeIdempotentHttpHandler,
  httpFingerprint,
  httpScope,
  HttpProblem,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENT_REPLAYED_HEADER,
  ANONYMOUS_SCOPE,
  PROBLEM_CONTENT_TYPE,
  type IdempotentHttpOptions,
  type ProblemDetails,
  type HttpEvent,
  type RestApiHttpEvent,
  type HttpApiHttpEvent,
  type HttpRequestHeaders,
  type HttpRequestMultiValueHeaders,
  type HttpStructuredResponse,
} from './http';
export { applyIfNewer, newerThan } from './guards';
export type {
  ApplyIfNewerInput,
  ApplyIfNewerResult,
  VersionGuardInput,
  GuardVersion,
  GuardReturnValues,
  GuardedWriteApplied,
  GuardedWriteSkipped,
  GuardedTransactItem,
  GuardedTransactUpdate,
} from './guards';
export { DynamoDBStore, type DynamoDBStoreOptions } from './persistence/dynamodb';
export { InMemoryStore } from './persistence/memory';
// What users annotate with; the rest of the store contract is in `effectively-once/store`.
export type { IdempotencyStore, StagedWrite } from './persistence/store';
export { IDEMPOTENCY_TABLE_NAME_ENV } from './persistence/schema';
export {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyKeyError,
  IdempotencyStoreError,
  IdempotencyLeaseLostError,
  IdempotencyConfigError,
  IdempotencyStepInterruptedError,
  IdempotencyCommitConditionError,
  IdempotencyResultTooLargeError,
  IdempotencyResultNotStorableError,
  IdempotencyContextError,
  IdempotencyVersionError,
  IdempotencyConditionError,
  StreamBatchError,
  type KafkaPartitionFailure,
  type IdempotencyErrorOptions,
} from './errors';
