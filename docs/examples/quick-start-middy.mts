// docs/examples/quick-start-middy.mts (an ES module: @middy/core is ESM-only)
import middy from '@middy/core';
import { DynamoDBStore, idempotencyMiddleware } from 'effectively-once';

interface OrderEvent {
  orderId: string;
  amount: number;
}
declare function processOrder(event: OrderEvent): Promise<{ charged: number }>; // your code

const store = new DynamoDBStore();

export const handler = middy(async (event: OrderEvent) => processOrder(event)).use(idempotencyMiddleware({ store, key: 'orderId' })); // use it first, so step/commitWith find it
