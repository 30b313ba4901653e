import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTBOX_ATTRIBUTE } from '../lib/outbox/items';
import {
  DEFAULT_ITERATOR_AGE_ALARM_THRESHOLD,
  DEFAULT_RELAY_BATCH_SIZE,
  DEFAULT_RELAY_RETRY_ATTEMPTS,
  DEFAULT_RELAY_TIMEOUT,
  FAILED_RECORDS_RETENTION,
} from './defaults';
import { ConstructValidationError, describeDuration } from './errors';
import { IdempotencyTable } from './idempotency-table';
import { createConsumerFunction } from './idempotent-queue-consumer-function';
import type { ConsumerFunctionProps } from './idempotent-queue-consumer-props';

/** Props of {@link OutboxRelay}. */
export interface OutboxRelayProps {
  /** The idempotency table whose outbox the relay publishes (created in this app: its stream is enabled here). */
  readonly table: IdempotencyTable;
  /**
   * Queues the handlers publish to: the relay may `sqs:SendMessage` to these only.
   * @default - none (at least one queue, topic or bus is required)
   */
  readonly queues?: readonly sqs.IQueue[];
  /**
   * Topics the handlers publish to: the relay may `sns:Publish` to these only.
   * @default - none
   */
  readonly topics?: readonly sns.ITopic[];
  /**
   * Event buses the handlers publish to: the relay may `events:PutEvents` to these only.
   * @default - none
   */
  readonly eventBuses?: readonly events.IEventBus[];
  /**
   * Stream records per invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a batch whose messages were not all published before its records go to the on-failure
   * queue (their outbox items stay in the table: `republishOutbox` sends them).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * The iterator age (how far behind the stream the relay is) above which the iterator age alarm fires.
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /**
   * The relay function's timeout.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Props of the relay function (memory, VPC, ...), as for `IdempotentQueueConsumer`.
   * @default - Node.js on arm64, its own log group and role, bundled by the local esbuild
   */
  readonly functionProps?: ConsumerFunctionProps;
}

/** The alarms of {@link OutboxRelay} (without actions: add yours). */
export interface OutboxRelayAlarms {
  /** The relay is more than `iteratorAgeAlarmThreshold` behind the table's stream. */
  readonly iteratorAge: cloudwatch.Alarm;
  /** Stream records that failed every retry reached the on-failure queue: run `republishOutbox`. */
  readonly failedRecords: cloudwatch.Alarm;
}

/**
 * The transactional outbox relay: enables the idempotency table's stream (`NEW_IMAGE`), filters it to outbox
 * items, and runs `relayOutbox` on them with `ReportBatchItemFailures`; the function may publish to the
 * named queues, topics and buses only, and delete the published outbox items (`dynamodb:BatchWriteItem`);
 * records that failed every retry go to an on-failure queue; alarms on iterator age and failures.
 *
 * @example
 * const relay = new OutboxRelay(this, 'Outbox', { table: consumer.table as IdempotencyTable, queues: [downstream.queue] });
 */
export class OutboxRelay extends Construct {
  /** The relay function. */
  public readonly function: lambda.IFunction;
  /** Where the positions of stream records that failed every retry go. */
  public readonly failedRecords: sqs.Queue;
  /** The alarms on iterator age and failed records. */
  public readonly alarms: OutboxRelayAlarms;
  /** The table's stream. */
  public readonly streamArn: string;

