import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE_NAME_ENV } from '../lib/persistence/schema';
import {
  ALARM_PERIOD,
  BUNDLING_EXTERNAL_MODULES,
  DEAD_LETTER_QUEUE_ALARM_THRESHOLD,
  DEAD_LETTER_QUEUE_RETENTION,
  DEFAULT_ARCHITECTURE,
  DEFAULT_BATCH_SIZE,
  DEFAULT_FIFO,
  DEFAULT_FUNCTION_TIMEOUT,
  DEFAULT_IDEMPOTENCY_RETENTION,
  DEFAULT_LOG_RETENTION,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD,
  DEFAULT_QUEUE_RETENTION,
  DEFAULT_RUNTIME,
  FUNCTION_ENVIRONMENT,
  LAMBDA_SERVICE_DEFAULT_TIMEOUT,
  MAX_BATCH_SIZE_WITH_WINDOW,
  MAX_BATCH_SIZE_WITHOUT_WINDOW,
  MAX_BATCHING_WINDOW,
  MAX_MAX_CONCURRENCY,
  MAX_MAX_RECEIVE_COUNT,
  MAX_QUEUE_RETENTION,
  MAX_VISIBILITY_TIMEOUT,
  MIN_MAX_CONCURRENCY,
  MIN_QUEUE_RETENTION,
  QUEUE_VISIBILITY_ACTIONS,
  VISIBILITY_TIMEOUT_MULTIPLIER,
} from './defaults';
import { ConstructValidationError } from './errors';
import { configureFunctionForTable, grantIdempotencyOnTable, IdempotencyTable } from './idempotency-table';

/**
 * Props of the function bundled from `entry` that can be passed through. `entry` and `timeout` are
 * top-level props of the consumer, so they are left out here.
 */
export type ConsumerFunctionProps = Omit<nodejs.NodejsFunctionProps, 'entry' | 'timeout'>;

/** Props of {@link IdempotentQueueConsumer}. Exactly one of `handler` and `entry` must be set. */
export interface IdempotentQueueConsumerProps {
  /**
   * An existing function to attach to the queue. Its timeout is read when it is a `lambda.Function`;
   * for an imported function, pass `timeout` (or `visibilityTimeout`) so the guardrails can apply.
   *
   * @default - a `NodejsFunction` bundled from `entry`
   */
  readonly handler?: lambda.IFunction;

  /**
   * Path of the handler source file to bundle with `NodejsFunction`: local esbuild (never Docker), Node.js
   * 22 (`DEFAULT_RUNTIME`) on ARM64 (`DEFAULT_ARCHITECTURE`), minified, with source maps (enabled at run
   * time by `NODE_OPTIONS=--enable-source-maps`, `FUNCTION_ENVIRONMENT`), `@aws-sdk/*` left to the runtime
   * (`BUNDLING_EXTERNAL_MODULES`). The handler must be exported as `handler`.
   *
   * @default - none: `handler` is used
   */
  readonly entry?: string;

  /**
   * Further props of the function bundled from `entry` (memory size, environment, role, log group,
   * runtime...). Ignored with `handler`. Its `environment` is merged over `FUNCTION_ENVIRONMENT`, its
   * `bundling` over this construct's bundling options (`forceDockerBundling` stays false). A given `role`
   * is granted write access to the log group.
   *
   * @default - the settings described at `entry`, a least-privilege role and a log group kept for
   * `DEFAULT_LOG_RETENTION` (one month)
   */
  readonly functionProps?: ConsumerFunctionProps;

  /**
   * Timeout of the function. With `entry` it sets the bundled function's timeout; with an imported
   * `handler` it tells the construct the function's timeout; with a `lambda.Function` handler, whose
   * timeout is read, it must be omitted or equal.
   *
   * @default Duration.seconds(30) (DEFAULT_FUNCTION_TIMEOUT) for `entry`; the function's own timeout
   * (Lambda's 3 seconds when unset) for a `lambda.Function` handler
   */
  readonly timeout?: Duration;

  /**
   * Whether the queue (and the dead-letter queue it creates) is FIFO. Lambda does not support a batching
   * window on FIFO queues.
   *
   * @default true (DEFAULT_FIFO)
   */
  readonly fifo?: boolean;

