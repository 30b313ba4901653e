import { withWriteBatching } from '../persistence/coalesce';
import { ClaimsAhead, claimsBeforeRunning } from '../batch/claims-ahead';
import { KeyedQueue, runConcurrently } from '../batch/concurrency';
import { acknowledgesDuplicates, fingerprintMismatch, fingerprintOf } from '../batch/duplicates';
import { checkContext } from '../batch/validate';
import {
  IdempotencyConfigError,
  IdempotencyInProgressError,
  IdempotencyLeaseLostError,
  StreamBatchError,
  type KafkaPartitionFailure,
} from '../errors';
import { describe } from '../describe';
import { invocationInfo } from '../engine';
import { classifyEvent, dynamodbInfo, dynamodbSource, kafkaInfo, kinesisInfo, kinesisSource, type KafkaPartition } from './events';
import {
  resolvedStreamOptions,
  type AnyStreamBatchOptions,
  type DynamoDBStreamBatchOptions,
  type KafkaBatchOptions,
  type KinesisBatchOptions,
  type ResolvedStreamOptions,
  type StreamArgs,
  type StreamKind,
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
  const run = new RecordRunner(prepared, options, recordHandler as StreamRecordHandler<unknown, unknown>);
  switch (batch.kind) {
    case 'none':
      return { batchItemFailures: [] };
    case 'kinesis':
      // Records are claimed ahead in groups: their claims (and releases) share requests.
      return withWriteBatching(() =>
        run.inOrder('Kinesis', batch.records, (record) => ({
          kind: 'kinesis',
          source: kinesisSource(record),
          sequenceNumber: record.kinesis.sequenceNumber,
          decode: () => kinesisInfo(record, prepared.parse),
        })),
      );
    case 'dynamodb':
      return withWriteBatching(() =>
        run.inOrder('DynamoDB Streams', batch.records, (record) => ({
          kind: 'dynamodb',
          source: dynamodbSource(record),
          sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
          decode: () => dynamodbInfo(record),
        })),
      );
    case 'kafka':
      // Before any record runs: refuses an event that names no cluster when the default name needs one.
      prepared.engineFor('kafka', batch.source);
      // Partitions run concurrently: their claims and completions may share requests.
      return withWriteBatching(() => run.kafka(batch.source, batch.partitions));
  }
}

/** How to process one record of an ordered stream. */
interface OrderedRecord {
  readonly kind: StreamKind;
  readonly source: string;
  readonly sequenceNumber: string;
  decode(): unknown;
}

/** Records of a shard or partition claimed in one request, ahead of running them. */
const CLAIM_AHEAD = 25;

/** One record, decoded and keyed before the batch runs (once: the handler gets this decoded value). */
interface PreparedRecord {
  readonly record: unknown;
  readonly kind: StreamKind;
  readonly source: string | undefined;
  /** The decoded record, or why decoding failed (the record fails at its turn). */
  readonly decoded: { readonly ok: true; readonly info: unknown } | { readonly ok: false; readonly error: unknown };
  /** The key, when there is a store (`error`: deriving it failed, and the record fails at its turn). */
  readonly key: { readonly value: string | undefined } | { readonly error: unknown } | undefined;
}

interface Failure {
  readonly ok: false;
  readonly error: unknown;
  /** `parse`: decoding the record failed, so the handler never ran. */
  readonly stage: 'parse' | 'handler';
}

type Outcome = { readonly ok: true } | Failure;

/** Runs the records of one invocation. */
class RecordRunner {
  readonly #sameKey = new KeyedQueue();
  /** Keys whose record failed earlier in this batch: a later copy fails the same way without running. */
  readonly #failedKeys = new Map<string, { error: unknown }>();
  /**
   * Optimistic mode: the keys this batch completed, with their fingerprints. The engine claims nothing before
   * running in that mode, so a later record with one of these keys is acknowledged here instead of running.
   */
  readonly #completed = new Map<string, string | undefined>();
  /** Claims made ahead of the records' turns. */
  readonly #claims = new ClaimsAhead<StreamArgs, unknown>();
  /** How many records of the batch have each key: only a key met once is claimed ahead. */
  readonly #keyCounts = new Map<string, number>();

