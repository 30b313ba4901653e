/**
 * The example app's outbox path, on DynamoDB Local and fauxqs: the order consumer (handlers/order-consumer.ts)
 * publishes "order accepted" with each applied order, the local outbox relay sends it to the accepted-orders
 * FIFO queue, and the accepted-orders consumer (handlers/order-accepted.ts) confirms each order once, with
 * every order sent three times and every relay batch given twice (its first answer lost after publishing).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createOrderAcceptedConsumer } from '../../handlers/order-accepted';
import { createOrderConsumer, type OrderPlaced } from '../../handlers/order-consumer';
import { relayOutbox } from '../../lib/outbox';
import { createLambdaContext, startLocalEventSource, startLocalOutboxRelay } from '../../lib/testing';
import { createTestQueue, createTestTable, dynamoClient, sqsClient } from '../helpers/local';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('order accepted, through the outbox', () => {
  it('confirms each applied order once, however often the order is sent and the relay publishes', async () => {
    const tableName = await createTestTable('accepted');
    const { queueUrl: ordersUrl } = await createTestQueue('orders', { fifo: true, visibilityTimeout: 2 });
    const { queueUrl: acceptedUrl } = await createTestQueue('accepted', { fifo: true, visibilityTimeout: 2 });
    const orders = createOrderConsumer({ client: dynamoClient(), tableName, acceptedQueueUrl: acceptedUrl });
    const accepted = createOrderAcceptedConsumer({ client: dynamoClient(), tableName });
    const given = new Set<string>();
    const relay = await startLocalOutboxRelay({
      client: dynamoClient(),
      tableName,
      handler: async (event) => {
        const response = await relayOutbox(event, { clients: { sqs: sqsClient(), dynamodb: dynamoClient() }, logger: quiet });
        const first = event.Records[0]?.dynamodb?.SequenceNumber ?? '';
        if (!given.has(first)) {
          given.add(first);
          throw new Error('relay answer lost after publishing');
        }
        return response;
      },
    });
    const context = createLambdaContext();
    const orderSource = startLocalEventSource({ client: sqsClient(), queueUrl: ordersUrl, handler: (e: SQSEvent) => orders(e, context) });
    const acceptedSource = startLocalEventSource({
      client: sqsClient(),
      queueUrl: acceptedUrl,
      handler: (e: SQSEvent) => accepted(e, context),
    });
    try {
      const placed: OrderPlaced[] = [
        { orderId: 'o-1', customerId: 'alice', amountCents: 1_000 },
        { orderId: 'o-2', customerId: 'alice', amountCents: 250 },
        { orderId: 'o-3', customerId: 'bob', amountCents: 99 },
      ];
      const sends = [...placed, ...placed, ...placed];
      await sqsClient().send(
        new SendMessageBatchCommand({
          QueueUrl: ordersUrl,
          Entries: sends.map((order, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(order),
            MessageGroupId: order.customerId,
            MessageDeduplicationId: `${order.orderId}-copy-${index}`,
          })),
        }),
      );
      await orderSource.idle();
      await relay.idle();
      await acceptedSource.idle();

      for (const order of placed) {
        const { Item } = await dynamoClient().send(
          new GetItemCommand({ TableName: tableName, Key: { id: { S: `confirmation#${order.orderId}` } }, ConsistentRead: true }),
        );
        expect({ order: order.orderId, confirmations: Item?.['confirmations']?.N }).toEqual({ order: order.orderId, confirmations: '1' });
      }
      // Every relay batch was given twice: the messages were sent again with the same ids (dropped by the FIFO
      // queue's deduplication within 5 minutes, and by the consumer's outbox-id key after).
      expect(relay.stats().failedInvocations).toBeGreaterThan(0);
    } finally {
      await Promise.all([orderSource.stop(), acceptedSource.stop(), relay.stop()]);
    }
  });
});
