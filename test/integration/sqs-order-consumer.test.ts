/**
 * The example order consumer (handlers/order-consumer.ts), run as Lambda would run it: its exported
 * `handler`, configured from the environment, fed by the local event source from a fauxqs FIFO queue,
 * with its records and totals in DynamoDB Local.
 */
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createOrderConsumer, handler, type OrderPlaced } from '../../handlers/order-consumer';
import { createLambdaContext, startLocalEventSource, type LocalEventSource } from '../../lib/testing';
import { createTestQueue, createTestTable, dynamoClient, sqsClient } from '../helpers/local';
import { failedIds } from '../helpers/sqs-batches';
import { fifoRecord, sqsEvent } from '../helpers/sqs-events';

const sources: LocalEventSource[] = [];
afterAll(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

async function totals(tableName: string, customerId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamoClient().send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: `customer#${customerId}` } }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : unmarshall(Item);
}

describe('handlers/order-consumer', () => {
  it('applies each order once, however often producers send it, through the exported Lambda handler', async () => {
    const tableName = await createTestTable('orders');
    const previous = { table: process.env['IDEMPOTENCY_TABLE_NAME'], endpoint: process.env['AWS_ENDPOINT_URL_DYNAMODB'] };
    // What the construct sets, and where the SDK's default client finds DynamoDB Local.
    process.env['IDEMPOTENCY_TABLE_NAME'] = tableName;
    process.env['AWS_ENDPOINT_URL_DYNAMODB'] = process.env['EO_DYNAMODB_ENDPOINT'];
    try {
      const { queueUrl } = await createTestQueue('orders', { fifo: true, visibilityTimeout: 2 });
      const orders: OrderPlaced[] = [
        { orderId: 'o-1', customerId: 'alice', amountCents: 1_000 },
        { orderId: 'o-2', customerId: 'alice', amountCents: 250 },
        { orderId: 'o-3', customerId: 'bob', amountCents: 99 },
      ];
      // Each order three times, each copy with its own deduplication id (a producer retrying).
      const sends = [...orders, ...orders, ...orders];
      await sqsClient().send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: sends.map((order, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(order),
            MessageGroupId: order.customerId,
            MessageDeduplicationId: `${order.orderId}-copy-${index}`,
          })),
        }),
      );
      const source = startLocalEventSource({ client: sqsClient(), queueUrl, handler, pollers: 2 });
      sources.push(source);
      await source.idle();
      await source.stop();

      expect(source.stats).toMatchObject({ messagesDelivered: 9, deletes: 9, failures: 0, handlerErrors: 0 });
      expect(await totals(tableName, 'alice')).toEqual({ id: 'customer#alice', orderCount: 2, totalCents: 1_250 });
      expect(await totals(tableName, 'bob')).toEqual({ id: 'customer#bob', orderCount: 1, totalCents: 99 });
      const { Items } = await dynamoClient().send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      // Three idempotency records (one per order, namespaced "orders") and two customers' totals.
      expect(Items).toHaveLength(5);
    } finally {
      for (const [name, value] of [
        ['IDEMPOTENCY_TABLE_NAME', previous.table],
        ['AWS_ENDPOINT_URL_DYNAMODB', previous.endpoint],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("fails a body that is not an order, alone, and holds back its customer's later orders", async () => {
    const tableName = await createTestTable('orders');
    const consumer = createOrderConsumer({ client: dynamoClient(), tableName });
    const records = [
      fifoRecord('alice', 'd-1', 1, JSON.stringify({ orderId: 'o-1', customerId: 'alice', amountCents: 5 })),
      fifoRecord('alice', 'd-2', 2, JSON.stringify({ orderId: 'o-2', customerId: 'alice' })),
      fifoRecord('alice', 'd-3', 3, JSON.stringify({ orderId: 'o-3', customerId: 'alice', amountCents: 7 })),
      fifoRecord('bob', 'd-4', 4, JSON.stringify({ orderId: 'o-4', customerId: 'bob', amountCents: 9 })),
    ];
    const response = await consumer(sqsEvent(records), createLambdaContext());
    expect(failedIds(response)).toEqual([records[1]!.messageId, records[2]!.messageId]);
    expect(await totals(tableName, 'alice')).toEqual({ id: 'customer#alice', orderCount: 1, totalCents: 5 });
    expect(await totals(tableName, 'bob')).toEqual({ id: 'customer#bob', orderCount: 1, totalCents: 9 });
  });

  it('fails an order id sent again with another amount instead of dropping it (fingerprint)', async () => {
    const tableName = await createTestTable('orders');
    const consumer = createOrderConsumer({ client: dynamoClient(), tableName });
    const first = fifoRecord('alice', 'd-1', 1, JSON.stringify({ orderId: 'o-1', customerId: 'alice', amountCents: 5 }));
    const conflicting = fifoRecord('alice', 'd-2', 2, JSON.stringify({ orderId: 'o-1', customerId: 'alice', amountCents: 500 }));
    await consumer(sqsEvent([first]), createLambdaContext());
    const response = await consumer(sqsEvent([conflicting]), createLambdaContext());
    expect(failedIds(response)).toEqual([conflicting.messageId]);
    expect(await totals(tableName, 'alice')).toEqual({ id: 'customer#alice', orderCount: 1, totalCents: 5 });
  });

  it('keeps the totals in ORDERS_TABLE_NAME when given', async () => {
    const [tableName, totalsTable] = await Promise.all([createTestTable('orders'), createTestTable('totals')]);
    const consumer = createOrderConsumer({ client: dynamoClient(), tableName, totalsTable });
    await consumer(
      sqsEvent([fifoRecord('carol', 'd-1', 1, JSON.stringify({ orderId: 'o-1', customerId: 'carol', amountCents: 3 }))]),
      createLambdaContext(),
    );
    expect(await totals(totalsTable, 'carol')).toEqual({ id: 'customer#carol', orderCount: 1, totalCents: 3 });
    expect(await totals(tableName, 'carol')).toBeUndefined();
  });
});
