/**
 * The persistence layer: what a store must do for the engine. The engine holds every rule (keys, leases,
 * expiry, replays, ambiguity); a store performs conditional writes and reports what it found.
 *
 * To write another store, implement {@link IdempotencyStore} with these guarantees:
 * - every write is conditional exactly as documented on its method (atomic compare-and-set);
 * - a record whose `expiresAt` (epoch seconds) is in the past counts as absent;
 * - a failed condition returns (or throws with) the record as it is, so the engine needs no extra read.
 */
import type { OutboxMessage } from '../outbox/message';

/** Status of an idempotency record, as stored. */
export const RecordStatus = {
  /** Claimed: an invocation holds (or held) the lease and has not stored a result. */
  InProgress: 'INPROGRESS',
  /** The result is stored and is replayed until the record expires. */
  Completed: 'COMPLETED',
} as const;
/** Status of an idempotency record, as stored. */
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** Whether a stored outcome is a returned value or a cached error (see `cacheErrors`). */
export type OutcomeKind = 'value' | 'error';

/** A step checkpoint stored under its execution's record. */
export interface StepCheckpoint {
  /**
   * `started`: an `atMostOnce` step began and has not finished; `done`: its result is stored;
   * `unstorable`: the step ran but its result could not be stored (`reason` says why), so it never runs again.
   */
  readonly state: 'started' | 'done' | 'unstorable';
  /** Serialised result of a finished step. */
  readonly result?: string;
  /** Why an `unstorable` step's result was not stored. */
  readonly reason?: string;
}

/** An idempotency record as a store returns it. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly status: RecordStatus;
  /** Lease token of the invocation that claimed (or completed) the record. */
  readonly token: string;
  /** Epoch seconds after which the record counts as absent (the table's TTL). */
  readonly expiresAt: number;
  /** Epoch milliseconds at which the lease of an in-progress record ends (0 once released). */
  readonly leaseUntil: number;
  /** Hash of the payload fields that must match on replay, when configured. */
  readonly fingerprint?: string;
  /** Serialised outcome of a completed record. */
  readonly result?: string;
  /** Kind of a completed record's outcome. */
  readonly outcome?: OutcomeKind;
  /** Step checkpoints of the current execution, by step name. */
  readonly steps: Readonly<Record<string, StepCheckpoint>>;
  /**
   * The Lambda durable execution (its ARN) that claimed the record, when it was claimed inside one: every
   * invocation of that execution owns the record, whatever its lease.
   */
  readonly owner?: string;
}

/**
 * A business write staged with `commitWith`, in the shape of one `TransactItems` entry of
 * `@aws-sdk/lib-dynamodb`'s `TransactWriteCommand` (plain JavaScript values).
 */
export type StagedWrite = Record<string, unknown>;

/** Input of {@link IdempotencyStore.claim}. */
export interface ClaimInput {
  readonly key: string;
  readonly token: string;
  readonly leaseUntil: number;
  readonly expiresAt: number;
  readonly fingerprint?: string;
  /**
   * The Lambda durable execution (its ARN) claiming the record, when the claim is made inside one. Stored
   * with the record; a take-over by the same owner succeeds while the lease is live (a resumed execution).
   */
  readonly owner?: string;
  /**
   * The time against which the store compares leases and expiry, epoch milliseconds: the engine's clock
   * less its `clockSkewMs` margin, so that a record counts as expired (or a lease as ended) only when it
   * is so on every invoker's clock.
   */
  readonly now: number;
}

/** Result of a claim or take-over: either this invocation holds the lease, or the record that stopped it. */
export type ClaimResult =
  | { readonly claimed: true; readonly steps: Readonly<Record<string, StepCheckpoint>> }
  | { readonly claimed: false; readonly existing: IdempotencyRecord };

/** Input of {@link IdempotencyStore.checkpoint}. */
/** What {@link IdempotencyStore.commitWrites} commits. */
export interface CommitWritesInput {
  /** Names the invocation in errors and logs (its record key when it has one). */
  readonly label: string;
  readonly writes: readonly StagedWrite[];
  /** Outbox messages to commit with the writes (only to a store with `supportsOutbox`). */
  readonly messages?: readonly OutboxMessage[];
}

export interface CheckpointInput {
  readonly key: string;
  readonly token: string;
  /** The step's name. */
  readonly step: string;
  readonly checkpoint: StepCheckpoint;
}

/** Input of {@link IdempotencyStore.extendLease}. */
export interface LeaseExtension {
  readonly key: string;
  readonly token: string;
  /** New end of the lease, epoch milliseconds. */
  readonly leaseUntil: number;
  /** New expiry of the record, epoch seconds: never earlier than the one stored, and beyond `leaseUntil`. */
  readonly expiresAt: number;
}

/** Input of {@link IdempotencyStore.complete} and {@link IdempotencyStore.putCompleted}. */
export interface CompleteInput {
  readonly key: string;
  readonly token: string;
  readonly result: string;
  readonly outcome: OutcomeKind;
  readonly expiresAt: number;
  readonly fingerprint?: string;
  /** Business writes to commit atomically with the record. */
  readonly writes: readonly StagedWrite[];
  /**
   * Outbox messages staged with `publish`, committed in the same atomic operation as the record (only given
   * to a store with `supportsOutbox`).
   */
  readonly messages?: readonly OutboxMessage[];
  /** Current time, epoch milliseconds. */
  readonly now: number;
}

