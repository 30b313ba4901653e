/**
 * `startLocalOutboxRelay`: the outbox relay as Lambda would run it, against DynamoDB Local's stream, so a
 * test sees the messages its handlers publish arrive (on fauxqs, or wherever the relay's clients point).
 */
import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { relayOutbox, type RelayClients } from '../outbox/relay';
import type { IdempotencyLogger } from '../options';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../streams/types';
import { TestKitConfigError } from './errors';
import { localCredentials } from './local-client';
import { loadOptional } from './optional';

/**
 * An AWS SDK v3 client as far as the relay uses it. Structural, so that the kit's declarations need none of
 * the optional SDK packages: the real `SQSClient`, `SNSClient` and `EventBridgeClient` fit.
 */
export interface LocalRelaySdkClient {
  send(command: never): Promise<unknown>;
}

/** The clients of a local relay; see `relayOutbox`'s `clients`. */
export interface LocalRelayClients {
  readonly sqs?: LocalRelaySdkClient;
  readonly sns?: LocalRelaySdkClient;
  readonly eventBridge?: LocalRelaySdkClient;
  /** Deletes published items. @default - the `client` of the options */
  readonly dynamodb?: DynamoDBClient;
}

/** What the relay's handler answers Lambda: the stream records it could not publish. */
export interface LocalRelayResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** Options of {@link startLocalOutboxRelay}. */
export interface StartLocalOutboxRelayOptions {
  /** A client of the DynamoDB Local that holds the table (its endpoint is where the stream is read). */
  readonly client: DynamoDBClient;
  /** The idempotency table; its stream is enabled (`NEW_IMAGE`) when it has none. */
  readonly tableName: string;
  /** The relay's clients (e.g. `{ sqs: localSqs.client }`); `dynamodb` defaults to `client`. */
  readonly clients?: LocalRelayClients;
  /**
   * The handler given each batch of stream records, as Lambda gives it.
   * @default - relayOutbox with `clients`
   */
  readonly handler?: (event: DynamoDBStreamEvent) => Promise<LocalRelayResponse>;
  /**
   * Where the relay logs.
   * @default - the relay's default logger
   */
  readonly logger?: IdempotencyLogger;
  /**
   * Milliseconds between polls of a shard that had no records.
   * @default 50
   */
  readonly pollIntervalMs?: number;
  /**
   * Stream records per batch (Lambda's `BatchSize`).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Milliseconds before a batch that failed (thrown, or records reported in `batchItemFailures`) is given
   * again, from its first failed record.
   * @default 100
   */
  readonly retryDelayMs?: number;
  /**
   * Where the position of each shard (the sequence number of the last record handled without failure) is
   * kept, so that a relay started again resumes there, as Lambda's event source mapping does after the
   * function is restarted.
   * @default - in this relay only (a new relay starts at the oldest record of the stream)
   */
  readonly checkpoints?: LocalOutboxRelayCheckpoints;
}

/** Where {@link startLocalOutboxRelay} keeps each shard's position. */
export interface LocalOutboxRelayCheckpoints {
  get(shardId: string): string | undefined;
  set(shardId: string, sequenceNumber: string): void;
}

/** Counts of a {@link LocalOutboxRelay}. */
export interface LocalOutboxRelayStats {
  /** Handler invocations. */
  readonly invocations: number;
  /** Stream records given to the handler (redeliveries included). */
  readonly records: number;
  /** Invocations that threw or reported failed records (and were given again). */
  readonly failedInvocations: number;
}

/** A running local relay, returned by {@link startLocalOutboxRelay}. */
export interface LocalOutboxRelay {
  /** The table's stream. */
  readonly streamArn: string;
  /** What it did so far. */
  stats(): LocalOutboxRelayStats;
  /** Resolves when every stream record written so far has been handled without failure. */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops polling (the batch in hand finishes first). Idempotent. */
  stop(): Promise<void>;
}

const KNOWN = new Set([
  'client',
  'tableName',
  'clients',
  'handler',
  'logger',
  'pollIntervalMs',
  'batchSize',
  'retryDelayMs',
  'checkpoints',
]);

/**
 * Reads the stream of a DynamoDB Local table and gives its records to `relayOutbox`, batch by batch and
 * shard by shard, as Lambda's event source mapping does with `ReportBatchItemFailures`: a batch that throws
 * is given again whole, one that reports failed records is given again from the first of them.
 *
 * @throws TestKitDependencyError when `@aws-sdk/client-dynamodb-streams` is not installed
 * @throws TestKitConfigError for invalid options
 */
