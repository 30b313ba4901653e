/**
 * CDK v2 constructs for effectively-once consumers, exported as `effectively-once/constructs`.
 * `aws-cdk-lib` and `constructs` are peer dependencies.
 */
export { IdempotencyTable } from './idempotency-table';
export type { IdempotencyTableProps } from './idempotency-table';
export { IdempotentQueueConsumer, CONSUMER_WARNINGS } from './idempotent-queue-consumer';
export type {
  ConsumerFunctionProps,
  IdempotentQueueConsumerAlarms,
  IdempotentQueueConsumerProps,
} from './idempotent-queue-consumer';
export { ConstructValidationError } from './errors';
export {
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
  DEFAULT_POINT_IN_TIME_RECOVERY,
  DEFAULT_QUEUE_RETENTION,
  DEFAULT_RUNTIME,
  DEFAULT_TABLE_REMOVAL_POLICY,
  FUNCTION_ENVIRONMENT,
  IDEMPOTENCY_KEY_ACTIONS,
  IDEMPOTENCY_TABLE_ACTIONS,
  QUEUE_VISIBILITY_ACTIONS,
  VISIBILITY_TIMEOUT_MULTIPLIER,
} from './defaults';
export { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR, IDEMPOTENCY_TABLE_NAME_ENV } from '../lib/persistence/schema';
