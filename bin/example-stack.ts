/**
 * The example app: every example handler of `handlers/` deployed with the effectively-once constructs and
 * checked by cdk-nag (AWS Solutions rules): the order consumer on a FIFO queue (publishing "order accepted"
 * through the outbox relay to a second FIFO queue and its idempotent consumer), the orders HTTP API, the
 * order-status projection fed by a DynamoDB stream, and the payment function. `bin/app.ts` synthesizes it
 * for the CDK CLI; the tests and `scripts/architecture.ts` build it in-process through {@link buildExampleApp}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { IdempotencyTable, IdempotentQueueConsumer, OutboxRelay } from '../constructs';
import type { IIdempotencyTable } from '../constructs';
import { ACCEPTED_QUEUE_URL_ENV } from '../handlers/order-consumer';
import { OrderProjection, OrdersApi, Payments, runs } from './example-parts';

/** Name of the example stack. */
export const EXAMPLE_STACK_NAME = 'EffectivelyOnceExample';

/** The example handler bundled for the order consumer. */
export const ORDER_CONSUMER_ENTRY = path.join(__dirname, '..', 'handlers', 'order-consumer.ts');

/** The example handler bundled for the consumer of `OrderAccepted` messages. */
export const ORDER_ACCEPTED_ENTRY = path.join(__dirname, '..', 'handlers', 'order-accepted.ts');

/**
 * How long the example keeps orders in the queue and idempotency records in the table. Both are equal so
 * that a duplicate can never outlive the record of its first delivery; the order handler's
 * `expiresAfterSeconds` must be this value too.
 */
export const ORDER_RETENTION = Duration.days(4);

/** A cdk-nag finding acknowledged in the example: its ID, why, and on which construct. */
export interface ExampleAcknowledgement {
  /** `AwsSolutions::<rule>`, as CDK's validation report names it. */
  readonly id: string;
  /** Why the finding is accepted. */
  readonly reason: string;
  /** Path, under the stack, of the construct the acknowledgement covers (with its children); '' for the whole stack. */
  readonly at: string;
}

/**
 * cdk-nag findings acknowledged in the example, each with its reason and the narrowest construct it covers.
 * Kept in one list so the docs and the tests quote the same text. The `AwsSolutions::` prefix makes CDK
 * itself record the acknowledgement: the finding stays listed, with its reason, under `suppressedViolations`
 * in the validation report.
 */
