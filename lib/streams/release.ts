import { releaseBatchRecord, type StepResolution } from '../batch/release';
import type { RecordResolution } from '../engine';
import { IdempotencyConfigError } from '../errors';
import { classifyEvent, dynamodbInfo, dynamodbSource, kafkaInfo, kinesisInfo, kinesisSource } from './events';
import { resolvedStreamOptions, type AnyStreamBatchOptions, type StreamArgs, type StreamKind } from './options';
import type { DynamoDBStreamRecord, KafkaRecord, KinesisRecord, StreamEvent, StreamRecord } from './types';

/**
 * The way out of a stream record whose idempotency record is stuck on an interrupted `atMostOnce` step:
 * with the event it arrived in and the same options as `processStreamBatch`, deletes the record's
 * in-progress idempotency record so the next delivery runs afresh, or with `resolution` marks that step
 * done with a result so the next delivery replays it and goes on. Fenced like every write: a record whose
 * lease is live is refused with `IdempotencyInProgressError`; a completed record is left alone.
 */
export async function releaseStreamRecord(
  event: StreamEvent,
  record: StreamRecord,
  options: AnyStreamBatchOptions,
  resolution?: StepResolution,
): Promise<RecordResolution> {
  const prepared = resolvedStreamOptions(options);
  const batch = classifyEvent(event);
  let kind: StreamKind;
  let source: string | undefined;
  let decode: () => unknown;
  switch (batch.kind) {
    case 'kinesis':
      if (!batch.records.includes(record as KinesisRecord)) throw notInEvent();
      kind = 'kinesis';
      source = kinesisSource(record as KinesisRecord);
      decode = () => kinesisInfo(record as KinesisRecord, prepared.parse);
      break;
    case 'dynamodb':
      if (!batch.records.includes(record as DynamoDBStreamRecord)) throw notInEvent();
      kind = 'dynamodb';
      source = dynamodbSource(record as DynamoDBStreamRecord);
      decode = () => dynamodbInfo(record as DynamoDBStreamRecord);
      break;
    case 'kafka':
      if (!batch.partitions.some((partition) => partition.records.includes(record as KafkaRecord))) throw notInEvent();
      kind = 'kafka';
      source = batch.source;
      decode = () => kafkaInfo(record as KafkaRecord, prepared.parse);
      break;
    case 'none':
      throw new IdempotencyConfigError('releaseStreamRecord got an event with no records');
  }
  return releaseBatchRecord(
    {
      caller: 'releaseStreamRecord',
      processor: 'processStreamBatch',
      engine: prepared.engineFor(kind, source),
      decode: (): StreamArgs => [record, decode()],
      undecodable: 'Could not decode the stream record, so its idempotency record cannot be found',
    },
    resolution,
  );
}

function notInEvent(): IdempotencyConfigError {
  return new IdempotencyConfigError('releaseStreamRecord: `record` must be one of the records of `event` (the same object)');
}
