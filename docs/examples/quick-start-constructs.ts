// docs/examples/quick-start-constructs.ts
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { IdempotentQueueConsumer } from 'effectively-once/constructs';

// bin/app.ts of your CDK app: `createApp().synth()`.
export function createApp(): App {
  const app = new App();
  const stack = new Stack(app, 'Orders');
  // A FIFO queue and its DLQ, the function bundled from `entry`, the idempotency table, alarms.
  new IdempotentQueueConsumer(stack, 'Orders', { entry: path.join(__dirname, '../handlers/order-consumer.ts') });
  return app;
}
