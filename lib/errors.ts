/**
 * Every error this library throws on purpose extends {@link IdempotencyError}.
 *
 * One class per failure a caller must handle. Each carries the record key (when known), the
 * underlying `cause` (when there is one) and a message that says what the caller can do.
 */

/** Options shared by every idempotency error. */
export interface IdempotencyErrorOptions {
  /** The idempotency record key concerned, when known. */
  readonly key?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/** Base class of every error raised by effectively-once. */
export class IdempotencyError extends Error {
  /** Set literally, so that the name survives a minifying bundler. */
  public override name = 'IdempotencyError';
  /** The idempotency record key concerned, when known. */
  public readonly key: string | undefined;

  public constructor(message: string, options: IdempotencyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.key = options.key;
  }
}

/**
 * Another invocation holds the lease on this key and has not finished yet.
 * What to do: retry after `retryAfterMs` (SQS does so by itself when the record is reported failed),
 * or use `onInProgress: 'wait'`.
 */
export class IdempotencyInProgressError extends IdempotencyError {
  public override name = 'IdempotencyInProgressError';
  /** Milliseconds until the current lease expires; a retry before then meets the same error. */
  public readonly retryAfterMs: number;

  public constructor(message: string, options: IdempotencyErrorOptions & { retryAfterMs: number }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The key was used before with a different payload (the fingerprint differs).
 * What to do: the client reused a key for a different request; use a new key.
 */
export class IdempotencyPayloadMismatchError extends IdempotencyError {
  public override name = 'IdempotencyPayloadMismatchError';
}

/**
 * No idempotency key could be derived from the input (null, undefined, empty or all-null).
 * What to do: fix the `key` selector or the event; or set `onMissingKey: 'run'`.
 */
export class IdempotencyKeyError extends IdempotencyError {
  public override name = 'IdempotencyKeyError';
}

/**
 * The persistence layer failed (throttled, unreachable, misconfigured) and the library's own retries,
 * bounded by the invocation's deadline (or `completionRetrySeconds`), did not get through.
 * What to do: retry the whole invocation. When `workRan` is true the work ran and its outcome was not
 * stored: the record stays held until its lease ends, so a prompt redelivery gets
 * `IdempotencyInProgressError` instead of a second run. Otherwise the record is never held beyond its lease.
 */
export class IdempotencyStoreError extends IdempotencyError {
  public override name = 'IdempotencyStoreError';
  /** Whether the failure was transient (throttling, 5xx, conflict, timeout, network), so a retry may succeed. */
  public readonly retryable: boolean;
  /** Whether the work had already run when the store failed (its outcome was not stored). */
  public readonly workRan: boolean;

  public constructor(message: string, options: IdempotencyErrorOptions & { retryable?: boolean; workRan?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? false;
    this.workRan = options.workRan ?? false;
  }
}

/**
 * This invocation's lease expired and another invocation took the record over: this invocation's
 * result, checkpoints and staged writes were not stored.
 * What to do: nothing; the invocation that holds the lease completes the work. Raise `leaseSeconds`
 * if handlers routinely outlive their lease.
 */
export class IdempotencyLeaseLostError extends IdempotencyError {
  public override name = 'IdempotencyLeaseLostError';
}

/**
 * An option, an event or a handler's response is invalid: options are reported at wrap time; a malformed
 * event (an HTTP event without a path, a FIFO record without a group) or a response the gateway cannot send,
 * when it arrives.
 * What to do: fix the option, the event source or the handler named in the message.
 */
export class IdempotencyConfigError extends IdempotencyError {
  public override name = 'IdempotencyConfigError';
}

/**
 * A step marked `atMostOnce` was started by an earlier attempt that did not finish it, so it may or may
 * not have had its effect. What to do: reconcile by hand (or with the downstream system's idempotency
 * key) and then release the record.
 */
export class IdempotencyStepInterruptedError extends IdempotencyError {
  public override name = 'IdempotencyStepInterruptedError';
  /** The name of the interrupted step. */
  public readonly step: string;

  public constructor(message: string, options: IdempotencyErrorOptions & { step: string }) {
    super(message, options);
    this.step = options.step;
  }
}

/**
 * A condition of one of the writes staged with `commitWith` failed, so nothing was written.
 * What to do: the business rule encoded in that condition rejected the write; handle it as a business error.
 */
export class IdempotencyCommitConditionError extends IdempotencyError {
  public override name = 'IdempotencyCommitConditionError';
  /** Index of the failed item in the staged writes, in the order `commitWith` received them. */
  public readonly itemIndex: number;
  /** The table of the failed item. */
  public readonly tableName: string | undefined;

  public constructor(message: string, options: IdempotencyErrorOptions & { itemIndex: number; tableName: string | undefined }) {
    super(message, options);
    this.itemIndex = options.itemIndex;
    this.tableName = options.tableName;
  }
}

/**
 * The work ran but its result (or a step's result) cannot be stored so that it comes back equal: a class
 * instance without `toJSON`, a circular structure, or (the subclass `IdempotencyResultTooLargeError`) too
 * many bytes. When the execution's effects were all staged with `commitWith`, nothing was committed and
 * the lease was released; otherwise the record keeps a marker, so retries with the same key get this error
 * (marked `replayed: true`) instead of running the work again, until the record expires.
 * What to do: return plain data (or give the class a `toJSON()`), a smaller result, or a reference to data
 * stored elsewhere; `release(...args)` lets the key run again once fixed.
 */
export class IdempotencyResultNotStorableError extends IdempotencyError {
  public override name = 'IdempotencyResultNotStorableError';
  /** Where in the result the value that cannot be stored is, e.g. `$.items[2]` (when known). */
  public readonly path: string | undefined;

  public constructor(message: string, options: IdempotencyErrorOptions & { path?: string } = {}) {
    super(message, options);
    this.path = options.path;
  }
}

/**
 * The result to store is larger than `maxResultBytes`, a step's result does not fit in the record's
 * checkpoints, or the store refused the completion for its size (a DynamoDB transaction holds 4 MB: the
 * compressed result and the staged writes together). See {@link IdempotencyResultNotStorableError} for what
 * happens to the record.
 * What to do: return less (store the payload elsewhere and return a reference), stage fewer writes, or
 * raise `maxResultBytes` (within what the store can write).
 */
export class IdempotencyResultTooLargeError extends IdempotencyResultNotStorableError {
  public override name = 'IdempotencyResultTooLargeError';
  /** Size in bytes of the serialised result (or of the store's write); `NaN` when the store did not say. */
  public readonly bytes: number;
  /** The limit it went beyond (`maxResultBytes`, the checkpoint budget or the store's); `NaN` when unknown. */
  public readonly maxBytes: number;

  public constructor(message: string, options: IdempotencyErrorOptions & { bytes: number; maxBytes: number }) {
    super(message, options);
    this.bytes = options.bytes;
    this.maxBytes = options.maxBytes;
  }
}

/** What an outbox message was refused for (see {@link OutboxMessageError}). */
export type OutboxMessageProblem = 'body' | 'size' | 'attributes' | 'group' | 'delay' | 'id' | 'option' | 'count';

/**
 * `publish(target, message, options)` was given a message its target cannot take (too large, too many or
 * invalid attributes, a FIFO target without `groupId`, `delaySeconds` where the target has no delay, an
 * invalid or repeated `id`). Raised at call time: nothing was staged, nothing is sent.
 * What to do: fix the message or its options as the message says (store a large payload elsewhere and send
 * a reference).
 */
export class OutboxMessageError extends IdempotencyError {
  public override name = 'OutboxMessageError';
  /** What was wrong with the message. */
  public readonly problem: OutboxMessageProblem;
  /** The target: a queue URL, topic ARN or event bus. */
  public readonly target: string;

  public constructor(message: string, options: IdempotencyErrorOptions & { problem: OutboxMessageProblem; target: string }) {
    super(message, options);
    this.problem = options.problem;
    this.target = options.target;
  }
}

/**
 * `step`, `downstreamKey` or `commitWith` was called outside an idempotent execution, or in a mode that
 * refuses it. What to do: call it from inside a function wrapped by `makeIdempotent` or the middleware.
 */
export class IdempotencyContextError extends IdempotencyError {
  public override name = 'IdempotencyContextError';
}

/**
 * A version given to `applyIfNewer` or `newerThan` is not an integer DynamoDB can hold exactly (a fraction,
 * an unsafe or non-finite number, more than 38 digits, an invalid Date, not a decimal integer string), or
 * the version attribute already stored in the item is not a Number.
 * What to do: fix the event or the code that produced `value` (a bad version in a message is a poison
 * message: retrying it meets the same error).
 */
export class IdempotencyVersionError extends IdempotencyError {
  public override name = 'IdempotencyVersionError';
  /** The rejected version, as given (or as stored, for a stored attribute that is not a Number). */
  public readonly value: unknown;

  public constructor(message: string, options: IdempotencyErrorOptions & { value: unknown }) {
    super(message, options);
    this.value = options.value;
  }
}

/**
 * The caller's own `ConditionExpression` of a version-guarded write (`applyIfNewer`) failed while the version
 * guard passed (the item had no version or an older one), so nothing was written. A stale or duplicate
 * version never raises this: it resolves to `{ applied: false }`.
 * What to do: the business rule encoded in the condition rejected the write; handle it as a business error.
 */
export class IdempotencyConditionError extends IdempotencyError {
  public override name = 'IdempotencyConditionError';
  /** The table of the rejected write. */
  public readonly tableName: string;
  /** The item as it was when the condition failed (plain JavaScript values), or `undefined` if absent. */
  public readonly item: Readonly<Record<string, unknown>> | undefined;

  public constructor(
    message: string,
    options: IdempotencyErrorOptions & { tableName: string; item: Readonly<Record<string, unknown>> | undefined },
  ) {
    super(message, options);
    this.tableName = options.tableName;
    this.item = options.item;
  }
}

/** One failed partition of a Kafka batch: the record that failed (later records of the partition did not run). */
export interface KafkaPartitionFailure {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the record that failed. */
  readonly offset: number;
  /** What the record's handler (or `parse`, or the idempotency engine) threw. */
  readonly error: unknown;
}

/**
 * Records of a Kafka batch failed (`processStreamBatch`): each stopped its partition, the other partitions
 * finished, and this error fails the invocation so that Lambda retries the whole batch. `cause` is the first
 * failure's error.
 * What to do: let it propagate out of the Lambda handler. With a `store`, the records that completed are
 * skipped on the retry; without one they run again.
 */
export class StreamBatchError extends IdempotencyError {
  public override name = 'StreamBatchError';
  /** One entry per failed partition, in the order the partitions appear in the event. */
  public readonly failures: readonly KafkaPartitionFailure[];

  public constructor(message: string, options: IdempotencyErrorOptions & { failures: readonly KafkaPartitionFailure[] }) {
    super(message, options);
    this.failures = Object.freeze([...options.failures]);
  }
}
