// docs/examples/outbox-consumer.ts
import { DynamoDBStore, processSqsBatch } from 'effectively-once';
import { outboxMessageId } from 'effectively-once/outbox';
import type { SQSEvent } from 'aws-lambda';

const store = new DynamoDBStore();

// Keyed by the id the relay sends with every copy: a message relayed twice is applied once.
export const handler = (event: SQSEvent) =>
  processSqsBatch(
    event,
    async (_record, { body }) => {
      console.log('order accepted', body);
    },
    { store, key: outboxMessageId },
  );
