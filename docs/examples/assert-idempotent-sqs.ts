// docs/examples/assert-idempotent-sqs.ts
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Arbitrary } from 'fast-check';
import type { SqsBatchResponse, SqsEvent } from 'effectively-once/sqs';
import { assertIdempotent } from 'effectively-once/testing';

interface OrderEvent {
  eventId: string;
  amountCents: number;
}
declare function consumer(event: SqsEvent): Promise<SqsBatchResponse>; // your processSqsBatch handler
declare function sqsEventOf(event: OrderEvent): SqsEvent; // builds a one-record SQS event
declare const client: DynamoDBClient;
declare const inputs: Arbitrary<OrderEvent>;
declare function snapshot(event: OrderEvent): Promise<unknown>;
declare function recover(): void;

export async function consumerIsIdempotent(): Promise<void> {
  class RecordFailed extends Error {}
  await assertIdempotent(
    async (event, { namespace }) => {
      const response = await consumer(sqsEventOf({ ...event, eventId: `${namespace}-${event.eventId}` }));
      if (response.batchItemFailures.length > 0) throw new RecordFailed();
      return 'deleted';
    },
    { inputs, snapshot, clients: [client], recover, redeliverWhen: (e) => e instanceof RecordFailed },
  );
}
