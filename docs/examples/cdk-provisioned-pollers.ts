// docs/examples/cdk-provisioned-pollers.ts
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { IdempotentQueueConsumer } from 'effectively-once/constructs';

export function burstyConsumer(stack: Stack): IdempotentQueueConsumer {
  return new IdempotentQueueConsumer(stack, 'Orders', {
    entry: path.join(__dirname, '../handlers/order-consumer.ts'),
    // Provisioned mode: 5 pollers always ready (billed), up to 100 in a burst; not with maxConcurrency.
    provisionedPollers: { minimum: 5, maximum: 100 },
  });
}
