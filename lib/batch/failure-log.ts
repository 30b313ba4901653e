/**
 * The one place a batch processor says why a record failed or did not run. Every source names its records
 * its own way (`SQS message …`, `Kinesis record …`) and says what a failure leads to (reported failed, the
 * shard stops there); the reasons, their levels and their wording are the same for all.
 */
import { IdempotencyInProgressError, IdempotencyLeaseLostError } from '../errors';
import type { IdempotencyLogger } from '../logger';

/** Why a record failed or was not run. */
export type FailureCause =
  /** The record's body or data could not be decoded. */
  | 'parse'
  /** Its idempotency key could not be derived. */
  | 'key'
  /** Its fingerprint could not be derived (optimistic mode). */
  | 'fingerprint'
  /** The source refused it before anything ran (an SQS FIFO message without a message group). */
  | 'refused'
  /** It ran (or met the engine) and failed. */
  | 'run'
  /** An earlier record of the batch with the same idempotency key did not complete. */
  | 'same-key'
  /** An earlier record of its lane (FIFO message group, shard, partition) failed. */
  | 'lane'
  /** An earlier record failed and the batch stops (SQS FIFO `fifoOnFailure: 'stop'`). */
  | 'stopped';

/** How a source speaks of its records in the failure log. */
export interface FailureWording {
  /** What the source calls its records: `message` (SQS) or `record`. */
  readonly noun: string;
  /** How the record at `index` is named: `SQS message 1f0…`, `Kafka record orders-0@15`. */
  name(index: number): string;
  /** What `cause` leads to for the record at `index`: `reported failed`, `its partition stops there`. */
  then(index: number, cause: FailureCause): string;
  /** How the lane of the record at `index` is named in a `lane` line (`its group a`). */
  lane(index: number): string;
}

/** One failure to log. */
export interface RecordFailure {
  readonly cause: FailureCause;
  /** The error the record fails with (for `same-key`: the earlier record's, when it failed). */
  readonly error?: unknown;
  /** `refused`: what the source found wrong, after the record's name. */
  readonly detail?: string;
}

/** Logs why the record at `index` failed: expected under retries (another invocation holds it) as a warning. */
export function logRecordFailure(logger: IdempotencyLogger, wording: FailureWording, index: number, failure: RecordFailure): void {
  const name = wording.name(index);
  const then = wording.then(index, failure.cause);
  const { error } = failure;
  const extra = error === undefined ? [] : [error];
  switch (failure.cause) {
    case 'parse':
      return logger.error(`${name} could not be parsed; ${then}`, ...extra);
    case 'key':
      return logger.error(`${name}: its idempotency key could not be derived; ${then}`, ...extra);
    case 'fingerprint':
      return logger.error(`${name}: its idempotency fingerprint could not be derived; ${then}`, ...extra);
    case 'refused':
      return logger.error(`${name} ${failure.detail ?? 'was refused'}; ${then}`, ...extra);
    case 'same-key':
      return logger.warn(
        `${name} was not processed because an earlier ${wording.noun} of this batch with the same idempotency key failed; ${then}`,
      );
    case 'lane':
      return logger.warn(`${name} was not processed because an earlier ${wording.noun} of ${wording.lane(index)} failed; ${then}`);
    case 'stopped':
      return logger.warn(`${name} was not processed because an earlier ${wording.noun} failed; ${then}`);
    case 'run':
      if (error instanceof IdempotencyInProgressError) {
        return logger.warn(`${name} is being processed by another invocation (its lease ends in ${error.retryAfterMs} ms); ${then}`, error);
      }
      if (error instanceof IdempotencyLeaseLostError) {
        return logger.warn(`${name} lost its idempotency lease to another invocation, which completes it; ${then}`, error);
      }
      return logger.error(`${name} failed; ${then}`, ...extra);
  }
}