  public constructor(
    private readonly prepared: ResolvedStreamOptions,
    private readonly options: AnyStreamBatchOptions,
    private readonly handler: StreamRecordHandler<unknown, unknown>,
  ) {}

  /** Kinesis and DynamoDB Streams: one at a time, stopping at the first failure. */
  public async inOrder<TRecord>(
    label: string,
    records: readonly TRecord[],
    describeRecord: (record: TRecord) => OrderedRecord,
  ): Promise<StreamBatchResponse> {
    const described = records.map(describeRecord);
    const prepared = described.map((how, index) => this.#prepare(how.kind, how.source, records[index], () => how.decode()));
    this.#countKeys(prepared);
    try {
      for (const [index, how] of described.entries()) {
        if (index % CLAIM_AHEAD === 0) this.#claimAhead(prepared, index);
        const outcome = await this.#process(prepared[index] as PreparedRecord);
        if (!outcome.ok) {
          this.#logFailure(
            `${label} record ${how.sequenceNumber}`,
            outcome,
            `the batch stops there (${records.length - index - 1} later record(s) not run) and Lambda resumes the shard from it`,
          );
          return { batchItemFailures: [{ itemIdentifier: how.sequenceNumber }] };
        }
      }
      return { batchItemFailures: [] };
    } finally {
      await this.#claims.releaseUntaken();
    }
  }

