// docs/examples/outbox-relay-cdk.ts
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { IdempotencyTable, IdempotentQueueConsumer, OutboxRelay } from 'effectively-once/constructs';

const app = new App();
const stack = new Stack(app, 'Orders');
const table = new IdempotencyTable(stack, 'Idempotency');
const accepted = new IdempotentQueueConsumer(stack, 'Accepted', {
  entry: path.join(__dirname, 'outbox-consumer.ts'),
  table,
});
new IdempotentQueueConsumer(stack, 'Orders', { entry: path.join(__dirname, 'outbox-publish.ts'), table });
// The relay may send to the accepted-orders queue only.
new OutboxRelay(stack, 'Outbox', { table, queues: [accepted.queue] });
