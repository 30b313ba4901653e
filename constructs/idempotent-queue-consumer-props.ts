import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IIdempotencyTable } from './idempotency-table';

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
   * 22 on ARM64, minified, with source maps (enabled at run time by `NODE_OPTIONS=--enable-source-maps`),
   * `@aws-sdk/*` left to the runtime. The handler must be exported as `handler`.
   *
   * @default - none: `handler` is used
   */
  readonly entry?: string;

  /**
   * Further props of the function bundled from `entry` (memory size, environment, role, log group,
   * runtime...). Ignored with `handler`. Its `environment` is merged over `NODE_OPTIONS`, its `bundling`
   * over this construct's bundling options (`forceDockerBundling` stays false). A given `role` is granted
   * write access to the log group.
   *
   * @default - the settings described at `entry`, a least-privilege role and a log group kept one month
   */
  readonly functionProps?: ConsumerFunctionProps;

  /**
   * Timeout of the function. With `entry` it sets the bundled function's timeout; with an imported
   * `handler` it tells the construct the function's timeout; with a `lambda.Function` handler, whose
   * timeout is read (Lambda's 3 seconds when it sets none), it must be omitted or equal.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * Whether the queue (and the dead-letter queue it creates) is FIFO. Lambda does not support a batching
   * window on FIFO queues.
   *
   * @default true
   */
  readonly fifo?: boolean;

  /**
   * Largest number of messages in one invocation: 1 to 10, or up to 10,000 on a standard queue with a
   * `maxBatchingWindow`.
   *
   * @default 10
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
   * Most concurrent invocations this event source can start, 2 to 1000. Not with `provisionedPollers`.
   *
   * @default - no limit beyond the function's and the account's concurrency
   */
  readonly maxConcurrency?: number;

  /**
   * Provisioned mode of the event source: Lambda keeps between `minimum` and `maximum` event pollers
   * dedicated to the queue (each reads up to about 1 MB/s and runs up to 10 concurrent invocations), so it
   * absorbs bursts faster than standard polling. Pollers are billed while provisioned, `minimum` of them
   * always. Lambda accepts `minimum` 2 to 200 and `maximum` 2 to 2,000; not with `maxConcurrency` (the
   * pollers bound the concurrency instead).
   *
   * @default - standard polling: Lambda adds and removes pollers itself
   */
  readonly provisionedPollers?: ProvisionedPollers;

  /**
   * Receives of a message before it is moved to the dead-letter queue, 1 to 1000. Below 5 a warning is
   * added: throttled invocations count as receives, so a low value dead-letters healthy messages.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * Visibility timeout of the queue, at most 12 hours. Must be at least the function timeout (a synth-time
   * error otherwise); below 6 times the function timeout a warning is added.
   *
   * @default - 6 times the function timeout
   */
  readonly visibilityTimeout?: Duration;

  /**
   * How long the queue keeps a message, 1 minute to 14 days.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * An existing dead-letter queue. It must be of the same kind as the queue (FIFO or standard).
   *
   * @default - a new queue of the same kind, same encryption, SSL enforced, messages kept 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Customer managed KMS key that encrypts the queue and the dead-letter queue it creates.
   *
   * @default - SSE-SQS (server-side encryption with SQS managed keys)
   */
  readonly queueEncryptionKey?: kms.IKey;

  /**
   * The idempotency table: an `IdempotencyTable`, an existing one (`IdempotencyTable.fromTableName`,
   * `fromTableArn`, `fromTableAttributes`), or any `dynamodb.ITable` with partition key `id` (string) and
   * Time To Live on `expiration`. The function is granted the table's idempotency actions and gets
   * `IDEMPOTENCY_TABLE_NAME` (when it is a `lambda.Function`).
   *
   * @default - a new `IdempotencyTable` with its defaults
   */
  readonly table?: IIdempotencyTable | dynamodb.ITable;

  /**
   * How long the handler keeps idempotency records: declare here the `expiresAfterSeconds` your handler
   * passes to the library (whose own default is one hour). A value shorter than `retentionPeriod` adds a
   * warning: a duplicate that waits in the queue longer than this is processed again.
   *
   * @default Duration.hours(1)
   */
  readonly idempotencyRetention?: Duration;

  /**
   * The oldest-message alarm fires when the oldest message in the queue is older than this.
   *
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;
}

/** Bounds of the event pollers of {@link IdempotentQueueConsumerProps.provisionedPollers}. */
export interface ProvisionedPollers {
  /** Pollers kept while the queue is idle, 2 to 200 (billed all the time). */
  readonly minimum: number;
  /** Most pollers Lambda scales to, 2 to 2,000, at least `minimum`. */
  readonly maximum: number;
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
