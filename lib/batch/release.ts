/**
 * The way out of a batch record whose idempotency record is stuck on an interrupted `atMostOnce` step, shared
 * by `releaseSqsRecord` and `releaseStreamRecord`: each finds the record's engine and decodes it as its batch
 * processor does; this deletes the in-progress record, or marks the step done with a result.
 */
import type { RecordResolution } from '../engine';
import { IdempotencyConfigError, IdempotencyKeyError } from '../errors';
import type { BatchEngine } from './items';

/** What to do with an interrupted step instead of deleting the record: mark it done with this result. */
export interface StepResolution {
  /** The name of the step, as passed to `step(...)`. */
  readonly step: string;
  /** The result the step is replayed with. */
  readonly result: unknown;
}

/** How a release function finds and decodes its record. */
export interface ReleaseParts<TArgs extends unknown[]> {
  /** `releaseSqsRecord`, `releaseStreamRecord`: names the function in its errors. */
  readonly caller: string;
  /** `processSqsBatch`, `processStreamBatch`: whose options the caller must pass. */
  readonly processor: string;
  readonly engine: BatchEngine<TArgs> | undefined;
  /** The record and its decoded form, as the batch processor hands them to the engine. */
  decode(): TArgs;
  /** The error message when decoding fails: the record cannot be found then. */
  readonly undecodable: string;
}

/**
 * Deletes the record's in-progress idempotency record, or with `resolution` marks that step done with its
 * result. Fenced like every write: a record whose lease is live is refused with `IdempotencyInProgressError`.
 *
 * @throws IdempotencyConfigError without a store; IdempotencyKeyError when the record cannot be decoded
 */
export async function releaseBatchRecord<TArgs extends unknown[]>(
  parts: ReleaseParts<TArgs>,
  resolution: StepResolution | undefined,
): Promise<RecordResolution> {
  const { engine } = parts;
  if (engine === undefined) {
    throw new IdempotencyConfigError(`${parts.caller} needs the \`store\` option: pass the options ${parts.processor} uses`);
  }
  let args: TArgs;
  try {
    args = parts.decode();
  } catch (error) {
    throw new IdempotencyKeyError(parts.undecodable, { cause: error });
  }
  return engine.resolveRecord(args, resolution === undefined ? undefined : { name: resolution.step, result: resolution.result });
}
