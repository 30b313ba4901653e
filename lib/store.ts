/**
 * `effectively-once/store`: the contract a persistence layer implements, for authors of stores. Users of the
 * library need none of it beyond `IdempotencyStore` (also at the root). See docs/writing-a-store.md.
 * @module effectively-once/store
 */
export {
  RecordStatus,
  type IdempotencyStore,
  type IdempotencyRecord,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type CheckpointInput,
  type CommitWritesInput,
  type LeaseExtension,
  type StepCheckpoint,
  type StagedWrite,
  type StoreLimits,
  type OutcomeKind,
} from './persistence/store';
export {
  IdempotencyStoreError,
  IdempotencyLeaseLostError,
  IdempotencyCommitConditionError,
  IdempotencyResultTooLargeError,
} from './errors';
