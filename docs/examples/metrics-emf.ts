// docs/examples/metrics-emf.ts
import { DynamoDBStore, makeIdempotent } from 'effectively-once';
import { emfMetrics } from 'effectively-once/metrics';
import { processSqsBatch, type SqsEvent } from 'effectively-once/sqs';

declare function chargeCard(event: { orderId: string; amount: number }): Promise<void>; // your code

const store = new DynamoDBStore();
// One sink for the whole function: CloudWatch extracts the metrics from the log lines it writes to stdout.
const metrics = emfMetrics({ namespace: 'Orders', dimensions: { Service: 'orders' } });

export const handler = makeIdempotent(
  async (event: { orderId: string; amount: number }) => {
    await chargeCard(event);
    return { charged: event.amount };
  },
  { store, key: 'orderId', metrics },
);

export const consumer = (event: SqsEvent) => processSqsBatch(event, async () => undefined, { store, key: 'body.orderId', metrics });
