/** `processSqsBatch`: SQS batches (standard and FIFO) with partial batch responses and idempotent records. */
export { processSqsBatch } from './process';
export { releaseSqsRecord, type StepResolution } from './release';
export type { SqsBatchOptions, SqsVisibilityOptions, SqsRecordHandler, SqsRecordInfo, SqsIdempotencyArgs, FifoOnFailure } from './options';
export type {
  SqsEvent,
  SqsRecord,
  SqsRecordAttributes,
  SqsMessageAttribute,
  SqsBatchResponse,
  SqsBatchItemFailure,
  SqsLambdaContext,
  SqsClientLike,
} from './types';
export {
  DEFAULT_SQS_CONCURRENCY,
  DEFAULT_FIFO_ON_FAILURE,
  DEFAULT_VISIBILITY_EXTEND_BY_SECONDS,
  DEFAULT_VISIBILITY_EXTEND_WHEN_REMAINING_SECONDS,
} from './defaults';
