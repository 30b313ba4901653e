// docs/examples/quick-start.ts
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

declare function chargeCard(event: { orderId: string; amount: number }): Promise<void>; // your code

const store = new DynamoDBStore(); // table name from IDEMPOTENCY_TABLE_NAME (the CDK construct sets it)

export const handler = makeIdempotent(
  async (event: { orderId: string; amount: number }) => {
    await chargeCard(event); // runs once per orderId
    return { charged: event.amount }; // stored, and replayed to every duplicate
  },
  { store, key: 'orderId' }, // a JMESPath expression on the event, or a function
);