export async function startLocalOutboxRelay(options: StartLocalOutboxRelayOptions): Promise<LocalOutboxRelay> {
  for (const key of Object.keys(options ?? {})) {
    if (!KNOWN.has(key)) throw new TestKitConfigError(`Unknown option \`${key}\` of startLocalOutboxRelay`);
  }
  const { client, tableName } = options;
  if (typeof client?.send !== 'function') throw new TestKitConfigError('Expected `client` to be a DynamoDBClient of DynamoDB Local');
  if (typeof tableName !== 'string' || tableName.length === 0)
    throw new TestKitConfigError(`Expected \`tableName\` to be a table name, got \`${String(tableName)}\``);
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, 50);
  const batchSize = positive('batchSize', options.batchSize, 100);
  const retryDelayMs = positive('retryDelayMs', options.retryDelayMs, 100);
  const streams = await loadOptional<typeof import('@aws-sdk/client-dynamodb-streams')>(
    '@aws-sdk/client-dynamodb-streams',
    'startLocalOutboxRelay',
  );
  const streamArn = await enableStream(client, tableName);
  const endpoint = await client.config.endpoint?.();
  const streamClient = new streams.DynamoDBStreamsClient({
    region: await client.config.region(),
    credentials: localCredentials(),
    ...(endpoint === undefined
      ? {}
      : { endpoint: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}` }),
  });
  const handler =
    options.handler ??
    ((event: DynamoDBStreamEvent) =>
      relayOutbox(event, {
        // The structural clients are the SDK's own clients (the kit's declarations only avoid naming them).
        clients: { dynamodb: client, ...options.clients } as RelayClients,
        ...(options.logger ? { logger: options.logger } : {}),
      }));

  const counts = { invocations: 0, records: 0, failedInvocations: 0 };
  const iterators = new Map<string, string | undefined>(); // shard id → iterator (undefined: closed)
  let pending = 0; // records read and not yet handled without failure
  let stopped = false;
  let lastActivity = Date.now();

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const deliver = async (records: DynamoDBStreamRecord[]): Promise<boolean> => {
    let batch = records;
    while (batch.length > 0 && !stopped) {
      counts.invocations += 1;
      counts.records += batch.length;
      let failedFrom = -1;
      try {
        const response = await handler({ Records: batch });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failedFrom = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
      } catch {
        failedFrom = 0;
      }
      if (failedFrom < 0) {
        pending -= batch.length;
        return true;
      }
      counts.failedInvocations += 1;
      pending -= failedFrom;
      batch = batch.slice(failedFrom);
      await sleep(retryDelayMs);
    }
    return false;
  };

  const kept = new Map<string, string>();
  const positions: LocalOutboxRelayCheckpoints = options.checkpoints ?? {
    get: (id) => kept.get(id),
    set: (id, seq) => void kept.set(id, seq),
  };
  const iteratorFor = async (shardId: string): Promise<string | undefined> => {
    const after = positions.get(shardId);
    const { ShardIterator } = await streamClient.send(
      new streams.GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    );
    return ShardIterator;
  };

  const pollShard = async (id: string, iterator: string): Promise<boolean> => {
    let output;
    try {
      output = await streamClient.send(new streams.GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
    } catch (error) {
      // An iterator DynamoDB Local no longer honours (expired, or trimmed under it): a new one from where
      // this shard was left.
      const name = (error as { name?: unknown } | null)?.name;
      if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
      iterators.set(id, await iteratorFor(id));
      return false;
    }
    iterators.set(id, output.NextShardIterator);
    const records = (output.Records ?? []).map((r) => toLambdaRecord(r, streamArn));
    if (records.length === 0) return false;
    lastActivity = Date.now();
    pending += records.length;
    if (!(await deliver(records))) return true;
    const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
    if (last !== undefined) positions.set(id, last);
    return true;
  };

  const pollShards = async (): Promise<boolean> => {
    const { StreamDescription } = await streamClient.send(new streams.DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId as string;
      if (!iterators.has(id)) iterators.set(id, await iteratorFor(id));
    }
    let any = false;
    for (const [id, iterator] of iterators) {
      if (iterator === undefined || stopped) continue;
      if (await pollShard(id, iterator)) any = true;
    }
    return any;
  };

  const loop = (async () => {
    while (!stopped) {
      let any = false;
      try {
        any = await pollShards();
      } catch (error) {
        options.logger?.warn('startLocalOutboxRelay: reading the stream failed; polling again', error);
      }
      if (!any) await sleep(pollIntervalMs);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    streamArn,
    stats: () => ({ ...counts }),
    idle: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      // Idle: nothing in hand, and the stream had nothing new for a few polls.
      while (pending > 0 || Date.now() - lastActivity < pollIntervalMs * 4 + 100) {
        if (Date.now() > deadline)
          throw new TestKitConfigError(`startLocalOutboxRelay: not idle after ${timeoutMs} ms (${pending} stream record(s) in hand)`);
        await sleep(pollIntervalMs);
      }
    },
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        await loop;
        streamClient.destroy();
      })();
      return stopping;
    },
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TestKitConfigError(`Expected \`${name}\` to be a positive number, got \`${String(value)}\``);
  }
  return value;
}

/** Enables the table's stream (NEW_IMAGE) if it has none; returns its ARN. */
async function enableStream(client: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled === true && Table.LatestStreamArn) return Table.LatestStreamArn;
  const { TableDescription } = await client.send(
    new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }),
  );
  const arn = TableDescription?.LatestStreamArn;
  if (arn === undefined) throw new TestKitConfigError(`DynamoDB Local did not enable the stream of \`${tableName}\``);
  return arn;
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
