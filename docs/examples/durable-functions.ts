// docs/examples/durable-functions.ts
import { withDurableExecution, type DurableContext } from '@aws/durable-execution-sdk-js';
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

interface OrderEvent {
  orderId: string;
  amountCents: number;
}
declare const payments: { charge(order: OrderEvent): Promise<{ id: string }> }; // yours
declare const shipping: { ship(orderId: string): Promise<void> }; // yours

const store = new DynamoDBStore();

export const handler = withDurableExecution(
  makeIdempotent(
    async (order: OrderEvent, ctx: DurableContext) => {
      const charge = await ctx.step('charge', () => payments.charge(order));
      await ctx.wait('cooling-off', { hours: 24 }); // the invocation ends here; a new one resumes the execution
      await ctx.step('ship', () => shipping.ship(order.orderId));
      return { chargeId: charge.id };
    },
    // Another execution with the same orderId: IdempotencyInProgressError while this one runs or waits,
    // the stored result once it completed.
    { store, key: 'orderId', durableExecutionTimeoutSeconds: 7 * 24 * 3600 }, // the function's ExecutionTimeout
  ),
);
