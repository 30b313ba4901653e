// docs/examples/cdk-app.ts
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IdempotencyTable, IdempotentQueueConsumer } from 'effectively-once/constructs';

// bin/app.ts of your CDK app: `createApp().synth()`.
export function createApp(): App {
  const app = new App();
  const stack = new Stack(app, 'Orders');

  const table = new IdempotencyTable(stack, 'Idempotency'); // id (S), TTL on expiration, PITR, encrypted, RETAIN
  const orders = new IdempotentQueueConsumer(stack, 'Orders', {
    entry: path.join(__dirname, '../handlers/order-consumer.ts'), // bundled with the local esbuild, Node.js 22, arm64
    timeout: Duration.seconds(30), // queue visibility timeout = 6 x 30 s
    maxConcurrency: 5,
    retentionPeriod: Duration.days(4),
    idempotencyRetention: Duration.days(4), // = expiresAfterSeconds in the handler
    table, // optional: one is created otherwise
  });
  const onCall = new sns.Topic(stack, 'OnCall', { enforceSSL: true }); // cdk-nag AwsSolutions-SNS3
  orders.alarms.deadLetterQueueDepth.addAlarmAction(new SnsAction(onCall));
  orders.alarms.oldestMessageAge.addAlarmAction(new SnsAction(onCall));

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Validations.of(orders).acknowledge({ id: 'AwsSolutions::AwsSolutions-L1', reason: 'Pinned to Node.js 22 on purpose.' });
  return app;
}
