// docs/examples/outbox-publish.ts
import { commitWith, DynamoDBStore, processSqsBatch } from 'effectively-once';
import { publish, sqsQueue } from 'effectively-once/outbox';
import type { SQSEvent } from 'aws-lambda';

const store = new DynamoDBStore(); // IDEMPOTENCY_TABLE_NAME
const accepted = sqsQueue(process.env['ACCEPTED_QUEUE_URL'] ?? 'https://sqs.us-east-1.amazonaws.com/123456789012/accepted.fifo');

export const handler = (event: SQSEvent) =>
  processSqsBatch<{ orderId: string; customerId: string }>(
    event,
    async (_record, { body }) => {
      commitWith({ Put: { TableName: 'orders', Item: { id: body.orderId, status: 'ACCEPTED' } } });
      // Committed in the same transaction as the order and the idempotency record, and only with them.
      publish(accepted, { type: 'OrderAccepted', orderId: body.orderId }, { groupId: body.customerId });
    },
    { store, key: 'body.orderId' },
  );
