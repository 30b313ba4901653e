// docs/examples/migrate-powertools-after.ts (the same handler with effectively-once)
import type { Context } from 'aws-lambda';
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

type OrderEvent = { orderId: string; customerId: string; amountCents: number };
declare function chargeOrder(order: OrderEvent): Promise<{ chargeId: string }>; // your code

const store = new DynamoDBStore({ tableName: 'IdempotencyTable' });

export const handler = makeIdempotent(async (order: OrderEvent, _context: Context) => chargeOrder(order), {
  store,
  key: 'orderId', // or a function: (order) => order.orderId
  fingerprint: '[customerId, amountCents]',
  expiresAfterSeconds: 24 * 60 * 60,
  localCache: { maxItems: 512 },
  // A missing key is refused by default (onMissingKey: 'throw').
  onReplay: (result) => ({ ...result, replayed: true }), // typed by chargeOrder's result
});
