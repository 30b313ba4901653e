/**
 * Example: the consumer of `OrderAccepted` messages (bin/example-stack.ts), which the order consumer
 * publishes through the transactional outbox and the outbox relay sends at least once. Keyed by the
 * message's outbox id (`outboxMessageId`), so a message the relay sends twice is applied once: here, one
 * confirmation per order, committed with `commitWith` (in your code, send the confirmation email with
 * `downstreamKey()` as the provider's idempotency key).
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME` (set by the `IdempotentQueueConsumer` construct); the confirmations
 * are kept in the idempotency table under `confirmation#…` keys.
 * In your code, import from the package: `import { outboxMessageId } from 'effectively-once/outbox'`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { commitWith, DynamoDBStore, processSqsBatch } from '../lib';
import { outboxMessageId } from '../lib/outbox';
import { ORDER_RECORD_EXPIRY_SECONDS, type OrderAccepted } from './order-consumer';

/** Dependencies, injectable for tests. */
export interface OrderAcceptedDeps {
  /** @default - a new `DynamoDBClient` */
  readonly client?: DynamoDBClient;
  /** The idempotency table. @default - `IDEMPOTENCY_TABLE_NAME` */
  readonly tableName?: string;
}

/** Turns a body into an `OrderAccepted` message, or throws naming what is wrong. */
export function parseOrderAccepted(body: string): OrderAccepted {
  const value = JSON.parse(body) as Partial<OrderAccepted> | null;
  if (value?.type !== 'OrderAccepted' || typeof value.orderId !== 'string' || typeof value.customerId !== 'string') {
    throw new TypeError(`Expected an OrderAccepted message, got ${body.slice(0, 200)}`);
  }
  return value as OrderAccepted;
}

/** Builds the Lambda handler; `handler` below builds it from the environment on the first invocation. */
export function createOrderAcceptedConsumer(
  deps: OrderAcceptedDeps = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const store = new DynamoDBStore({
    ...(deps.client === undefined ? {} : { client: deps.client }),
    ...(deps.tableName === undefined ? {} : { tableName: deps.tableName }),
  });
  return (event, context) =>
    processSqsBatch<OrderAccepted>(
      event,
      (_record, { body }) => {
        commitWith({
          Update: {
            TableName: store.tableName,
            Key: { id: `confirmation#${body.orderId}` },
            UpdateExpression: 'ADD confirmations :one SET customerId = :customer',
            ExpressionAttributeValues: { ':one': 1, ':customer': body.customerId },
          },
        });
        return { confirmed: body.orderId };
      },
      {
        store,
        name: 'order-accepted',
        key: outboxMessageId,
        parse: parseOrderAccepted,
        expiresAfterSeconds: ORDER_RECORD_EXPIRY_SECONDS,
        context,
      },
    );
}

let consumer: ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) | undefined;

/** The Lambda entry point. */
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  consumer ??= createOrderAcceptedConsumer();
  return consumer(event, context);
};
