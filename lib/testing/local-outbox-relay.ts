/**
 * `startLocalOutboxRelay`: the outbox relay as Lambda would run it, against DynamoDB Local's stream, so a
 * test sees the messages its handlers publish arrive (on fauxqs, or wherever the relay's clients point).
 */
import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { relayOutbox, type RelayClients } from '../outbox/relay';
import type { IdempotencyLogger } from '../options';
import type { DynamoDBStreamEvent } from '../streams/types';
import { fn, nonEmptyString, positiveNumber, satisfies, withMethods } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { TestKitConfigError } from './errors';
import { localCredentials } from './local-client';
import { loadOptional } from './optional';
import type { LocalOutboxRelay, LocalOutboxRelayCheckpoints, LocalRelayResponse } from './local-outbox-relay-types';
import { StreamPoller } from './stream-poller';

export type { LocalOutboxRelay, LocalOutboxRelayCheckpoints, LocalOutboxRelayStats, LocalRelayResponse } from './local-outbox-relay-types';

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

/** Every option of `startLocalOutboxRelay`, declared once. */
const LOCAL_RELAY_OPTIONS = /* @__PURE__ */ defineOptions(
  'startLocalOutboxRelay',
  {
    client: {
      check: withMethods<DynamoDBClient>(['send'], 'to be a DynamoDBClient of DynamoDB Local'),
      required: true,
      doc: 'the DynamoDB Local client',
    },
    tableName: { check: nonEmptyString(' (a table name)'), required: true, doc: 'the table whose stream is read' },
    clients: {
      check: satisfies<LocalRelayClients>('to be an object of clients', (value) => value !== null && typeof value === 'object'),
      doc: "the relay's clients",
    },
    handler: { check: fn<(event: DynamoDBStreamEvent) => Promise<LocalRelayResponse>>(), doc: 'what each batch is given to' },
    logger: {
      check: withMethods<IdempotencyLogger>(['debug', 'info', 'warn', 'error'], 'to have debug, info, warn and error methods'),
      doc: 'where the relay logs',
    },
    pollIntervalMs: { check: positiveNumber, default: 50, doc: 'pause between polls of a quiet shard' },
    batchSize: { check: positiveNumber, default: 100, doc: 'records per batch' },
    retryDelayMs: { check: positiveNumber, default: 100, doc: 'pause before a failed batch is given again' },
    checkpoints: {
      check: withMethods<LocalOutboxRelayCheckpoints>(['get', 'set'], 'to have get and set methods'),
      doc: "where each shard's position is kept",
    },
  },
  TestKitConfigError,
);
const _localRelayKeys: SameKeys<StartLocalOutboxRelayOptions, typeof LOCAL_RELAY_OPTIONS.spec> = true;

/**
 * Reads the stream of a DynamoDB Local table and gives its records to `relayOutbox`, batch by batch and
 * shard by shard, as Lambda's event source mapping does with `ReportBatchItemFailures`: a batch that throws
 * is given again whole, one that reports failed records is given again from the first of them.
 *
 * @throws TestKitDependencyError when `@aws-sdk/client-dynamodb-streams` is not installed
 * @throws TestKitConfigError for invalid options
 */
export async function startLocalOutboxRelay(options: StartLocalOutboxRelayOptions): Promise<LocalOutboxRelay> {
  const resolved = LOCAL_RELAY_OPTIONS.resolve(options);
  const { client, tableName, pollIntervalMs, batchSize, retryDelayMs } = resolved;
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
    resolved.handler ??
    ((event: DynamoDBStreamEvent) =>
      relayOutbox(event, {
        // The structural clients are the SDK's own clients (the kit's declarations only avoid naming them).
        clients: { dynamodb: client, ...resolved.clients } as RelayClients,
        ...(resolved.logger ? { logger: resolved.logger } : {}),
      }));

  const kept = new Map<string, string>();
  const positions: LocalOutboxRelayCheckpoints = resolved.checkpoints ?? {
    get: (id) => kept.get(id),
    set: (id, seq) => void kept.set(id, seq),
  };
  return new StreamPoller(streams, streamClient, streamArn, handler, positions, {
    pollIntervalMs,
    batchSize,
    retryDelayMs,
    ...(resolved.logger ? { logger: resolved.logger } : {}),
  });
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
