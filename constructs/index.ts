/**
 * CDK v2 constructs for effectively-once consumers, exported as `effectively-once/constructs`.
 * `aws-cdk-lib` and `constructs` are peer dependencies. Defaults are documented on each prop
 * (`@default`), not exported.
 * @module effectively-once/constructs
 */
export { IdempotencyTable, TABLE_WARNINGS } from './idempotency-table';
export type { IIdempotencyTable, IdempotencyTableAttributes, IdempotencyTableProps } from './idempotency-table';
export { IdempotentQueueConsumer } from './idempotent-queue-consumer';
export { CONSUMER_WARNINGS } from './idempotent-queue-consumer-props';
export type {
  ConsumerFunctionProps,
  IdempotentQueueConsumerAlarms,
  IdempotentQueueConsumerProps,
  ProvisionedPollers,
} from './idempotent-queue-consumer-props';
export { OutboxRelay } from './outbox-relay';
export type { OutboxRelayProps, OutboxRelayAlarms } from './outbox-relay';
export { ConstructValidationError } from './errors';
export { IDEMPOTENCY_TABLE_NAME_ENV } from '../lib/persistence/schema';
