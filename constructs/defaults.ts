/**
 * Internal: every default and limit of the CDK constructs, once. Not exported from
 * `effectively-once/constructs`: each prop's TSDoc states its default as a literal (`@default 5`), and
 * test/constructs/defaults.test.ts synthesizes each construct with the prop omitted to check that the
 * template carries that literal.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_EXPIRES_AFTER_SECONDS } from '../lib/defaults';

/**
 * The DynamoDB actions the library performs on an idempotency table, and nothing else: no Scan, no
 * Query, no wildcard. Transactions (`TransactWriteItems`) are authorised per item action of their parts,
 * so `ConditionCheckItem`, `PutItem`, `UpdateItem` and `DeleteItem` cover them.
 */
export const IDEMPOTENCY_TABLE_ACTIONS: readonly string[] = Object.freeze([
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  // Batched claims, completions and releases inside SQS and stream batches (PartiQL INSERT, UPDATE and
  // DELETE statements).
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
]);

/** The KMS actions granted on a table's customer managed key, when it has one. */
export const IDEMPOTENCY_KEY_ACTIONS: readonly string[] = Object.freeze(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']);

/**
 * The SQS action granted to a consumer's function on its queue on top of what the event source grants:
 * the library extends the visibility of a message whose handler runs long.
 */
export const QUEUE_VISIBILITY_ACTIONS: readonly string[] = Object.freeze(['sqs:ChangeMessageVisibility']);

// ---------------------------------------------------------------------------------------------------------
// IdempotencyTable

/** `IdempotencyTable` `removalPolicy` default: the records outlive a stack deletion. */
export const DEFAULT_TABLE_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** `IdempotencyTable` `pointInTimeRecovery` default. */
export const DEFAULT_POINT_IN_TIME_RECOVERY = true;

/**
 * Regions a DynamoDB table with multi-Region strong consistency (MRSC) spans: three replicas, or two
 * replicas and a witness. The stack's own Region is one of them.
 */
export const MRSC_REGION_COUNT = 3;

// ---------------------------------------------------------------------------------------------------------
// IdempotentQueueConsumer: the function

/** Timeout of the function bundled from `entry` when `timeout` is omitted. */
export const DEFAULT_FUNCTION_TIMEOUT = Duration.seconds(30);

/** Lambda's own timeout of a function created without one (used when a passed `handler` sets none). */
export const LAMBDA_SERVICE_DEFAULT_TIMEOUT = Duration.seconds(3);

/** Runtime of the function bundled from `entry`. */
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Architecture of the function bundled from `entry`. */
export const DEFAULT_ARCHITECTURE = lambda.Architecture.ARM_64;

/** Retention of the log group created for the function bundled from `entry`. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * Environment of the function bundled from `entry` (entries of `functionProps.environment` win): stack
 * traces mapped through the bundle's source map.
 */
export const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  NODE_OPTIONS: '--enable-source-maps',
});

/** Modules left out of the bundle because the Node.js Lambda runtime provides them. */
export const BUNDLING_EXTERNAL_MODULES: readonly string[] = Object.freeze(['@aws-sdk/*']);

// ---------------------------------------------------------------------------------------------------------
// IdempotentQueueConsumer: the queue and the event source

/** `fifo` default: a FIFO queue (ordered per message group, deduplicated on send). */
export const DEFAULT_FIFO = true;

/** `visibilityTimeout` default: this many times the function timeout (AWS guidance for Lambda consumers). */
export const VISIBILITY_TIMEOUT_MULTIPLIER = 6;

/** Longest visibility timeout SQS accepts. */
export const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);

/** `batchSize` default. */
export const DEFAULT_BATCH_SIZE = 10;

/** Largest batch without a batching window (and for any FIFO queue). */
export const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;

/** Largest batch of a standard queue with a batching window. */
export const MAX_BATCH_SIZE_WITH_WINDOW = 10_000;

/** Longest batching window Lambda accepts. */
export const MAX_BATCHING_WINDOW = Duration.minutes(5);

/** Smallest `maxConcurrency` Lambda accepts. */
export const MIN_MAX_CONCURRENCY = 2;

/** Largest `maxConcurrency` Lambda accepts. */
export const MAX_MAX_CONCURRENCY = 1000;

/** Smallest `provisionedPollers.minimum` (and `maximum`) Lambda accepts on an SQS event source. */
export const MIN_PROVISIONED_POLLERS = 2;

/** Largest `provisionedPollers.minimum` Lambda accepts on an SQS event source. */
export const MAX_MINIMUM_PROVISIONED_POLLERS = 200;

/** Largest `provisionedPollers.maximum` Lambda accepts on an SQS event source. */
export const MAX_PROVISIONED_POLLERS = 2000;

/** `maxReceiveCount` default; lower values warn (AWS guidance: at least 5, so throttled batches are retried). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/** Largest `maxReceiveCount` SQS accepts. */
export const MAX_MAX_RECEIVE_COUNT = 1000;

/** `retentionPeriod` default: SQS's own default. */
export const DEFAULT_QUEUE_RETENTION = Duration.days(4);

/** Shortest message retention SQS accepts. */
export const MIN_QUEUE_RETENTION = Duration.minutes(1);

/** Longest message retention SQS accepts. */
export const MAX_QUEUE_RETENTION = Duration.days(14);

/**
 * Retention of the dead-letter queue created by the consumer: the maximum, because a standard queue keeps
 * a message's original enqueue time when it is moved, so a shorter one could drop it on arrival.
 */
export const DEAD_LETTER_QUEUE_RETENTION = MAX_QUEUE_RETENTION;

/** `idempotencyRetention` default: the library's default `expiresAfterSeconds`. */
export const DEFAULT_IDEMPOTENCY_RETENTION = Duration.seconds(DEFAULT_EXPIRES_AFTER_SECONDS);

// ---------------------------------------------------------------------------------------------------------
// IdempotentQueueConsumer: the alarms

/**
 * `oldestMessageAgeAlarmThreshold` default: 15 minutes, the time a message can spend failing under the
 * default settings (5 receives of a 3-minute visibility timeout) before it is dead-lettered.
 */
export const DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD = Duration.minutes(15);

/** The dead-letter queue alarm fires when at least this many messages are visible in it. */
export const DEAD_LETTER_QUEUE_ALARM_THRESHOLD = 1;

/** Period of both alarms' metrics. */
export const ALARM_PERIOD = Duration.minutes(1);

// ---------------------------------------------------------------------------------------------------------
// OutboxRelay

/** `OutboxRelay` `batchSize` default: stream records per invocation. */
export const DEFAULT_RELAY_BATCH_SIZE = 100;

/** `OutboxRelay` `retryAttempts` default. */
export const DEFAULT_RELAY_RETRY_ATTEMPTS = 10;

/** `OutboxRelay` `iteratorAgeAlarmThreshold` default. */
export const DEFAULT_ITERATOR_AGE_ALARM_THRESHOLD = Duration.minutes(5);

/** `OutboxRelay` `timeout` default. */
export const DEFAULT_RELAY_TIMEOUT = Duration.seconds(60);

/** How long the relay's on-failure queue keeps the positions of failed records. */
export const FAILED_RECORDS_RETENTION = Duration.days(14);