/**
 * The sizes a store can write, in bytes, as it declares them. The engine refuses at wrap time a
 * `maxResultBytes` above `maxResultBytes` here, checkpoints steps within `maxCheckpointBytes`, and refuses a
 * `commitWith` item above `maxStagedWriteBytes` (or staged writes above `maxCommitBytes` together) when it is
 * staged. A store that cannot write a completion for its size after all throws
 * `IdempotencyResultTooLargeError` from `complete` / `putCompleted`, writing nothing.
 */
export interface StoreLimits {
  /**
   * Largest serialised result (UTF-8 bytes of the text the engine hands over, before any compression) that
   * the store can always write in one completion with no staged writes, whatever the result's content.
   */
  readonly maxResultBytes?: number;
  /** Largest total of serialised step results (UTF-8 bytes) that one record holds. */
  readonly maxCheckpointBytes?: number;
  /** Largest single staged write (`commitWith` item), as the store counts an item's size. */
  readonly maxStagedWriteBytes?: number;
  /** Largest total of one completion's atomic write: the record, its result and the staged writes. */
  readonly maxCommitBytes?: number;
}

/** The contract between the engine and a persistence layer. */
export interface IdempotencyStore {
  /**
   * Optional: what the store can hold (see {@link StoreLimits}). A store without it is taken to hold
   * any size the engine allows.
   */
  readonly limits?: StoreLimits;

  /**
   * ONE conditional write that creates an in-progress record with a fresh token, on the condition that
   * no record exists or the existing one has expired (`expiresAt` in the past). On a failed condition it
   * returns the existing record (never an extra read).
   */
  claim(input: ClaimInput): Promise<ClaimResult>;

  /**
   * Takes over an in-progress record whose lease ended, or whose `owner` is the input's `owner` (the same
   * durable execution, resumed): sets the new token, lease and owner (removing the owner when the input has
   * none), keeps the step checkpoints. Conditional on the record still holding `previousToken`, in progress
   * and live, with its lease ended at `now` or its owner equal to the input's.
   */
  takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult>;

  /** Stores a step checkpoint; conditional on `token`. Throws `IdempotencyLeaseLostError` otherwise. */
  checkpoint(input: CheckpointInput): Promise<void>;

  /**
   * Extends the lease and the record's expiry with it (a record must never expire while its lease runs);
   * conditional on `token`. Throws `IdempotencyLeaseLostError` otherwise.
   */
  extendLease(input: LeaseExtension): Promise<void>;

  /**
   * Marks the record completed with its result (and commits `writes` in the same atomic operation);
   * conditional on `token` AND the record being in progress. When the condition fails on the record
   * already completed with this same token (an earlier attempt of this call was applied and its answer
   * lost), it succeeds without writing: the engine retries completions whose outcome is unknown, and the
   * staged writes must apply once. Throws `IdempotencyLeaseLostError` when another token holds the
   * record, `IdempotencyCommitConditionError` when a staged write's own condition fails. Transient
   * failures throw `IdempotencyStoreError` with `retryable: true`.
   */
  complete(input: CompleteInput): Promise<void>;

  /**
   * Optimistic mode: writes a completed record (and `writes`) in one operation, on the condition that no
   * live record exists. On a failed condition returns the existing record and writes nothing.
   */
  putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }>;

  /**
   * Releases the lease after a failure, conditional on `token` AND the record being in progress: deletes
   * the record, or with `keepCheckpoints` keeps it (and its steps) with the lease ended so a retry takes it
   * over at once. A record already gone, or completed with this token, is left as it is (a completed
   * record is never released). Throws `IdempotencyLeaseLostError` when another token holds it.
   */
  release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void>;

  /** Strongly consistent read; an expired record is reported as absent. */
  get(key: string, now: number): Promise<IdempotencyRecord | undefined>;

  /**
   * Optional: why this store cannot commit `commitWith` writes at all (no transaction spans it and
   * DynamoDB). When set, `commitWith` throws `IdempotencyConfigError` naming it at the call, before the work
   * goes on; the execution then fails and its record is released, never stored as done.
   */
  readonly stagedWritesRefusal?: string;

  /**
   * Optional: commits `commitWith` writes alone, in one transaction, with no idempotency record. Used only
   * for invocations that `EFFECTIVELY_ONCE_DISABLED=true` runs without idempotency; a store without it
   * refuses `commitWith` there.
   */
  commitWrites?(input: CommitWritesInput): Promise<void>;

  /**
   * Optional: `true` when `complete`, `putCompleted` (and `commitWrites`) commit the input's `messages` in
   * the same atomic operation as the rest, where a relay publishes them from. `publish` refuses with
   * `IdempotencyConfigError` on a store without it.
   */
  readonly supportsOutbox?: boolean;
}
