// docs/examples/kinesis-consumer.ts
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { DynamoDBStore } from 'effectively-once';
import { processStreamBatch, type KinesisBatchOptions } from 'effectively-once/streams';

interface OrderPlaced {
  orderId: string;
}
declare function ship(order: OrderPlaced): Promise<void>; // your code

const options: KinesisBatchOptions<OrderPlaced> = { store: new DynamoDBStore(), key: (_record, { data }) => data.orderId };

export const handler = (event: KinesisStreamEvent, context: Context) =>
  processStreamBatch(event, async (_record, { data: order }) => ship(order), { ...options, context });
