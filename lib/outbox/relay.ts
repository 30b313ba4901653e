/**
 * The relay: publishes the messages of outbox items (from the table's stream, or read from the table by
 * `republishOutbox`) at least once, then deletes the items it published. An item whose messages were not
 * all published is kept, and its stream record reported failed, so it is published again.
 */
import { BatchWriteItemCommand, DynamoDBClient, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { integerAtLeast, withMethods } from '../config/checks';
import { defineOptions, nested, type Resolved, type SameKeys } from '../config/spec';
import { createDefaultLogger, type IdempotencyLogger } from '../logger';
import type { DynamoDBStreamEvent } from '../streams/types';
import { readOutboxItem, type OutboxEnvelope } from './items';
import type { OutboxMessage } from './message';
import { Senders, type OutboxClients, type UnsentMessage } from './senders';
import { targetName } from './targets';
import { backoffMs, sleep, type Backoff } from '../time';

/** The pause before deletes the table left unprocessed are sent again. */
const DELETE_BACKOFF: Backoff = { firstMs: 100, maxMs: 1_000 };

/** Attempts of a batch request whose messages were throttled or failed, before the relay gives up on them. */
const DEFAULT_MAX_ATTEMPTS = 5;
/** Delete requests per BatchWriteItem. */
const MAX_DELETES_PER_REQUEST = 25;

/** The clients of {@link relayOutbox}: SQS, SNS and EventBridge to publish, DynamoDB to delete published items. */
export interface RelayClients extends OutboxClients {
  /** Deletes the outbox items once published. @default - a new `DynamoDBClient` with the SDK's default configuration */
  readonly dynamodb?: DynamoDBClient;
}

/** Options of {@link relayOutbox} and {@link republishOutbox}. */
export interface RelayOutboxOptions {
  /**
   * The clients to publish with (and the DynamoDB client that deletes published items). The SDK's default
   * retries apply to each request; the relay retries what a batch answer reports failed on top.
   * @default {} (clients made once per process with the SDK's default configuration)
   */
  readonly clients?: RelayClients;
  /**
   * Where the relay logs messages it could not publish (errors) and items it could not delete (warnings).
   * @default - JSON lines on stdout at WARN, as the library's default logger
   */
  readonly logger?: IdempotencyLogger;
  /**
   * Attempts of a batch request, for the messages it did not take (throttled, failed inside the service),
   * before the relay reports them unpublished.
   * @default 5
   */
  readonly maxAttempts?: number;
}

/** The answer of {@link relayOutbox}: Lambda's partial batch response for a stream. */
export interface RelayOutboxResponse {
  /** The stream records (their `SequenceNumber`) whose messages were not all published. */
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/** An outbox item to publish: its messages, the key to delete it by, and what identifies it to the caller. */
export interface OutboxUnit {
  readonly id: string;
  readonly tableName: string | undefined;
  readonly keys: Record<string, AttributeValue> | undefined;
  readonly envelope: OutboxEnvelope;
}

/** Options checked once: the relay's settings. */
export interface ResolvedRelayOptions {
  readonly senders: Senders;
  readonly dynamodb: () => DynamoDBClient;
  readonly logger: IdempotencyLogger;
  readonly maxAttempts: number;
}

let defaultDynamoDB: DynamoDBClient | undefined;

const awsClient = withMethods<{ send: unknown }>(['send'], 'to be an AWS SDK v3 client');

/** The clients, each optional. */
const CLIENTS = /* @__PURE__ */ defineOptions(
  'clients',
  {
    sqs: { check: awsClient, doc: 'sends to `sqsQueue` targets' },
    sns: { check: awsClient, doc: 'sends to `snsTopic` targets' },
    eventBridge: { check: awsClient, doc: 'sends to `eventBus` targets' },
    dynamodb: { check: awsClient, doc: 'deletes the outbox items once published' },
  },
  IdempotencyConfigError,
);
const _clientKeys: SameKeys<RelayClients, typeof CLIENTS.spec> = true;

/** The options of `relayOutbox` (and, with its own, of `republishOutbox`), declared once. */
export const RELAY_SPEC = {
  clients: { check: nested(CLIENTS), doc: 'the clients to publish with, and the DynamoDB client that deletes' },
  logger: {
    check: withMethods<IdempotencyLogger>(['debug', 'info', 'warn', 'error'], 'to have debug, info, warn and error methods'),
    doc: 'where the relay logs',
  },
  maxAttempts: {
    check: integerAtLeast(1),
    default: DEFAULT_MAX_ATTEMPTS,
    doc: 'attempts of a batch request before its messages are reported unpublished',
  },
} as const;
const RELAY_OPTIONS = /* @__PURE__ */ defineOptions('relayOutbox', RELAY_SPEC, IdempotencyConfigError);
const _relayKeys: SameKeys<RelayOutboxOptions, typeof RELAY_SPEC> = true;

/** The relay's settings, from its validated options. */
export function resolvedRelayOptions(values: Resolved<typeof RELAY_SPEC>): ResolvedRelayOptions {
  const clients = (values.clients ?? {}) as RelayClients;
  return {
    senders: new Senders(clients, values.maxAttempts, sleep),
    dynamodb: () => clients.dynamodb ?? (defaultDynamoDB ??= new DynamoDBClient({})),
    logger: values.logger ?? createDefaultLogger(),
    maxAttempts: values.maxAttempts,
  };
}

/**
 * The Lambda handler of the outbox relay, for the idempotency table's DynamoDB stream (view `NEW_IMAGE` or
 * `NEW_AND_OLD_IMAGES`, with `ReportBatchItemFailures`; the `OutboxRelay` construct sets it up). Publishes
 * the messages of every outbox item the records carry (other records are ignored) at least once, each
 * with its id: `MessageDeduplicationId` on FIFO queues and topics, the message attribute
 * `outbox-message-id`, the event's `detail.outboxMessageId`. Batches of 10 per request; throttles and
 * entries a batch answer reports failed are retried. Items fully published are deleted from the table;
 * records whose messages were not all published are reported in `batchItemFailures`, so Lambda delivers
 * them again (and their items stay in the table for `republishOutbox`).
 *
 * @throws IdempotencyConfigError for invalid options (before anything is sent)
 */
export async function relayOutbox(event: DynamoDBStreamEvent, options: RelayOutboxOptions = {}): Promise<RelayOutboxResponse> {
  const settings = resolvedRelayOptions(RELAY_OPTIONS.resolve(options));
  if (!Array.isArray(event?.Records)) {
    throw new IdempotencyConfigError(`relayOutbox expects a DynamoDB stream event (with Records), got ${describe(event)}`);
  }
  const units: OutboxUnit[] = [];
  const failed = new Set<string>();
  for (const record of event.Records) {
    const id = record.dynamodb?.SequenceNumber ?? record.eventID ?? '';
    let envelope: OutboxEnvelope | undefined;
    try {
      envelope = readOutboxItem(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined);
    } catch (error) {
      settings.logger.error(
        `Outbox item of stream record ${id} cannot be read (${(error as Error).message}); reported failed, the item stays in the table`,
      );
      failed.add(id);
      continue;
    }
    if (envelope === undefined) continue;
    units.push({
      id,
      tableName: tableOf(record.eventSourceARN),
      keys: record.dynamodb?.Keys as Record<string, AttributeValue> | undefined,
      envelope,
    });
  }
  for (const id of await publishUnits(units, settings)) failed.add(id);
  return {
    batchItemFailures: event.Records.flatMap((record) => {
      const id = record.dynamodb?.SequenceNumber ?? record.eventID ?? '';
      return failed.has(id) ? [{ itemIdentifier: id }] : [];
    }),
  };
}

/**
 * Publishes the messages of the units (all targets at once; each target's messages in order), deletes the
 * units fully published, and returns the ids of the others.
 */
export async function publishUnits(units: readonly OutboxUnit[], settings: ResolvedRelayOptions): Promise<string[]> {
  const byTarget = new Map<string, { message: OutboxMessage; unit: OutboxUnit }[]>();
  for (const unit of units) {
    for (const message of unit.envelope.messages) {
      const target = `${message.target.kind} ${targetName(message.target)}`;
      const list = byTarget.get(target) ?? [];
      list.push({ message, unit });
      byTarget.set(target, list);
    }
  }
  const unitOf = new Map<OutboxMessage, OutboxUnit>();
  for (const list of byTarget.values()) for (const { message, unit } of list) unitOf.set(message, unit);
  const unsent: UnsentMessage[] = (
    await Promise.all([...byTarget.values()].map((list) => settings.senders.sendAll(list.map(({ message }) => message))))
  ).flat();
  const failed = new Set<OutboxUnit>();
  for (const { message, reason } of unsent) {
    const unit = unitOf.get(message) as OutboxUnit;
    failed.add(unit);
    settings.logger.error(
      `Outbox message ${message.id} (from ${unit.envelope.key}) to ${targetName(message.target)} was not published (${reason}); it stays in the table and is sent again`,
    );
  }
  await deleteItems(
    units.filter((unit) => !failed.has(unit)),
    settings,
  );
  return [...failed].map((unit) => unit.id);
}

/** Deletes the published outbox items; one that cannot be deleted is logged (republishing it sends repeats). */
async function deleteItems(units: readonly OutboxUnit[], settings: ResolvedRelayOptions): Promise<void> {
  const byTable = new Map<string, WriteRequest[]>();
  for (const unit of units) {
    if (unit.tableName === undefined || unit.keys === undefined) continue;
    const list = byTable.get(unit.tableName) ?? [];
    list.push({ DeleteRequest: { Key: unit.keys } });
    byTable.set(unit.tableName, list);
  }
  for (const [tableName, requests] of byTable) {
    for (let start = 0; start < requests.length; start += MAX_DELETES_PER_REQUEST) {
      await deleteChunk(tableName, requests.slice(start, start + MAX_DELETES_PER_REQUEST), settings);
    }
  }
}

/** One BatchWriteItem of deletes, its unprocessed items retried up to `maxAttempts` times. */
async function deleteChunk(tableName: string, requests: WriteRequest[], settings: ResolvedRelayOptions): Promise<void> {
  let pending = requests;
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    try {
      const output = await settings.dynamodb().send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = output.UnprocessedItems?.[tableName] ?? [];
    } catch (error) {
      if (attempt >= settings.maxAttempts) {
        settings.logger.warn(
          `Could not delete ${pending.length} published outbox item(s) of ${tableName}; they stay until deleted (republishOutbox would send their messages again)`,
          error,
        );
        return;
      }
    }
    if (pending.length > 0 && attempt >= settings.maxAttempts) {
      settings.logger.warn(
        `Could not delete ${pending.length} published outbox item(s) of ${tableName} (unprocessed); they stay until deleted`,
      );
      return;
    }
    if (pending.length > 0) await sleep(backoffMs(DELETE_BACKOFF, attempt));
  }
}

/** The table name in a stream ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`). */
function tableOf(arn: string | undefined): string | undefined {
  const match = /:table\/([^/]+)\//.exec(arn ?? '');
  return match?.[1];
}
