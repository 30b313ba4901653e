/**
 * Recovery: publishes the messages of the outbox items still in the table (those the relay did not publish,
 * e.g. when it failed for longer than the stream keeps records, 24 hours), then deletes them.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { nonEmptyString, nonNegativeNumber } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { IdempotencyConfigError } from '../errors';
import { DEFAULT_KEY_ATTR } from '../persistence/schema';
import { OUTBOX_ATTRIBUTE, readOutboxItem } from './items';
import { publishUnits, RELAY_SPEC, resolvedRelayOptions, type OutboxUnit, type RelayOutboxOptions } from './relay';

/** Options of {@link republishOutbox}. */
export interface RepublishOutboxOptions extends RelayOutboxOptions {
  /** The idempotency table. */
  readonly tableName: string;
  /**
   * Partition key attribute of the table (as `DynamoDBStore`'s `keyAttr`).
   * @default 'id'
   */
  readonly keyAttr?: string;
  /**
   * Leave items committed less than this many seconds ago (the relay is likely publishing them now).
   * @default 0
   */
  readonly minAgeSeconds?: number;
}

/** The options of `republishOutbox`: the relay's, and the table to read. */
const REPUBLISH_OPTIONS = /* @__PURE__ */ defineOptions(
  'republishOutbox',
  {
    ...RELAY_SPEC,
    tableName: { check: nonEmptyString(), required: true, doc: 'the idempotency table' },
    keyAttr: { check: nonEmptyString(), default: DEFAULT_KEY_ATTR, doc: 'partition key attribute of the table' },
    minAgeSeconds: { check: nonNegativeNumber, default: 0, doc: 'leave items committed less than this many seconds ago' },
  },
  IdempotencyConfigError,
);
const _republishKeys: SameKeys<RepublishOutboxOptions, typeof REPUBLISH_OPTIONS.spec> = true;

/** What {@link republishOutbox} did. */
export interface RepublishOutboxReport {
  /** Outbox items found (old enough). */
  readonly items: number;
  /** Messages published (their items deleted). */
  readonly published: number;
  /** Items whose messages were not all published (kept; run again), or that cannot be read. */
  readonly failed: number;
}

/**
 * Scans the idempotency table for outbox items (the attribute `outbox`; a consistent scan), publishes their
 * messages as the relay does, and deletes the items it published. Consumers keyed on `outboxMessageId` drop
 * any message the relay had already sent. Run it with the relay's permissions plus `dynamodb:Scan`:
 *
 * ```sh
 * node -e "require('effectively-once/outbox').republishOutbox({ tableName: 'TABLE' }).then(console.log)"
 * ```
 *
 * @throws IdempotencyConfigError for invalid options
 */
export async function republishOutbox(options: RepublishOutboxOptions): Promise<RepublishOutboxReport> {
  const values = REPUBLISH_OPTIONS.resolve(options);
  const settings = resolvedRelayOptions(values);
  const { tableName, keyAttr, minAgeSeconds } = values;
  const cutoff = Date.now() - minAgeSeconds * 1000;
  let items = 0;
  let published = 0;
  let failed = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await settings.dynamodb().send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: 'attribute_exists(#outbox)',
        ExpressionAttributeNames: { '#outbox': OUTBOX_ATTRIBUTE },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    startKey = page.LastEvaluatedKey;
    const units: OutboxUnit[] = [];
    for (const item of page.Items ?? []) {
      const key = item[keyAttr];
      try {
        const envelope = readOutboxItem(item);
        if (envelope === undefined || envelope.committedAt > cutoff) continue;
        units.push({ id: key?.S ?? '', tableName, keys: key === undefined ? undefined : { [keyAttr]: key }, envelope });
      } catch (error) {
        failed += 1;
        settings.logger.error(`Outbox item ${key?.S ?? '?'} cannot be read (${(error as Error).message}); left in the table`);
      }
    }
    items += units.length;
    const unpublished = new Set(await publishUnits(units, settings));
    failed += unpublished.size;
    published += units.filter((unit) => !unpublished.has(unit.id)).reduce((sum, unit) => sum + unit.envelope.messages.length, 0);
  } while (startKey !== undefined);
  return { items, published, failed };
}
