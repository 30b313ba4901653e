/**
 * effectively-once: each logical event has its effect once, however often Lambda, SQS or a client
 * delivers it.
 * @packageDocumentation
 */
export { makeIdempotent, type IdempotentFunction } from './make-idempotent';
export { idempotencyMiddleware, type IdempotencyMiddleware, type MiddyRequest } from './middleware';
export { step, downstreamKey, commitWith } from './effects';
export type { StepOptions, RecordResolution } from './engine';
export type { IdempotencyOptions, IdempotencyLogger } from './options';
export type { Selector } from './keys';
export {
  processSqsBatch,
  releaseSqsRecord,
  type StepResolution,
  DEFAULT_SQS_CONCURRENCY,
  DEFAULT_FIFO_ON_FAILURE,
  DEFAULT_VISIBILITY_EXTEND_BY_SECONDS,
  DEFAULT_VISIBILITY_EXTEND_WHEN_REMAINING_SECONDS,
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
  DEFAULT_KAFKA_CONCURRENCY,
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
  DEFAULT_IDEMPOTENCY_KEY_HEADER,
  DEFAULT_KEY_REQUIRED_METHODS,
  DEFAULT_PROBLEM_TYPE_BASE,
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
export { applyIfNewer, newerThan, DEFAULT_VERSION_ATTRIBUTE } from './guards';
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
export {
  RecordStatus,
  type IdempotencyStore,
  type IdempotencyRecord,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type CheckpointInput,
  type LeaseExtension,
  type StepCheckpoint,
  type StagedWrite,
  type OutcomeKind,
} from './persistence/store';
export {
  DEFAULT_EXPIRES_AFTER_SECONDS,
  DEFAULT_LEASE_SECONDS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_LOCAL_CACHE_MAX_ITEMS,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_COMPLETION_RETRY_SECONDS,
} from './defaults';
export { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR, IDEMPOTENCY_TABLE_NAME_ENV } from './persistence/schema';
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
