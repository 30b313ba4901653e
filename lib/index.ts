/**
 * effectively-once: each logical event has its effect once, however often Lambda, SQS or a client
 * delivers it.
 *
 * The root holds what a handler author writes and annotates with: the wrappers, the effects inside the work,
 * the options, the stores and the errors. Each adapter has its own entry: `effectively-once/sqs`,
 * `effectively-once/streams`, `effectively-once/http`, `effectively-once/guards` and `effectively-once/metrics`;
 * store authors use `effectively-once/store`, tests `effectively-once/testing`.
 * `effectively-once/outbox` holds the transactional outbox and `effectively-once/valkey` the Valkey store.
 * @module effectively-once
 */
export { makeIdempotent, type IdempotentFunction } from './make-idempotent';
export { idempotent, type IdempotentMethodDecorator } from './decorator';
export { idempotencyMiddleware, type IdempotencyMiddleware } from './middleware';
export { step, downstreamKey, commitWith } from './effects';
export type { StepOptions, RecordResolution } from './engine';
export type { IdempotencyOptions, IdempotencyLogger, ReplayInfo } from './options';
export type { IdempotencyMetricsSink } from './metrics/types';
export type { Selector } from './selectors/compile';
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
  type IdempotencyErrorOptions,
} from './errors';
