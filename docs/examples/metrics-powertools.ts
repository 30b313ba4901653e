// docs/examples/metrics-powertools.ts
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBStore, makeIdempotent } from 'effectively-once';
import { powertoolsMetrics } from 'effectively-once/metrics';

declare function chargeCard(event: { orderId: string; amount: number }): Promise<void>; // your code

const store = new DynamoDBStore();
const metrics = new Metrics({ namespace: 'Orders', serviceName: 'orders' }); // yours, as you configure it

export const handler = makeIdempotent(
  async (event: { orderId: string; amount: number }) => {
    await chargeCard(event);
    metrics.addMetric('OrdersCharged', 'Count', 1); // your own metrics, flushed as you flush them
    metrics.publishStoredMetrics();
    return { charged: event.amount };
  },
  { store, key: 'orderId', metrics: powertoolsMetrics(metrics) },
);