export const EXAMPLE_ACKNOWLEDGEMENTS: readonly ExampleAcknowledgement[] = [
  {
    id: 'AwsSolutions::AwsSolutions-L1',
    reason:
      'The functions are pinned to Node.js 22 (the runtime the library is built and tested on); ' +
      'moving to a newer runtime is a deliberate upgrade, not something a synth should do silently.',
    at: '',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'dynamodb:ListStreams, which the DynamoDB event source needs, has no resource-level permission (its Resource must be *); ' +
      'the stream reads themselves are granted on the order-status table stream ARN only.',
    at: 'OrderProjection/FunctionRole',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'dynamodb:ListStreams, which reading the idempotency table stream needs, has no resource-level permission (its Resource must be *); ' +
      'the stream reads themselves are granted on the idempotency table stream ARN only.',
    at: 'Outbox/FunctionRole',
  },
  {
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      'The outbox relay FailedRecords queue is the on-failure destination of its stream: it holds the positions of outbox records that failed every retry ' +
      '(their messages stay in the table for republishOutbox), and its alarm fires on the first one.',
    at: 'Outbox/FailedRecords',
  },
  {
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      'FailedRecords is the on-failure destination of the stream event source: it holds the positions of changes that failed every retry, ' +
      'for an operator to inspect, and its alarm fires on the first one; a dead-letter queue behind it would only move those notes again.',
    at: 'OrderProjection/FailedRecords',
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

/**
 * Every example handler, deployed: the order consumer on a FIFO queue and the orders HTTP API share one
 * idempotency table; the payment function has its own; the order-status projection needs none (a sequence
 * guard on each write).
 */
export class EffectivelyOnceExampleStack extends Stack {
  /** The idempotency table of the order consumer and the orders HTTP API (created by the consumer). */
  public readonly idempotency: IIdempotencyTable;
  /** The order consumer. */
  public readonly orders: IdempotentQueueConsumer;
  /** The consumer of the `OrderAccepted` messages the order consumer publishes through the outbox. */
  public readonly acceptedOrders: IdempotentQueueConsumer;
  /** The outbox relay of the shared idempotency table: sends the `OrderAccepted` messages. */
  public readonly outbox: OutboxRelay;
  /** `POST /orders` on an HTTP API, with the `Idempotency-Key` header. */
  public readonly ordersApi: OrdersApi;
  /** The order-status projection fed by a DynamoDB stream. */
  public readonly orderProjection: OrderProjection;
  /** The payment function and its own idempotency table. */
  public readonly payments: Payments;

  public constructor(scope: Construct, id: string, props: EffectivelyOnceExampleStackProps = {}) {
    super(scope, id, {
      description:
        'effectively-once example: an order consumer on an SQS FIFO queue, an orders HTTP API with Idempotency-Key, ' +
        'an order-status projection on a DynamoDB stream, and a payment function',
      ...props,
    });

    const orderConsumerEntry = props.orderConsumerEntry ?? ORDER_CONSUMER_ENTRY;
    this.orders = new IdempotentQueueConsumer(this, 'Orders', {
      entry: orderConsumerEntry,
      functionProps: { description: runs(orderConsumerEntry) },
      timeout: Duration.seconds(30),
      fifo: true,
      batchSize: 10,
      maxConcurrency: 5,
      retentionPeriod: ORDER_RETENTION,
      idempotencyRetention: ORDER_RETENTION,
    });
    this.idempotency = this.orders.table;
    // "Order accepted": published by the order consumer through the outbox, consumed once per message.
    this.acceptedOrders = new IdempotentQueueConsumer(this, 'AcceptedOrders', {
      entry: ORDER_ACCEPTED_ENTRY,
      functionProps: { description: runs(ORDER_ACCEPTED_ENTRY) },
      timeout: Duration.seconds(30),
      fifo: true,
      retentionPeriod: ORDER_RETENTION,
      idempotencyRetention: ORDER_RETENTION,
      table: this.idempotency,
    });
    (this.orders.function as lambda.Function).addEnvironment(ACCEPTED_QUEUE_URL_ENV, this.acceptedOrders.queue.queueUrl);
    this.outbox = new OutboxRelay(this, 'Outbox', { table: this.idempotency as IdempotencyTable, queues: [this.acceptedOrders.queue] });
    this.ordersApi = new OrdersApi(this, 'OrdersApi', { idempotencyTable: this.idempotency });
    this.orderProjection = new OrderProjection(this, 'OrderProjection');
    this.payments = new Payments(this, 'Payments');

    for (const { id: findingId, reason, at } of EXAMPLE_ACKNOWLEDGEMENTS) {
      Validations.of(constructAt(this, at)).acknowledge({ id: findingId, reason });
    }

    new CfnOutput(this, 'OrderQueueUrl', { value: this.orders.queue.queueUrl });
    new CfnOutput(this, 'OrderDeadLetterQueueUrl', { value: this.orders.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AcceptedOrderQueueUrl', { value: this.acceptedOrders.queue.queueUrl });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.idempotency.tableName });
    new CfnOutput(this, 'OrdersApiUrl', { value: this.ordersApi.stage.url });
    new CfnOutput(this, 'OrderStatusTableName', { value: this.orderProjection.sourceTable.tableName });
    new CfnOutput(this, 'OrderViewsTableName', { value: this.orderProjection.viewsTable.tableName });
    new CfnOutput(this, 'PaymentFunctionName', { value: this.payments.function.functionName });
    new CfnOutput(this, 'PaymentInvokePolicyArn', { value: this.payments.invokePolicy.managedPolicyArn });
  }
}

/** The construct at `path` (segments joined by `/`) under `root`; `root` itself for ''. Throws when there is none. */
function constructAt(root: IConstruct, at: string): IConstruct {
  return at === '' ? root : at.split('/').reduce<IConstruct>((scope, id) => scope.node.findChild(id), root);
}

/** The `context` of cdk.json: the feature flags a new `cdk init` app sets, applied to in-process synths too. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
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
  /**
   * Context set on the app over cdk.json's, e.g. `{ 'aws:cdk:bundling-stacks': [] }` to skip bundling.
   *
   * @default - cdk.json's context only
   */
  readonly context?: Record<string, unknown>;
}

/** The example app and its stack, with cdk-nag's AWS Solutions checks registered as a validation plugin. */
export function buildExampleApp(options: ExampleAppOptions = {}): { app: App; stack: EffectivelyOnceExampleStack } {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    context: { ...cdkJsonContext(), ...options.context },
  });
  const stack = new EffectivelyOnceExampleStack(app, EXAMPLE_STACK_NAME, {
    orderConsumerEntry: options.orderConsumerEntry,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
