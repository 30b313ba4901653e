/**
 * Props that CloudFormation, DynamoDB or the consumer's semantics would refuse later (or silently misread)
 * are refused at synth time with a ConstructValidationError naming the value.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { ConstructValidationError, IdempotencyTable, IdempotentQueueConsumer } from '../../constructs';
import type { IdempotencyTableProps, IdempotentQueueConsumerProps } from '../../constructs';
import { FIXTURE_HANDLER, newStack, thrownBy } from './support';

function expectRefused(build: () => unknown, property: string, message: RegExp): void {
  const error = thrownBy(build);
  expect(error).toBeInstanceOf(ConstructValidationError);
  expect(error.property).toBe(property);
  expect(error.message).toMatch(message);
}

const table = (props: Record<string, unknown>) => (): unknown =>
  new IdempotencyTable(
    new Stack(undefined, 'Test', { env: { account: '123456789012', region: 'us-east-1' } }),
    'Idempotency',
    props as IdempotencyTableProps,
  );

const consumer = (props: Record<string, unknown>) => (): unknown =>
  new IdempotentQueueConsumer(newStack(), 'Consumer', {
    entry: FIXTURE_HANDLER,
    idempotencyRetention: Duration.days(4),
    ...props,
  } as IdempotentQueueConsumerProps);

describe('IdempotencyTable', () => {
  it('replicaRegions given as a string names the string and how to write it', () => {
    expectRefused(
      table({ replicaRegions: 'us-east-2' }),
      'replicaRegions',
      /^replicaRegions must be an array of Region names, got the string "us-east-2": write \["us-east-2"\] \(at Test\/Idempotency\)$/,
    );
  });

  it('replicaRegions holding something that is not a Region name', () => {
    expectRefused(table({ replicaRegions: ['us-east-2', 42] }), 'replicaRegions', /got \["us-east-2", 42\]/);
  });

  it.each([
    ['a space and a bang', 'bad name!', /tableName "bad name!" is not a DynamoDB table name: 3 to 255 characters/],
    ['300 characters', 'a'.repeat(300), /tableName "a{60}"… \(300 characters\) is not a DynamoDB table name/],
    ['2 characters', 'ab', /tableName "ab" is not a DynamoDB table name/],
  ])('tableName with %s', (_label, tableName, message) => {
    expectRefused(table({ tableName }), 'tableName', message);
  });

  it('a valid tableName is accepted', () => {
    expect(table({ tableName: 'orders.idempotency_v-2' })).not.toThrow();
  });

  it('an imported table by an invalid name', () => {
    expectRefused(
      () => IdempotencyTable.fromTableName(newStack(), 'Imported', 'bad name!'),
      'tableName',
      /tableName "bad name!" is not a DynamoDB table name/,
    );
  });
});

describe('IdempotentQueueConsumer', () => {
  it('fifo given as the string "false"', () => {
    expectRefused(consumer({ fifo: 'false' }), 'fifo', /^fifo must be true or false, got the string "false"/);
  });

  it('idempotencyRetention of 0 seconds is refused, not only warned about', () => {
    expectRefused(
      consumer({ idempotencyRetention: Duration.seconds(0) }),
      'idempotencyRetention',
      /^idempotencyRetention \(0 seconds\) must be at least 1 second: records kept for no time deduplicate nothing/,
    );
  });

  it('oldestMessageAgeAlarmThreshold of 0', () => {
    expectRefused(
      consumer({ oldestMessageAgeAlarmThreshold: Duration.seconds(0) }),
      'oldestMessageAgeAlarmThreshold',
      /^oldestMessageAgeAlarmThreshold \(0 seconds\) must be at least 1 second: the alarm would fire on every message/,
    );
  });
});
