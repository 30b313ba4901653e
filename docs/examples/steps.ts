// docs/examples/steps.ts
import { DynamoDBStore, downstreamKey, makeIdempotent, step } from 'effectively-once';

interface Order {
  orderId: string;
  amountCents: number;
}
interface Charge {
  id: string;
}
declare const payments: { charge(order: Order, options: { idempotencyKey: string }): Promise<Charge> }; // yours
declare const mailer: { sendReceipt(order: Order, charge: Charge): Promise<void> }; // yours

const store = new DynamoDBStore();

export const handler = makeIdempotent(
  async (order: Order) => {
    const charge = await step('charge', () => payments.charge(order, { idempotencyKey: downstreamKey('charge') }));
    await step('email', () => mailer.sendReceipt(order, charge));
    return { chargeId: charge.id };
  },
  { store, key: 'orderId' },
);
