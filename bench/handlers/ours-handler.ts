/** Footprint probe: an idempotent Lambda handler written with effectively-once. */
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

const store = new DynamoDBStore();

export const handler = makeIdempotent(
  async (event: { orderId: string; amount: number }) => ({ status: 'accepted', orderId: event.orderId }),
  { store, key: (event) => event.orderId },
);
