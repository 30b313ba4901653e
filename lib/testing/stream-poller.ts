/**
 * The event source mapping of {@link startLocalOutboxRelay}: reads a DynamoDB Local stream shard by shard and
 * gives its records to a handler in batches, as Lambda does with `ReportBatchItemFailures` — a batch that throws
 * is given again whole, one that reports failed records is given again from the first of them — and keeps each
 * shard's position after a batch handled without failure.
 */
import type { _Record as StreamRecord, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { IdempotencyLogger } from '../options';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../streams/types';
import { sleep } from '../time';
import { TestKitConfigError } from './errors';
import type { LocalOutboxRelay, LocalOutboxRelayCheckpoints, LocalOutboxRelayStats, LocalRelayResponse } from './local-outbox-relay-types';

type StreamsModule = typeof import('@aws-sdk/client-dynamodb-streams');

/** How a {@link StreamPoller} polls and retries. */
export interface StreamPollerSettings {
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  readonly retryDelayMs: number;
  readonly logger?: IdempotencyLogger;
}

export class StreamPoller implements LocalOutboxRelay {
  public readonly streamArn: string;
  readonly #streams: StreamsModule;
  readonly #client: DynamoDBStreamsClient;
  readonly #handler: (event: DynamoDBStreamEvent) => Promise<LocalRelayResponse>;
  readonly #positions: LocalOutboxRelayCheckpoints;
  readonly #settings: StreamPollerSettings;
  readonly #counts = { invocations: 0, records: 0, failedInvocations: 0 };
  /** Shard id → iterator (undefined: closed). */
  readonly #iterators = new Map<string, string | undefined>();
  /** Records read and not yet handled without failure. */
  #pending = 0;
  #stopped = false;
  #lastActivity = Date.now();
  readonly #loop: Promise<void>;
  #stopping: Promise<void> | undefined;

  public constructor(
    streams: StreamsModule,
    client: DynamoDBStreamsClient,
    streamArn: string,
    handler: (event: DynamoDBStreamEvent) => Promise<LocalRelayResponse>,
    positions: LocalOutboxRelayCheckpoints,
    settings: StreamPollerSettings,
  ) {
    this.#streams = streams;
    this.#client = client;
    this.streamArn = streamArn;
    this.#handler = handler;
    this.#positions = positions;
    this.#settings = settings;
    this.#loop = this.#run();
  }

  // Arrow functions: the relay's methods work detached (`const { stop } = relay`), as the object it replaced allowed.
  public readonly stats = (): LocalOutboxRelayStats => ({ ...this.#counts });

  public readonly idle = async (timeoutMs = 30_000): Promise<void> => {
    const { pollIntervalMs } = this.#settings;
    const deadline = Date.now() + timeoutMs;
    // Idle: nothing in hand, and the stream had nothing new for a few polls.
    while (this.#pending > 0 || Date.now() - this.#lastActivity < pollIntervalMs * 4 + 100) {
      if (Date.now() > deadline)
        throw new TestKitConfigError(`startLocalOutboxRelay: not idle after ${timeoutMs} ms (${this.#pending} stream record(s) in hand)`);
      await sleep(pollIntervalMs);
    }
  };

  public readonly stop = (): Promise<void> => {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      await this.#loop;
      this.#client.destroy();
    })();
    return this.#stopping;
  };

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let any = false;
      try {
        any = await this.#pollShards();
      } catch (error) {
        this.#settings.logger?.warn('startLocalOutboxRelay: reading the stream failed; polling again', error);
      }
      if (!any) await sleep(this.#settings.pollIntervalMs);
    }
  }

  /** Polls every shard once; true when any had records. */
  async #pollShards(): Promise<boolean> {
    const { StreamDescription } = await this.#client.send(new this.#streams.DescribeStreamCommand({ StreamArn: this.streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId as string;
      if (!this.#iterators.has(id)) this.#iterators.set(id, await this.#iteratorFor(id));
    }
    let any = false;
    for (const [id, iterator] of this.#iterators) {
      if (iterator === undefined || this.#stopped) continue;
      if (await this.#pollShard(id, iterator)) any = true;
    }
    return any;
  }

  /** Reads one batch of a shard and delivers it; true when it had records. */
  async #pollShard(id: string, iterator: string): Promise<boolean> {
    let output;
    try {
      output = await this.#client.send(new this.#streams.GetRecordsCommand({ ShardIterator: iterator, Limit: this.#settings.batchSize }));
    } catch (error) {
      // An iterator DynamoDB Local no longer honours (expired, or trimmed under it): a new one from where
      // this shard was left.
      const name = (error as { name?: unknown } | null)?.name;
      if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
      this.#iterators.set(id, await this.#iteratorFor(id));
      return false;
    }
    this.#iterators.set(id, output.NextShardIterator);
    const records = (output.Records ?? []).map((r) => toLambdaRecord(r, this.streamArn));
    if (records.length === 0) return false;
    this.#lastActivity = Date.now();
    this.#pending += records.length;
    if (!(await this.#deliver(records))) return true;
    const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
    if (last !== undefined) this.#positions.set(id, last);
    return true;
  }

  /** A shard's iterator: after its kept position, or from its oldest record. */
  async #iteratorFor(shardId: string): Promise<string | undefined> {
    const after = this.#positions.get(shardId);
    const { ShardIterator } = await this.#client.send(
      new this.#streams.GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    );
    return ShardIterator;
  }

  /** Gives `records` to the handler until all are handled without failure (true) or the poller stops (false). */
  async #deliver(records: DynamoDBStreamRecord[]): Promise<boolean> {
    let batch = records;
    while (batch.length > 0 && !this.#stopped) {
      this.#counts.invocations += 1;
      this.#counts.records += batch.length;
      let failedFrom = -1;
      try {
        const response = await this.#handler({ Records: batch });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failedFrom = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
      } catch {
        failedFrom = 0;
      }
      if (failedFrom < 0) {
        this.#pending -= batch.length;
        return true;
      }
      this.#counts.failedInvocations += 1;
      this.#pending -= failedFrom;
      batch = batch.slice(failedFrom);
      await sleep(this.#settings.retryDelayMs);
    }
    return false;
  }
}

/** A record of the Streams API in the shape Lambda gives a stream consumer. */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBStreamRecord {
  const change = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventSource: 'aws:dynamodb',
    eventVersion: record.eventVersion ?? '1.1',
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(change.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(change.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      Keys: change.Keys as never,
      ...(change.NewImage ? { NewImage: change.NewImage as never } : {}),
      ...(change.OldImage ? { OldImage: change.OldImage as never } : {}),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    },
  };
}
