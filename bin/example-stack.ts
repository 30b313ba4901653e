/**
 * The example app: an order consumer on a FIFO queue, built from the effectively-once constructs and
 * checked by cdk-nag (AWS Solutions rules). `bin/app.ts` synthesizes it for the CDK CLI; the tests
 * build it in-process through {@link buildExampleApp}.
 */
import * as path from 'node:path';
import { App, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { IdempotentQueueConsumer } from '../constructs';

/** Name of the example stack. */
export const EXAMPLE_STACK_NAME = 'EffectivelyOnceExample';

/** The example handler bundled for the order consumer. */
export const ORDER_CONSUMER_ENTRY = path.join(__dirname, '..', 'handlers', 'order-consumer.ts');

/**
 * How long the example keeps orders in the queue and idempotency records in the table. Both are equal so
 * that a duplicate can never outlive the record of its first delivery; the order handler's
 * `expiresAfterSeconds` must be this value too.
 */
export const ORDER_RETENTION = Duration.days(4);

/**
 * cdk-nag findings acknowledged in the example, each with its reason. Kept in one list so the README and
 * the tests quote the same text. The `AwsSolutions::` prefix makes CDK itself record the acknowledgement:
 * the finding stays listed, with its reason, under `suppressedViolations` in the validation report.
 */
export const EXAMPLE_ACKNOWLEDGEMENTS: readonly { readonly id: string; readonly reason: string }[] = [
  {
    id: 'AwsSolutions::AwsSolutions-L1',
    reason:
      'The consumer is pinned to Node.js 22 (the runtime the library is built and tested on); ' +
      'moving to a newer runtime is a deliberate upgrade, not something a synth should do silently.',
  },
];

/** Props of {@link EffectivelyOnceExampleStack}. */
export interface EffectivelyOnceExampleStackProps extends StackProps {
  /**
   * Handler file bundled for the order consumer.
   *
   * @default - `ORDER_CONSUMER_ENTRY` (handlers/order-consumer.ts)
   */
  readonly orderConsumerEntry?: string;
}

/** An order consumer on a FIFO queue, with its dead-letter queue, idempotency table and alarms. */
export class EffectivelyOnceExampleStack extends Stack {
  /** The order consumer. */
  public readonly orders: IdempotentQueueConsumer;

  public constructor(scope: Construct, id: string, props: EffectivelyOnceExampleStackProps = {}) {
    super(scope, id, {
      description: 'effectively-once example: an idempotent order consumer on an SQS FIFO queue',
      ...props,
    });

    this.orders = new IdempotentQueueConsumer(this, 'Orders', {
      entry: props.orderConsumerEntry ?? ORDER_CONSUMER_ENTRY,
      timeout: Duration.seconds(30),
      fifo: true,
      batchSize: 10,
      maxConcurrency: 5,
      retentionPeriod: ORDER_RETENTION,
      idempotencyRetention: ORDER_RETENTION,
    });

    for (const acknowledgement of EXAMPLE_ACKNOWLEDGEMENTS) {
      Validations.of(this.orders).acknowledge(acknowledgement);
    }

    new CfnOutput(this, 'OrderQueueUrl', { value: this.orders.queue.queueUrl });
    new CfnOutput(this, 'OrderDeadLetterQueueUrl', { value: this.orders.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.orders.table.tableName });
  }
}

/** Options of {@link buildExampleApp}. */
export interface ExampleAppOptions {
  /**
   * Where the cloud assembly is written.
   *
   * @default - the CDK CLI's `cdk.out` when run by the CLI, otherwise a temporary directory
   */
  readonly outdir?: string;
  /**
   * Handler file bundled for the order consumer.
   *
   * @default - `ORDER_CONSUMER_ENTRY` (handlers/order-consumer.ts)
   */
  readonly orderConsumerEntry?: string;
}

/** The example app and its stack, with cdk-nag's AWS Solutions checks registered as a validation plugin. */
export function buildExampleApp(options: ExampleAppOptions = {}): { app: App; stack: EffectivelyOnceExampleStack } {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const stack = new EffectivelyOnceExampleStack(app, EXAMPLE_STACK_NAME, {
    orderConsumerEntry: options.orderConsumerEntry,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
