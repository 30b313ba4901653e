import type { FailureWording } from '../batch/failure-log';
import { prepareItem, type BatchItem, type RecordParts } from '../batch/items';
import { runBatch, type BatchRun, type RecordOutcome } from '../batch/runtime';
import { checkContext } from '../batch/validate';
import { IdempotencyConfigError, StreamBatchError, type KafkaPartitionFailure } from '../errors';
import { describe } from '../describe';
import { classifyEvent, dynamodbInfo, dynamodbSource, kafkaInfo, kinesisInfo, kinesisSource, type KafkaPartition } from './events';
import {
  resolvedStreamOptions,
  type AnyStreamBatchOptions,
  type DynamoDBStreamBatchOptions,
  type KafkaBatchOptions,
  type KinesisBatchOptions,
  type ResolvedStreamOptions,
  type StreamArgs,
} from './options';
import type {
  DynamoDBImage,
  DynamoDBRecordInfo,
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  KafkaEvent,
  KafkaRecord,
  KafkaRecordInfo,
  KinesisEvent,
  KinesisRecord,
  KinesisRecordInfo,
  StreamBatchResponse,
  StreamEvent,
  StreamRecord,
  StreamRecordHandler,
} from './types';

/** Records of a shard or partition claimed in one request, ahead of running them. */
const CLAIM_AHEAD = 25;

/**
 * Processes a batch of a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event, record by
 * record, through the idempotency engine when `store` is given.
 *
 * ```ts
 * const options = { store: new DynamoDBStore({ tableName: 'idempotency' }) };
 * export const handler = (event: KinesisEvent, context: Context) =>
 *   processStreamBatch(event, async (record, { data }) => apply(data), { ...options, context });
 * ```
 *
 * - The handler's second argument holds the decoded record: `{ data, sequenceNumber }` for Kinesis (data
 *   base64-decoded and parsed); `{ eventName, keys, newImage, oldImage, sequenceNumber }` for DynamoDB Streams
 *   (unmarshalled); `{ key, value, topic, partition, offset, timestamp, headers }` for Kafka (decoded, value
 *   parsed).
 * - Kinesis and DynamoDB Streams: records run one at a time, in order. At the first failure (the handler or
 *   `parse` throws, or the record is in progress elsewhere) the processor stops and returns
 *   `{ batchItemFailures: [{ itemIdentifier: <that record's sequence number> }] }`; later records do not
 *   run, and Lambda resumes the shard from the failed record. The event source mapping must have
 *   `ReportBatchItemFailures` on: without it Lambda reads the response as success and moves on.
 * - Kafka: partitions run concurrently (up to `concurrency`), each one record at a time in offset order. A
 *   failure stops its partition; the other partitions finish; then the processor throws a
 *   {@link StreamBatchError} so that Lambda retries the whole batch. With `store`, records that completed
 *   are skipped on the retry.
 * - With `store`, a record whose key completed before is skipped without running the handler, and two
 *   records of one batch with the same key run once. Records of a shard or partition are claimed ahead, up to
 *   25 at a time in one request, and the claims of records that then do not run are released together.
 *
 * @throws IdempotencyConfigError for an event of another kind (or malformed), a record handler that is not a
 *   function, or invalid options
 * @throws StreamBatchError when records of a Kafka batch failed
 */
export function processStreamBatch<TData = unknown, TResult = unknown>(
  event: KinesisEvent,
  recordHandler: StreamRecordHandler<KinesisRecord, KinesisRecordInfo<TData>, TResult>,
  options?: KinesisBatchOptions<TData>,
): Promise<StreamBatchResponse>;
export function processStreamBatch<TImage = DynamoDBImage, TResult = unknown>(
  event: DynamoDBStreamEvent,
  recordHandler: StreamRecordHandler<DynamoDBStreamRecord, DynamoDBRecordInfo<TImage>, TResult>,
  options?: DynamoDBStreamBatchOptions<TImage>,
): Promise<StreamBatchResponse>;
export function processStreamBatch<TValue = unknown, TResult = unknown>(
  event: KafkaEvent,
  recordHandler: StreamRecordHandler<KafkaRecord, KafkaRecordInfo<TValue>, TResult>,
  options?: KafkaBatchOptions<TValue>,
): Promise<StreamBatchResponse>;
export function processStreamBatch(
  event: StreamEvent,
  recordHandler: StreamRecordHandler<StreamRecord, KinesisRecordInfo | DynamoDBRecordInfo | KafkaRecordInfo>,
  options?: AnyStreamBatchOptions,
): Promise<StreamBatchResponse>;
export async function processStreamBatch(
  event: StreamEvent,
  recordHandler: StreamRecordHandler<never, never>,
  options: AnyStreamBatchOptions = {},
): Promise<StreamBatchResponse> {
  if (typeof recordHandler !== 'function') {
    throw new IdempotencyConfigError(`Expected processStreamBatch's record handler to be a function, got ${describe(recordHandler)}`);
  }
  const prepared = resolvedStreamOptions(options);
  checkContext(options.context);
  const batch = classifyEvent(event);
  const handler = recordHandler as StreamRecordHandler<unknown, unknown>;
  switch (batch.kind) {
    case 'none':
      return { batchItemFailures: [] };
    case 'kinesis':
      return inOrder(
        batch.records.map((record) => ({
          lane: SHARD,
          engine: prepared.engineFor('kinesis', kinesisSource(record)),
          decode: (): StreamArgs => [record, kinesisInfo(record, prepared.parse)],
        })),
        batch.records.map((record) => record.kinesis.sequenceNumber),
        { label: 'Kinesis', prepared, options, handler },
      );
    case 'dynamodb':
      return inOrder(
        batch.records.map((record) => ({
          lane: SHARD,
          engine: prepared.engineFor('dynamodb', dynamodbSource(record)),
          decode: (): StreamArgs => [record, dynamodbInfo(record)],
        })),
        batch.records.map((record) => record.dynamodb?.SequenceNumber ?? ''),
        { label: 'DynamoDB Streams', prepared, options, handler },
      );
    case 'kafka':
      // Before any record runs: refuses an event that names no cluster when the default name needs one.
      prepared.engineFor('kafka', batch.source);
      return kafka(batch.source, batch.partitions, { label: 'Kafka', prepared, options, handler });
  }
}