  /**
   * Largest number of messages in one invocation: 1 to 10, or up to 10,000 on a standard queue with a
   * `maxBatchingWindow`.
   *
   * @default 10 (DEFAULT_BATCH_SIZE)
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers messages before invoking the function, at most 5 minutes. Standard queues
   * only.
   *
   * @default - no batching window: the function is invoked as soon as messages are available
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Most concurrent invocations this event source can start, 2 to 1000.
   *
   * @default - no limit beyond the function's and the account's concurrency
   */
  readonly maxConcurrency?: number;

  /**
   * Receives of a message before it is moved to the dead-letter queue, 1 to 1000. Below 5 a warning is
   * added: throttled invocations count as receives, so a low value dead-letters healthy messages.
   *
   * @default 5 (DEFAULT_MAX_RECEIVE_COUNT)
   */
  readonly maxReceiveCount?: number;

  /**
   * Visibility timeout of the queue. Must be at least the function timeout (a synth-time error
   * otherwise); below 6 times the function timeout a warning is added.
   *
   * @default - 6 times the function timeout (VISIBILITY_TIMEOUT_MULTIPLIER)
   */
  readonly visibilityTimeout?: Duration;

  /**
   * How long the queue keeps a message, 1 minute to 14 days.
   *
   * @default Duration.days(4) (DEFAULT_QUEUE_RETENTION)
   */
  readonly retentionPeriod?: Duration;

  /**
   * An existing dead-letter queue. It must be of the same kind as the queue (FIFO or standard).
   *
   * @default - a new queue of the same kind, same encryption, SSL enforced, retention of 14 days
   * (DEAD_LETTER_QUEUE_RETENTION)
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Customer managed KMS key that encrypts the queue and the dead-letter queue it creates.
   *
   * @default - SSE-SQS (server-side encryption with SQS managed keys)
   */
  readonly queueEncryptionKey?: kms.IKey;

  /**
   * The idempotency table. An `IdempotencyTable` or any `dynamodb.ITable` with partition key `id`
   * (string) and Time To Live on `expiration`; the function is granted `IDEMPOTENCY_TABLE_ACTIONS` on it
   * and gets `IDEMPOTENCY_TABLE_NAME` (when it is a `lambda.Function`).
   *
   * @default - a new `IdempotencyTable` with its defaults
   */
  readonly table?: IdempotencyTable | dynamodb.ITable;

  /**
   * How long the handler keeps idempotency records: declare here the `expiresAfterSeconds` your handler
   * passes to the library. A value shorter than `retentionPeriod` adds a warning: a duplicate that waits
   * in the queue longer than this is processed again.
   *
   * @default - one hour (DEFAULT_IDEMPOTENCY_RETENTION), the library's default `expiresAfterSeconds`
   */
  readonly idempotencyRetention?: Duration;

  /**
   * The oldest-message alarm fires when the oldest message in the queue is older than this.
   *
   * @default Duration.minutes(15) (DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD)
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;
}

/** The alarms of an {@link IdempotentQueueConsumer}. They have no actions: add yours with `addAlarmAction`. */
export interface IdempotentQueueConsumerAlarms {
  /** Fires when at least one message is visible in the dead-letter queue. */
  readonly deadLetterQueueDepth: cloudwatch.Alarm;
  /** Fires when the oldest message of the queue is older than `oldestMessageAgeAlarmThreshold`. */
  readonly oldestMessageAge: cloudwatch.Alarm;
}

/** Warning IDs, for `Annotations.of(...).acknowledgeWarning(id, reason)`. */
export const CONSUMER_WARNINGS = Object.freeze({
  maxReceiveCountLow: 'effectively-once:maxReceiveCountBelowRecommended',
  visibilityTimeoutLow: 'effectively-once:visibilityTimeoutBelowRecommended',
  idempotencyRetentionShort: 'effectively-once:idempotencyRetentionShorterThanQueueRetention',
  tableNameNotSet: 'effectively-once:tableNameEnvironmentNotSet',
} as const);

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
  public readonly table: dynamodb.ITable;
  /** The alarms on the dead-letter queue depth and on the age of the oldest message. */
  public readonly alarms: IdempotentQueueConsumerAlarms;

