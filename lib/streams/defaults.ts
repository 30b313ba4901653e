/**
 * Every default of `processStreamBatch`, once. Internal: the TSDoc `@default` of each option gives the value
 * itself, and test/unit/defaults.test.ts checks that they agree.
 */

/** Partitions of a Kafka batch that run at once (each runs its records one at a time, in offset order). */
export const DEFAULT_KAFKA_CONCURRENCY = 10;

/** The `eventSource` of a Kinesis record. */
export const KINESIS_EVENT_SOURCE = 'aws:kinesis';

/** The `eventSource` of a DynamoDB Streams record. */
export const DYNAMODB_EVENT_SOURCE = 'aws:dynamodb';

/** The `eventSource` of a Kafka event: Amazon MSK, then self-managed (current and older spelling). */
export const KAFKA_EVENT_SOURCES = ['aws:kafka', 'SelfManagedKafka', 'aws:SelfManagedKafka'] as const;
