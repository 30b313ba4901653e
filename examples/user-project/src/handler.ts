// examples/user-project/src/handler.ts
import { DynamoDBStore, downstreamKey, makeIdempotent, step } from 'effectively-once';
import { charge, type Payment } from './payments';

// At module level, as in production: the table name comes from IDEMPOTENCY_TABLE_NAME when first used.
export const store = new DynamoDBStore();

/** The handler, with the clock tests inject to make leases expire (`Date.now` in production). */
export function createHandler(clock: () => number = Date.now) {
  return makeIdempotent(
    async (payment: Payment) => {
      // A step: checkpointed, so a retry never charges again; the key lets the provider dedupe too.
      await step('charge', () => charge(payment, downstreamKey('charge')));
      return { charged: payment.amountCents }; // stored, and replayed to every duplicate
    },
    { store, key: 'paymentId', name: 'payments', clock },
  );
}

export const handler = createHandler();
