import { Annotations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE_NAME_ENV } from '../lib/persistence/schema';
import { DEAD_LETTER_QUEUE_RETENTION, DEFAULT_FUNCTION_TIMEOUT, QUEUE_VISIBILITY_ACTIONS } from './defaults';
import { idempotencyTableOf } from './idempotency-table';
import type { IIdempotencyTable } from './idempotency-table';
import { createConsumerAlarms } from './idempotent-queue-consumer-alarms';
import { createConsumerFunction } from './idempotent-queue-consumer-function';
import { CONSUMER_WARNINGS } from './idempotent-queue-consumer-props';
import type { IdempotentQueueConsumerAlarms, IdempotentQueueConsumerProps } from './idempotent-queue-consumer-props';
import { resolveConsumerSettings, warnIfIdempotencyRetentionShort } from './idempotent-queue-consumer-validation';

/**
 * An SQS queue (FIFO by default) with its dead-letter queue, a Lambda consumer reporting batch item
 * failures, an idempotency table granted to the consumer and two alarms, set up following AWS guidance.
 *
 * @example
 * const consumer = new IdempotentQueueConsumer(this, 'Orders', {
 *   entry: path.join(__dirname, '../handlers/order-consumer.ts'),
 * });
 * consumer.alarms.deadLetterQueueDepth.addAlarmAction(new SnsAction(topic));
 */
export class IdempotentQueueConsumer extends Construct {
  /** The queue the function consumes. */
  public readonly queue: sqs.Queue;
  /** The dead-letter queue of `queue`. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The consuming function. */
  public readonly function: lambda.IFunction;
  /** The idempotency table the function is granted. */
  public readonly table: IIdempotencyTable;
  /** The alarms on the dead-letter queue depth and on the age of the oldest message. */
  public readonly alarms: IdempotentQueueConsumerAlarms;

  public constructor(scope: Construct, id: string, props: IdempotentQueueConsumerProps) {
    super(scope, id);

    // Every prop is checked before anything is created.
    const settings = resolveConsumerSettings(this, props);

    // --- Queues -----------------------------------------------------------------------------------------
    const encryption = props.queueEncryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.queueEncryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new sqs.Queue(this, 'DeadLetterQueue', {
        fifo: settings.fifo ? true : undefined,
        retentionPeriod: DEAD_LETTER_QUEUE_RETENTION,
        enforceSSL: true,
        ...encryption,
      });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: settings.fifo ? true : undefined,
      visibilityTimeout: settings.visibilityTimeout,
      retentionPeriod: settings.retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      enforceSSL: true,
      ...encryption,
    });

    // --- Function and event source ----------------------------------------------------------------------
    this.function =
      props.handler ??
      createConsumerFunction(this, props.entry as string, settings.functionTimeout ?? DEFAULT_FUNCTION_TIMEOUT, props.functionProps);
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
        provisionedPollerConfig:
          props.provisionedPollers === undefined
            ? undefined
            : { minimumPollers: props.provisionedPollers.minimum, maximumPollers: props.provisionedPollers.maximum },
        reportBatchItemFailures: true,
      }),
    );
    // The event source grants receive and delete; the library also extends visibility of long handlers.
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: [...QUEUE_VISIBILITY_ACTIONS],
      resourceArns: [this.queue.queueArn],
    });

    // --- Idempotency table ------------------------------------------------------------------------------
    this.table = idempotencyTableOf(this, 'Table', props.table);
    if (this.function instanceof lambda.Function) {
      this.table.configureFunction(this.function);
    } else {
      this.table.grantIdempotency(this.function);
      Annotations.of(this).addWarningV2(
        CONSUMER_WARNINGS.tableNameNotSet,
        `handler is an imported function: ${IDEMPOTENCY_TABLE_NAME_ENV} cannot be set on it, so set it ` +
          `yourself or pass tableName to DynamoDBStore`,
      );
    }
    warnIfIdempotencyRetentionShort(this, settings.idempotencyRetention, settings.retentionPeriod);

    // --- Alarms -----------------------------------------------------------------------------------------
    this.alarms = createConsumerAlarms(this, {
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      maxReceiveCount: settings.maxReceiveCount,
      oldestMessageAgeAlarmThreshold: settings.oldestMessageAgeAlarmThreshold,
    });
  }

  /**
   * Grants the idempotency actions on this consumer's table (and its key, if customer managed) to another
   * principal, e.g. a second function sharing the records.
   */
  public grantIdempotency(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantIdempotency(grantee);
  }
}