  public constructor(scope: Construct, id: string, props: IdempotentQueueConsumerProps) {
    super(scope, id);

    // --- Validate everything before creating anything --------------------------------------------------
    if (props.handler !== undefined && props.entry !== undefined) {
      throw new ConstructValidationError(this, 'handler', 'exactly one of handler and entry must be set, got both');
    }
    if (props.handler === undefined && props.entry === undefined) {
      throw new ConstructValidationError(this, 'handler', 'exactly one of handler and entry must be set, got neither');
    }
    const fifo = props.fifo ?? DEFAULT_FIFO;
    const functionTimeout = this.resolveFunctionTimeout(props);
    const visibilityTimeout = this.resolveVisibilityTimeout(props, functionTimeout);
    this.validateEventSource(props, fifo);
    const maxReceiveCount = this.validateMaxReceiveCount(props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT);
    const retentionPeriod = this.validateRetention(props);
    if (props.deadLetterQueue !== undefined) this.validateDeadLetterQueueKind(props.deadLetterQueue, fifo);

    // --- Queues -----------------------------------------------------------------------------------------
    const encryption = props.queueEncryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.queueEncryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new sqs.Queue(this, 'DeadLetterQueue', {
        fifo: fifo ? true : undefined,
        retentionPeriod: DEAD_LETTER_QUEUE_RETENTION,
        enforceSSL: true,
        ...encryption,
      });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: fifo ? true : undefined,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      enforceSSL: true,
      ...encryption,
    });

    // --- Function and event source ----------------------------------------------------------------------
    this.function = props.handler ?? this.createFunction(props.entry as string, functionTimeout ?? DEFAULT_FUNCTION_TIMEOUT, props.functionProps);
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
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
    const table = props.table ?? new IdempotencyTable(this, 'Table');
    this.table = table instanceof IdempotencyTable ? table.table : table;
    if (this.function instanceof lambda.Function) {
      configureFunctionForTable(this.table, this.function);
    } else {
      grantIdempotencyOnTable(this.table, this.function);
      Annotations.of(this).addWarningV2(
        CONSUMER_WARNINGS.tableNameNotSet,
        `handler is an imported function: ${IDEMPOTENCY_TABLE_NAME_ENV} cannot be set on it, so set it ` +
          `yourself or pass tableName to DynamoDBStore`,
      );
    }
    this.warnIfIdempotencyRetentionShort(props.idempotencyRetention ?? DEFAULT_IDEMPOTENCY_RETENTION, retentionPeriod);

    // --- Alarms -----------------------------------------------------------------------------------------
    const oldestAgeThreshold = props.oldestMessageAgeAlarmThreshold ?? DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD;
    this.alarms = {
      deadLetterQueueDepth: new cloudwatch.Alarm(this, 'DeadLetterQueueDepthAlarm', {
        alarmDescription: `Messages in the dead-letter queue of ${this.node.path}: they failed ${maxReceiveCount} receives and need attention.`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: DEAD_LETTER_QUEUE_ALARM_THRESHOLD,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      oldestMessageAge: new cloudwatch.Alarm(this, 'OldestMessageAgeAlarm', {
        alarmDescription: `The oldest message of ${this.node.path} is older than ${describe(oldestAgeThreshold)}: the consumer is falling behind or failing.`,
        metric: this.queue.metricApproximateAgeOfOldestMessage({
          period: ALARM_PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: oldestAgeThreshold.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }

  /**
   * Grants `IDEMPOTENCY_TABLE_ACTIONS` on this consumer's table (and its key, if customer managed) to
   * another principal, e.g. a second function sharing the records.
   */
  public grantIdempotency(grantee: iam.IGrantable): iam.Grant {
    return grantIdempotencyOnTable(this.table, grantee);
  }

  // ---------------------------------------------------------------------------------------------------------

  private createFunction(entry: string, timeout: Duration, functionProps: ConsumerFunctionProps = {}): lambda.Function {
    const { bundling, ...rest } = functionProps;
    const logGroup =
      rest.logGroup ?? new logs.LogGroup(this, 'FunctionLogGroup', { retention: DEFAULT_LOG_RETENTION });
    // A role scoped to this function's log group instead of the AWSLambdaBasicExecutionRole managed policy.
    const role =
      rest.role ??
      new iam.Role(this, 'FunctionRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the consumer ${this.node.path}`,
      });
    // The log group ARN ends in `:*`, which covers its log streams.
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resourceArns: [logGroup.logGroupRef.logGroupArn],
    });
    return new nodejs.NodejsFunction(this, 'Function', {
      runtime: DEFAULT_RUNTIME,
      architecture: DEFAULT_ARCHITECTURE,
      ...rest,
      environment: { ...FUNCTION_ENVIRONMENT, ...rest.environment },
      entry,
      timeout,
      role,
      logGroup,
      bundling: {
        minify: true,
        sourceMap: true,
        externalModules: [...BUNDLING_EXTERNAL_MODULES],
        ...bundling,
        forceDockerBundling: false,
      },
    });
  }

  private resolveFunctionTimeout(props: IdempotentQueueConsumerProps): Duration | undefined {
    const handler = props.handler;
    if (handler === undefined) return props.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
    if (!(handler instanceof lambda.Function)) return props.timeout;
    const own = handler.timeout ?? LAMBDA_SERVICE_DEFAULT_TIMEOUT;
    if (props.timeout !== undefined && !props.timeout.isUnresolved() && !own.isUnresolved()) {
      if (props.timeout.toMilliseconds() !== own.toMilliseconds()) {
        throw new ConstructValidationError(
          this,
          'timeout',
          `timeout (${describe(props.timeout)}) differs from the handler's own timeout (${describe(own)}); omit timeout when handler is a lambda.Function`,
        );
      }
    }
    return own;
  }

  private resolveVisibilityTimeout(props: IdempotentQueueConsumerProps, functionTimeout: Duration | undefined): Duration {
    const given = props.visibilityTimeout;
    if (given === undefined) {
      if (functionTimeout === undefined) {
        throw new ConstructValidationError(
          this,
          'timeout',
          'the timeout of an imported handler cannot be read: pass timeout (or visibilityTimeout) so the visibility timeout can be derived',
        );
      }
      if (functionTimeout.isUnresolved()) {
        throw new ConstructValidationError(
          this,
          'visibilityTimeout',
          `visibilityTimeout cannot be derived from an unresolved function timeout (${functionTimeout.toString()}): pass visibilityTimeout`,
        );
      }
      const derived = Duration.seconds(Math.ceil(functionTimeout.toMilliseconds() / 1000) * VISIBILITY_TIMEOUT_MULTIPLIER);
      this.checkVisibilityUpperBound(derived, `6 times the function timeout (${describe(functionTimeout)})`);
      return derived;
    }
    if (given.isUnresolved()) return given;
    this.checkVisibilityUpperBound(given, `visibilityTimeout (${describe(given)})`);
    if (functionTimeout === undefined || functionTimeout.isUnresolved()) return given;
    if (given.toMilliseconds() < functionTimeout.toMilliseconds()) {
      throw new ConstructValidationError(
        this,
        'visibilityTimeout',
        `visibilityTimeout (${describe(given)}) must be at least the function timeout (${describe(functionTimeout)})`,
      );
    }
    if (given.toMilliseconds() < functionTimeout.toMilliseconds() * VISIBILITY_TIMEOUT_MULTIPLIER) {
      Annotations.of(this).addWarningV2(
        CONSUMER_WARNINGS.visibilityTimeoutLow,
        `visibilityTimeout (${describe(given)}) is less than ${VISIBILITY_TIMEOUT_MULTIPLIER} times the function timeout ` +
          `(${describe(functionTimeout)}): AWS recommends at least ${VISIBILITY_TIMEOUT_MULTIPLIER} times so Lambda can retry throttled batches`,
      );
    }
    return given;
  }

  private checkVisibilityUpperBound(value: Duration, what: string): void {
    if (value.toMilliseconds() > MAX_VISIBILITY_TIMEOUT.toMilliseconds()) {
      throw new ConstructValidationError(
        this,
        'visibilityTimeout',
        `${what} exceeds the largest visibility timeout SQS accepts (${describe(MAX_VISIBILITY_TIMEOUT)})`,
      );
    }
  }

  private validateEventSource(props: IdempotentQueueConsumerProps, fifo: boolean): void {
    const { batchSize, maxBatchingWindow, maxConcurrency } = props;
    if (maxBatchingWindow !== undefined && !maxBatchingWindow.isUnresolved()) {
      if (fifo) {
        throw new ConstructValidationError(
          this,
          'maxBatchingWindow',
          `maxBatchingWindow (${describe(maxBatchingWindow)}) is not supported on a FIFO queue: omit it or set fifo to false`,
        );
      }
      if (maxBatchingWindow.toMilliseconds() > MAX_BATCHING_WINDOW.toMilliseconds()) {
        throw new ConstructValidationError(
          this,
          'maxBatchingWindow',
          `maxBatchingWindow (${describe(maxBatchingWindow)}) must be at most ${describe(MAX_BATCHING_WINDOW)}`,
        );
      }
    }
    if (batchSize !== undefined && !Token.isUnresolved(batchSize)) {
      const max = maxBatchingWindow !== undefined && !fifo ? MAX_BATCH_SIZE_WITH_WINDOW : MAX_BATCH_SIZE_WITHOUT_WINDOW;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > max) {
        const context = max === MAX_BATCH_SIZE_WITH_WINDOW ? 'with a batching window' : fifo ? 'on a FIFO queue' : 'without a batching window';
        throw new ConstructValidationError(
          this,
          'batchSize',
          `batchSize (${batchSize}) must be an integer between 1 and ${max} ${context}`,
        );
      }
    }
    if (maxConcurrency !== undefined && !Token.isUnresolved(maxConcurrency)) {
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < MIN_MAX_CONCURRENCY || maxConcurrency > MAX_MAX_CONCURRENCY) {
        throw new ConstructValidationError(
          this,
          'maxConcurrency',
          `maxConcurrency (${maxConcurrency}) must be an integer between ${MIN_MAX_CONCURRENCY} and ${MAX_MAX_CONCURRENCY}`,
        );
      }
    }
  }

  private validateMaxReceiveCount(count: number): number {
    if (Token.isUnresolved(count)) return count;
    if (!Number.isInteger(count) || count < 1 || count > MAX_MAX_RECEIVE_COUNT) {
      throw new ConstructValidationError(
        this,
        'maxReceiveCount',
        `maxReceiveCount (${count}) must be an integer between 1 and ${MAX_MAX_RECEIVE_COUNT}`,
      );
    }
    if (count < DEFAULT_MAX_RECEIVE_COUNT) {
      Annotations.of(this).addWarningV2(
        CONSUMER_WARNINGS.maxReceiveCountLow,
        `maxReceiveCount (${count}) is below ${DEFAULT_MAX_RECEIVE_COUNT}: throttled invocations count as receives, ` +
          'so healthy messages may be moved to the dead-letter queue (AWS recommends at least 5)',
      );
    }
    return count;
  }

  private validateRetention(props: IdempotentQueueConsumerProps): Duration {
    const retention = props.retentionPeriod ?? DEFAULT_QUEUE_RETENTION;
    if (retention.isUnresolved()) return retention;
    const ms = retention.toMilliseconds();
    if (ms < MIN_QUEUE_RETENTION.toMilliseconds() || ms > MAX_QUEUE_RETENTION.toMilliseconds()) {
      throw new ConstructValidationError(
        this,
        'retentionPeriod',
        `retentionPeriod (${describe(retention)}) must be between ${describe(MIN_QUEUE_RETENTION)} and ${describe(MAX_QUEUE_RETENTION)}`,
      );
    }
    return retention;
  }

  private validateDeadLetterQueueKind(dlq: sqs.IQueue, fifo: boolean): void {
    // An imported queue whose ARN is a token reports `fifo` from its attributes only: not checkable.
    if (!(dlq instanceof sqs.Queue) && Token.isUnresolved(dlq.queueArn)) return;
    if (dlq.fifo !== fifo) {
      const kind = (isFifo: boolean): string => (isFifo ? 'FIFO' : 'standard');
      throw new ConstructValidationError(
        this,
        'deadLetterQueue',
        `deadLetterQueue is a ${kind(dlq.fifo)} queue but the queue is ${kind(fifo)}: a dead-letter queue must be of the same kind as its source queue`,
      );
    }
  }

  private warnIfIdempotencyRetentionShort(idempotencyRetention: Duration, queueRetention: Duration): void {
    if (idempotencyRetention.isUnresolved() || queueRetention.isUnresolved()) return;
    if (idempotencyRetention.toMilliseconds() < queueRetention.toMilliseconds()) {
      Annotations.of(this).addWarningV2(
        CONSUMER_WARNINGS.idempotencyRetentionShort,
        `idempotencyRetention (${describe(idempotencyRetention)}) is shorter than the queue's retentionPeriod ` +
          `(${describe(queueRetention)}): a duplicate that waits in the queue longer than the records are kept is ` +
          'processed again; raise expiresAfterSeconds in the handler and idempotencyRetention here, or shorten retentionPeriod',
      );
    }
  }
}

/** `Duration.toHumanString()`, e.g. "30 seconds", "1 hour". */
function describe(duration: Duration): string {
  return duration.toHumanString();
}