  /** Decodes a record and derives its key, before anything runs. */
  #prepare(kind: StreamKind, source: string | undefined, record: unknown, decode: () => unknown): PreparedRecord {
    let info: unknown;
    try {
      info = decode();
    } catch (error) {
      return { record, kind, source, decoded: { ok: false, error }, key: undefined };
    }
    const engine = this.prepared.engineFor(kind, source);
    if (engine === undefined) return { record, kind, source, decoded: { ok: true, info }, key: undefined };
    let key: PreparedRecord['key'];
    try {
      key = { value: engine.keyOf([record, info]) };
    } catch (error) {
      key = { error };
    }
    return { record, kind, source, decoded: { ok: true, info }, key };
  }

  #countKeys(records: readonly PreparedRecord[]): void {
    for (const { key } of records) {
      if (key !== undefined && 'value' in key && key.value !== undefined)
        this.#keyCounts.set(key.value, (this.#keyCounts.get(key.value) ?? 0) + 1);
    }
  }

  /**
   * Claims, in this one turn, the next {@link CLAIM_AHEAD} records of a shard or partition from `start`, up to
   * the first that cannot run (it stops the shard there). A key met more than once in the batch is not
   * claimed ahead: its copies run one after another and the later ones meet the first's outcome.
   */
  #claimAhead(records: readonly PreparedRecord[], start: number): void {
    const info = invocationInfo(this.options.context);
    for (const prepared of records.slice(start, start + CLAIM_AHEAD)) {
      const { key, decoded } = prepared;
      if (!decoded.ok || (key !== undefined && 'error' in key)) return;
      const engine = this.prepared.engineFor(prepared.kind, prepared.source);
      if (key?.value === undefined || this.#keyCounts.get(key.value) !== 1 || !claimsBeforeRunning(engine)) continue;
      this.#claims.claim(prepared, engine, [prepared.record, decoded.info], info);
    }
  }

  /** Kafka: partitions concurrently, each in offset order until its first failure; then throws if any failed. */
  public async kafka(source: string | undefined, partitions: readonly KafkaPartition[]): Promise<StreamBatchResponse> {
    const failures: (KafkaPartitionFailure | undefined)[] = partitions.map(() => undefined);
    let completed = 0;
    let notRun = 0;
    const prepared = partitions.map((partition) =>
      partition.records.map((record) => this.#prepare('kafka', source, record, () => kafkaInfo(record, this.prepared.parse))),
    );
    prepared.forEach((records) => this.#countKeys(records));
    await runConcurrently(partitions, this.prepared.concurrency, async (partition, index) => {
      const records = prepared[index] as readonly PreparedRecord[];
      for (const [position, record] of partition.records.entries()) {
        if (position % CLAIM_AHEAD === 0) this.#claimAhead(records, position);
        const outcome = await this.#process(records[position] as PreparedRecord);
        if (!outcome.ok) {
          failures[index] = { topic: record.topic, partition: record.partition, offset: record.offset, error: outcome.error };
          notRun += partition.records.length - position - 1;
          this.#logFailure(`Kafka record ${record.topic}-${record.partition}@${record.offset}`, outcome, 'its partition stops there');
          return;
        }
        completed += 1;
      }
    });
    // Records of the partitions that stopped: their claims go, together.
    await this.#claims.releaseUntaken();
    const failed = failures.filter((failure): failure is KafkaPartitionFailure => failure !== undefined);
    if (failed.length === 0) return { batchItemFailures: [] };
    const list = failed.map((f) => `${f.topic}-${f.partition} at offset ${f.offset} (${errorText(f.error)})`).join('; ');
    throw new StreamBatchError(
      `${failed.length} of ${partitions.length} Kafka partition(s) failed: ${list}. ${completed} record(s) completed and ${notRun} ` +
        `did not run; failing the invocation so that Lambda retries the batch${
          this.options.store === undefined ? ' (without a store, completed records run again)' : ' (completed records are skipped then)'
        }`,
      { failures: failed, cause: failed[0]?.error },
    );
  }

  /** Logs why a record failed: a record in progress elsewhere or a lost lease is expected under retries (warn). */
  #logFailure(what: string, outcome: Failure, then: string): void {
    const { error, stage } = outcome;
    const logger = this.prepared.logger;
    if (stage === 'parse') {
      logger.error(`${what} could not be parsed; ${then}`, error);
    } else if (error instanceof IdempotencyInProgressError) {
      logger.warn(`${what} is being processed by another invocation (its lease ends in ${error.retryAfterMs} ms); ${then}`, error);
    } else if (error instanceof IdempotencyLeaseLostError) {
      logger.warn(`${what} lost its idempotency lease to another invocation, which completes it; ${then}`, error);
    } else {
      logger.error(`${what} failed; ${then}`, error);
    }
  }

  /** Decodes one record and runs the handler on it, through the engine when there is a store. Never throws. */
  async #process(prepared: PreparedRecord): Promise<Outcome> {
    const { record, decoded } = prepared;
    if (!decoded.ok) return { ok: false, error: decoded.error, stage: 'parse' };
    const info = decoded.info;
    try {
      const engine = this.prepared.engineFor(prepared.kind, prepared.source);
      const work = async (): Promise<unknown> => this.handler(record, info);
      if (!engine) {
        await work();
      } else {
        const args: StreamArgs = [record, info];
        if (prepared.key !== undefined && 'error' in prepared.key) throw prepared.key.error;
        const key = prepared.key?.value;
        if (key === undefined || !acknowledgesDuplicates(engine)) {
          // Lease mode: a record waiting for an earlier one with its key then meets its completed record.
          // One rule with processSqsBatch: if that earlier copy failed, this one fails too, without running.
          await this.#sameKey.run(key, async () => {
            const earlier = key === undefined ? undefined : this.#failedKeys.get(key);
            if (earlier !== undefined) throw earlier.error;
            try {
              await this.#claims.run(prepared, engine, args, invocationInfo(this.options.context), work, {});
            } catch (error) {
              if (key !== undefined) this.#failedKeys.set(key, { error });
              throw error;
            }
          });
        } else {
          // Taken before the handler runs (it may change its input), as the engine takes it.
          const fingerprint = fingerprintOf(engine, args);
          await this.#sameKey.run(key, async () => {
            const earlier = this.#failedKeys.get(key);
            if (earlier !== undefined) throw earlier.error;
            if (this.#completed.has(key)) {
              const mismatch = fingerprintMismatch(key, this.#completed.get(key), fingerprint);
              if (mismatch !== undefined) {
                engine.count('PayloadMismatches');
                throw mismatch;
              }
              engine.count('Replays');
              this.prepared.logger.debug(
                `A stream record repeats an event this batch already processed (${key}); skipped without running the handler`,
              );
              return;
            }
            try {
              await engine.run(args, invocationInfo(this.options.context), work);
            } catch (error) {
              this.#failedKeys.set(key, { error });
              throw error;
            }
            this.#completed.set(key, fingerprint);
          });
        }
      }
      return { ok: true };
    } catch (error) {
      return { ok: false, error, stage: 'handler' };
    }
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describe(error);
}