  public constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? DEFAULT_RELAY_BATCH_SIZE;
    const retryAttempts = props.retryAttempts ?? DEFAULT_RELAY_RETRY_ATTEMPTS;
    const iteratorAge = props.iteratorAgeAlarmThreshold ?? DEFAULT_ITERATOR_AGE_ALARM_THRESHOLD;
    if (!(props.table instanceof IdempotencyTable) || !(props.table.table instanceof dynamodb.Table)) {
      throw new ConstructValidationError(
        this,
        'table',
        'Expected `table` to be a single-Region IdempotencyTable created in this app (the relay enables its stream)',
      );
    }
    if (!Token.isUnresolved(batchSize) && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)) {
      throw new ConstructValidationError(this, 'batchSize', `Expected \`batchSize\` to be an integer from 1 to 10000, got ${batchSize}`);
    }
    if (!Token.isUnresolved(retryAttempts) && (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 10_000)) {
      throw new ConstructValidationError(
        this,
        'retryAttempts',
        `Expected \`retryAttempts\` to be an integer from 0 to 10000, got ${retryAttempts}`,
      );
    }
    const targets = (props.queues?.length ?? 0) + (props.topics?.length ?? 0) + (props.eventBuses?.length ?? 0);
    if (targets === 0) {
      throw new ConstructValidationError(
        this,
        'queues',
        'Expected at least one of `queues`, `topics` or `eventBuses`: the relay may publish only to targets named here',
      );
    }

    const cfnTable = props.table.table.node.defaultChild as dynamodb.CfnTable;
    cfnTable.streamSpecification = { streamViewType: dynamodb.StreamViewType.NEW_IMAGE };
    this.streamArn = cfnTable.attrStreamArn;

    const timeout = props.timeout ?? DEFAULT_RELAY_TIMEOUT;
    const fn = createConsumerFunction(this, relayEntry(), timeout, props.functionProps, 'outbox relay');
    this.function = fn;
    const role = fn.role as iam.IRole;

    // Reading the stream: the stream's actions on its ARN; ListStreams has no resource-level permission.
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resourceArns: [this.streamArn],
    });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['dynamodb:ListStreams'], resourceArns: ['*'] });
    // Deleting published outbox items.
    iam.Grant.addToPrincipal({ grantee: role, actions: ['dynamodb:BatchWriteItem'], resourceArns: [props.table.tableArn] });
    props.table.encryptionKey?.grantDecrypt(role);

    for (const queue of props.queues ?? []) {
      iam.Grant.addToPrincipal({ grantee: role, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
      queue.encryptionMasterKey?.grantEncryptDecrypt(role);
    }
    for (const topic of props.topics ?? []) {
      iam.Grant.addToPrincipal({ grantee: role, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
      topic.masterKey?.grantEncryptDecrypt(role);
    }
    for (const bus of props.eventBuses ?? []) {
      iam.Grant.addToPrincipal({ grantee: role, actions: ['events:PutEvents'], resourceArns: [bus.eventBusArn] });
    }

    this.failedRecords = new sqs.Queue(this, 'FailedRecords', {
      retentionPeriod: FAILED_RECORDS_RETENTION,
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    const mapping = new lambda.EventSourceMapping(this, 'StreamMapping', {
      target: fn,
      eventSourceArn: this.streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize,
      retryAttempts,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failedRecords),
      // Outbox items only: idempotency records never carry the attribute.
      filters: [lambda.FilterCriteria.filter({ dynamodb: { NewImage: { [OUTBOX_ATTRIBUTE]: { S: lambda.FilterRule.exists() } } } })],
    });
    mapping.node.addDependency(role);
    iam.Grant.addToPrincipal({ grantee: role, actions: ['sqs:SendMessage'], resourceArns: [this.failedRecords.queueArn] });

    this.alarms = {
      iteratorAge: new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
        alarmDescription: `The outbox relay ${this.node.path} is more than ${describeDuration(iteratorAge)} behind the idempotency table's stream: messages are late.`,
        metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: iteratorAge.toMilliseconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failedRecords: new cloudwatch.Alarm(this, 'FailedRecordsAlarm', {
        alarmDescription: `Outbox records of ${this.node.path} failed every retry: their messages are still in the table; run republishOutbox once the cause is fixed.`,
        metric: this.failedRecords.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }
}

/** The relay's entry: the TypeScript source in this repository, the compiled module in the package. */
function relayEntry(): string {
  const source = path.join(__dirname, '..', 'lib', 'outbox', 'handler.ts');
  return fs.existsSync(source) ? source : path.join(__dirname, '..', 'lib', 'outbox', 'handler.js');
}
