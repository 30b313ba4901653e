/**
 * Example: the order consumer of the example app (bin/example-stack.ts), reading `OrderPlaced` events from
 * an SQS FIFO queue (message group = customer) and applying each order once in effect, however often it is
 * sent or delivered.
 *
 * - The idempotency key is the business key, `orderId`, not the message's deduplication id: a producer that
 *   retries after a timeout sends the order again with a new deduplication id (or after SQS's five-minute
 *   deduplication window), and that copy must not be applied twice.
 * - The effect, adding the order to its customer's totals, is an increment (not idempotent by itself). It is
 *   staged with `commitWith` and committed in the same DynamoDB transaction as the idempotency record: a
 *   crash before the commit leaves nothing, a crash after it leaves a record the redelivery replays.
 * - Orders of one customer are applied in order; when one fails, the customer's later orders of the batch
 *   are reported failed without running, so they are retried after it, in order.
 * - A body that is not an order fails that record only (logged); after `maxReceiveCount` deliveries SQS
 *   moves it to the dead-letter queue.
 * - When `ACCEPTED_QUEUE_URL` is set, an `OrderAccepted` message to that FIFO queue (group = customer) is
 *   staged with `publish` and committed in the same transaction: it exists if and only if the order was
 *   applied, and the outbox relay (the `OutboxRelay` construct) sends it with its id.
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME` (set by the `IdempotentQueueConsumer` construct). The totals live in
 * `ORDERS_TABLE_NAME` when set (partition key `id`), else in the idempotency table itself under `customer#…`
 * keys, so that the example deploys with the one table the construct grants.
 * In your code, import from the package: `import { processSqsBatch, DynamoDBStore, commitWith } from 'effectively-once'`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { commitWith, DynamoDBStore, processSqsBatch, type SqsBatchOptions, type SqsRecordInfo } from '../lib';
import { publish, sqsQueue } from '../lib/outbox';

/**
 * How long an order's idempotency record is kept, in seconds: four days, the queue's retention
 * (`ORDER_RETENTION` in bin/example-stack.ts), so that no copy of an order can outlive the record of its
 * first delivery.
 */
export const ORDER_RECORD_EXPIRY_SECONDS = 4 * 24 * 60 * 60;

/** Environment variable naming the table of customer totals (optional, see above). */
export const ORDERS_TABLE_NAME_ENV = 'ORDERS_TABLE_NAME';

/** Environment variable naming the FIFO queue of `OrderAccepted` messages (optional: none are sent without it). */
export const ACCEPTED_QUEUE_URL_ENV = 'ACCEPTED_QUEUE_URL';

/** The message the consumer publishes for each applied order. */
export interface OrderAccepted {
  readonly type: 'OrderAccepted';
  readonly orderId: string;
  readonly customerId: string;
  readonly amountCents: number;
}

/** The event producers send, one per order. */
export interface OrderPlaced {
  readonly orderId: string;
  readonly customerId: string;
  readonly amountCents: number;
}

/** What is stored for an applied order (and replayed to its duplicates). */
export interface OrderApplied {
  readonly orderId: string;
  readonly customerId: string;
}

/** Dependencies, injectable for tests. */
export interface OrderConsumerDeps {
  /** @default - a new `DynamoDBClient` */
  readonly client?: DynamoDBClient;
  /** The idempotency table. @default - `IDEMPOTENCY_TABLE_NAME` */
  readonly tableName?: string;
  /** The table of customer totals (partition key `id`). @default - `ORDERS_TABLE_NAME`, else the idempotency table */
  readonly totalsTable?: string;
  /** The FIFO queue of `OrderAccepted` messages. @default - `ACCEPTED_QUEUE_URL`, else no message */
  readonly acceptedQueueUrl?: string;
}

/** Turns a body into an order, or throws naming what is wrong (the record then fails alone). */
export function parseOrder(body: string): OrderPlaced {
  const value = JSON.parse(body) as Partial<Record<keyof OrderPlaced, unknown>> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.orderId !== 'string' ||
    value.orderId === '' ||
    typeof value.customerId !== 'string' ||
    value.customerId === '' ||
    !Number.isSafeInteger(value.amountCents)
  ) {
    throw new TypeError(`Expected an OrderPlaced event ({ orderId, customerId, amountCents }), got ${body.slice(0, 200)}`);
  }
  return { orderId: value.orderId, customerId: value.customerId, amountCents: value.amountCents as number };
}

/** Builds the Lambda handler; `handler` below builds it from the environment on the first invocation. */
export function createOrderConsumer(deps: OrderConsumerDeps = {}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const store = new DynamoDBStore({
    ...(deps.client === undefined ? {} : { client: deps.client }),
    ...(deps.tableName === undefined ? {} : { tableName: deps.tableName }),
  });
  const totalsTable = deps.totalsTable ?? process.env[ORDERS_TABLE_NAME_ENV] ?? store.tableName;
  const acceptedUrl = deps.acceptedQueueUrl ?? process.env[ACCEPTED_QUEUE_URL_ENV];
  const accepted = acceptedUrl === undefined || acceptedUrl === '' ? undefined : sqsQueue(acceptedUrl);

  const applyOrder = async (_record: unknown, { body: order }: SqsRecordInfo<OrderPlaced>): Promise<OrderApplied> => {
    commitWith({
      Update: {
        TableName: totalsTable,
        Key: { id: `customer#${order.customerId}` },
        UpdateExpression: 'ADD orderCount :one, totalCents :amount',
        ExpressionAttributeValues: { ':one': 1, ':amount': order.amountCents },
      },
    });
    if (accepted !== undefined) {
      const message: OrderAccepted = {
        type: 'OrderAccepted',
        orderId: order.orderId,
        customerId: order.customerId,
        amountCents: order.amountCents,
      };
      publish(accepted, message, { groupId: order.customerId });
    }
    return { orderId: order.orderId, customerId: order.customerId };
  };

  // Defined once: validated once, and the engine is kept across invocations.
  const options: SqsBatchOptions<OrderPlaced> = {
    store,
    name: 'orders',
    key: (_record, { body }) => body.orderId,
    // The same orderId with another customer or amount is a producer bug: it fails instead of being dropped.
    fingerprint: (_record, { body }) => [body.customerId, body.amountCents],
    expiresAfterSeconds: ORDER_RECORD_EXPIRY_SECONDS,
    parse: parseOrder,
  };
  return (event, context) => processSqsBatch(event, applyOrder, { ...options, context });
}

let consumer: ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) | undefined;

/**
 * The Lambda entry point (the event source mapping must have `ReportBatchItemFailures`, as the
 * `IdempotentQueueConsumer` construct sets it).
 */
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  consumer ??= createOrderConsumer();
  return consumer(event, context);
};
