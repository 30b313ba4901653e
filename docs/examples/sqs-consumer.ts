// docs/examples/sqs-consumer.ts
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { commitWith, DynamoDBStore } from 'effectively-once';
import { processSqsBatch, type SqsBatchOptions } from 'effectively-once/sqs';

interface OrderPlaced {
  orderId: string;
  customerId: string;
  amountCents: number;
}

// Defined once, at module scope: validated once, and the engine (with its local cache) is kept.
const options: SqsBatchOptions<OrderPlaced> = {
  store: new DynamoDBStore(), // table name from IDEMPOTENCY_TABLE_NAME
  name: 'orders',
  key: (_record, { body }) => body.orderId, // the business key (see below)
  fingerprint: (_record, { body }) => [body.customerId, body.amountCents],
  expiresAfterSeconds: 4 * 24 * 60 * 60, // = the queue's retention period
};

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processSqsBatch(
    event,
    async (_record, { body: order }) => {
      // Committed in ONE DynamoDB transaction with the idempotency record: a crash before it leaves
      // nothing, a crash after it leaves a record that the redelivery replays.
      commitWith({
        Update: {
          TableName: process.env.ORDERS_TABLE_NAME,
          Key: { id: `customer#${order.customerId}` },
          UpdateExpression: 'ADD orderCount :one, totalCents :amount',
          ExpressionAttributeValues: { ':one': 1, ':amount': order.amountCents },
        },
      });
      return { orderId: order.orderId }; // stored, replayed to duplicates
    },
    { ...options, context },
  );
