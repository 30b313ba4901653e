/**
 * `effectively-once/sqs`: `processSqsBatch`, SQS batches (standard and FIFO) with partial batch responses and
 * idempotent records, and `releaseSqsRecord`, the way out of a stuck record.
 * @module effectively-once/sqs
 */
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