/** A Kinesis or DynamoDB Streams batch is one lane: one record at a time, stopping at the first failure. */
const SHARD = 'shard';

/** What every stream source hands the runtime alike. */
interface StreamRun {
  readonly label: string;
  readonly prepared: ResolvedStreamOptions;
  readonly options: AnyStreamBatchOptions;
  readonly handler: StreamRecordHandler<unknown, unknown>;
}

function streamBatch(items: readonly BatchItem<StreamArgs>[], run: StreamRun, wording: FailureWording): BatchRun<StreamArgs> {
  return {
    items,
    handler: run.handler,
    context: run.options.context,
    logger: run.prepared.logger,
    concurrency: run.prepared.concurrency,
    claimAhead: CLAIM_AHEAD,
    stopOnFailure: false,
    // Records after a failure are counted in its log line, not logged one by one.
    logsSkipped: false,
    wording,
  };
}

/**
 * Kinesis and DynamoDB Streams: the records in order, stopping at the first failure, which is reported as the
 * one record to resume the shard from.
 */
async function inOrder(
  records: readonly RecordParts<StreamArgs>[],
  sequenceNumbers: readonly string[],
  run: StreamRun,
): Promise<StreamBatchResponse> {
  const outcomes = await runBatch(
    streamBatch(records.map(prepareItem<StreamArgs>), run, {
      noun: 'record',
      name: (index) => `${run.label} record ${sequenceNumbers[index] ?? ''}`,
      then: (index) => `the batch stops there (${records.length - index - 1} later record(s) not run) and Lambda resumes the shard from it`,
      lane: () => 'its shard',
    }),
  );
  const failed = outcomes.findIndex((outcome) => outcome.state !== 'done');
  return { batchItemFailures: failed === -1 ? [] : [{ itemIdentifier: sequenceNumbers[failed] ?? '' }] };
}

/**
 * Kafka: each partition a lane, the partitions concurrently (up to `concurrency`), each in offset order until
 * its first failure; then throws a {@link StreamBatchError} if any partition failed, so Lambda retries the batch.
 */
async function kafka(source: string | undefined, partitions: readonly KafkaPartition[], run: StreamRun): Promise<StreamBatchResponse> {
  const records = partitions.flatMap((partition) => partition.records);
  const lanes = partitions.flatMap((partition) => partition.records.map(() => partition.topicPartition));
  const engine = run.prepared.engineFor('kafka', source);
  const items = records.map((record, index) =>
    prepareItem<StreamArgs>({ lane: lanes[index], engine, decode: () => [record, kafkaInfo(record, run.prepared.parse)] }),
  );
  const outcomes = await runBatch(
    streamBatch(items, run, {
      noun: 'record',
      name: (index) => {
        const record = records[index] as KafkaRecord;
        return `Kafka record ${record.topic}-${record.partition}@${record.offset}`;
      },
      then: () => 'its partition stops there',
      lane: () => 'its partition',
    }),
  );
  const failures = kafkaFailures(records, lanes, outcomes);
  if (failures.length === 0) return { batchItemFailures: [] };
  const completed = outcomes.filter((outcome) => outcome.state === 'done').length;
  const notRun = outcomes.filter((outcome) => outcome.state === 'skipped').length;
  const list = failures.map((f) => `${f.topic}-${f.partition} at offset ${f.offset} (${errorText(f.error)})`).join('; ');
  throw new StreamBatchError(
    `${failures.length} of ${partitions.length} Kafka partition(s) failed: ${list}. ${completed} record(s) completed and ${notRun} ` +
      `did not run; failing the invocation so that Lambda retries the batch${
        run.options.store === undefined ? ' (without a store, completed records run again)' : ' (completed records are skipped then)'
      }`,
    { failures, cause: failures[0]?.error },
  );
}

/** The first failed record of each partition that failed, in the event's order of partitions. */
function kafkaFailures(
  records: readonly KafkaRecord[],
  lanes: readonly string[],
  outcomes: readonly RecordOutcome[],
): KafkaPartitionFailure[] {
  const failures = new Map<string, KafkaPartitionFailure>();
  outcomes.forEach((outcome, index) => {
    const lane = lanes[index] as string;
    const record = records[index] as KafkaRecord;
    if (outcome.state !== 'failed' || failures.has(lane)) return;
    failures.set(lane, { topic: record.topic, partition: record.partition, offset: record.offset, error: outcome.error });
  });
  return [...failures.values()];
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describe(error);
}
