import { releaseBatchRecord, type StepResolution } from '../batch/release';
import type { RecordResolution } from '../engine';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { resolvedSqsOptions, type SqsBatchOptions, type SqsIdempotencyArgs } from './options';
import { sqsRecordInfo, sqsRecordSource } from './record';
import type { SqsRecord } from './types';

export type { StepResolution } from '../batch/release';

/**
 * The way out of an SQS message whose record is stuck on an interrupted `atMostOnce` step: with the same
 * options as `processSqsBatch` (same `store`, `key`, `name`, `parse`), deletes the message's in-progress
 * record so the next delivery runs afresh, or with `resolution` marks that step done with a result so the
 * next delivery replays it and goes on. Fenced like every write (it takes the record over first), so it
 * refuses a record whose lease is live with `IdempotencyInProgressError`. A completed record is left alone.
 *
 * ```ts
 * // After checking with the bank that the transfer of this message did happen:
 * await releaseSqsRecord(record, options, { step: 'transfer', result: { transferId } });
 * ```
 */
export async function releaseSqsRecord<TBody = unknown>(
  record: SqsRecord,
  options: SqsBatchOptions<TBody>,
  resolution?: StepResolution,
): Promise<RecordResolution> {
  if (record === null || typeof record !== 'object' || typeof record.eventSourceARN !== 'string' || typeof record.body !== 'string') {
    throw new IdempotencyConfigError(`Expected an SQS record (with eventSourceARN and body), got ${describe(record)}`);
  }
  const prepared = resolvedSqsOptions(options as unknown as SqsBatchOptions<unknown>);
  return releaseBatchRecord(
    {
      caller: 'releaseSqsRecord',
      processor: 'processSqsBatch',
      engine: prepared.engineFor(sqsRecordSource(record)),
      decode: (): SqsIdempotencyArgs<unknown> => [record, sqsRecordInfo(record, prepared.parse(record.body, record))],
      undecodable: `Could not parse the body of SQS message ${record.messageId}, so its record cannot be found`,
    },
    resolution,
  );
}
