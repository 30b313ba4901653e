/**
 * processStreamBatch on DynamoDB Local with a real DynamoDBStore: failures, retries and redeliveries as Lambda
 * makes them, and the effect of each record counted in a ledger table.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, KinesisStreamRecord, MSKRecord } from 'aws-lambda';
import { commitWith } from '../../lib/effects';
import { IdempotencyLeaseLostError, StreamBatchError } from '../../lib/errors';
import type { IdempotencyLogger } from '../../lib/options';
import { DynamoDBStore } from '../../lib/persistence/dynamodb';
import { processStreamBatch, type KafkaRecordInfo } from '../../lib/streams';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests } from '../helpers/request-counter';
import { dynamodbEvent, dynamodbRecord, kafkaRecords, kinesisEvent, kinesisRecords, mskEvent } from '../helpers/stream-events';

/** A client of its own for the idempotency store, so request counts show the store's requests only. */
function storeClient(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: process.env['EO_DYNAMODB_ENDPOINT'],
  });
}

let idempotencyTable: string;
let ledgerTable: string;
let client: DynamoDBClient;

beforeAll(async () => {
  idempotencyTable = await createTestTable('streams');
  ledgerTable = await createTestTable('ledger');
  client = storeClient();
});

afterAll(() => {
  client.destroy();
});

let run = 0;
/** A unique operation name per test, so tests never meet each other's records. */
function opName(): string {
  run += 1;
  return `streams-it-${Date.now()}-${run}`;
}

/** The business effect of a record: one more run counted against `id`, written now. */
async function applyEffect(id: string): Promise<void> {
  await dynamoClient().send(
    new UpdateItemCommand({
      TableName: ledgerTable,
      Key: { id: { S: id } },
      UpdateExpression: 'ADD runs :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }),
  );
}

/** The same effect staged with commitWith: it lands with the record's completion, or not at all. */
function stageEffect(id: string): void {
  commitWith({
    Update: { TableName: ledgerTable, Key: { id }, UpdateExpression: 'ADD runs :one', ExpressionAttributeValues: { ':one': 1 } },
  });
}

/** How many times the effect of `id` landed. */
async function runsOf(id: string): Promise<number> {
  const { Item } = await dynamoClient().send(new GetItemCommand({ TableName: ledgerTable, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item?.['runs']?.N === undefined ? 0 : Number(Item['runs'].N);
}

async function runsOfAll(ids: readonly string[]): Promise<Record<string, number>> {
  const entries = await Promise.all(ids.map(async (id) => [id, await runsOf(id)] as const));
  return Object.fromEntries(entries);
}

const once = (ids: readonly string[]): Record<string, number> => Object.fromEntries(ids.map((id) => [id, 1]));

/** A logger that keeps the errors it is given with warnings and errors (the processor logs each failed record). */
function quietLogger(): IdempotencyLogger & { readonly errors: unknown[] } {
  const errors: unknown[] = [];
  const nothing = (): void => undefined;
  const keep = (_message: string, error?: unknown): void => void errors.push(error);
  return { errors, debug: nothing, info: nothing, warn: keep, error: keep };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Kafka on DynamoDB Local', () => {
  it('a batch that fails in one partition, retried, skips the finished records and runs the rest once', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client });
    const name = opName();
    const ids = (prefix: string): string[] => [0, 1, 2, 3].map((i) => `${name}-${prefix}${i}`);
    const records: MSKRecord[] = [
      ...kafkaRecords('orders', 0, ids('a'), 100),
      ...kafkaRecords('orders', 1, ids('b'), 200),
      ...kafkaRecords('payments', 0, ids('c'), 300),
    ];
    const event = mskEvent(records);
    const calls: string[] = [];
    let failOnce = true;
    const handler = async (_record: MSKRecord, { value }: KafkaRecordInfo<string>): Promise<void> => {
      calls.push(value);
      if (value === `${name}-b2` && failOnce) {
        failOnce = false;
        throw new Error('ledger unavailable');
      }
      await applyEffect(value);
    };
    const options = { store, name, logger: quietLogger() };

    const error = await processStreamBatch(event, handler, options).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StreamBatchError);
    expect((error as StreamBatchError).failures.map(({ topic, partition, offset }) => ({ topic, partition, offset }))).toEqual([
      { topic: 'orders', partition: 1, offset: 202 },
    ]);
    expect(await runsOfAll([...ids('a'), ...ids('b'), ...ids('c')])).toEqual({
      ...once([...ids('a'), ...ids('c')]),
      [`${name}-b0`]: 1,
      [`${name}-b1`]: 1,
      [`${name}-b2`]: 0,
      [`${name}-b3`]: 0,
    });

    // Lambda retries the whole batch.
    calls.length = 0;
    const counter = countRequests(client);
    try {
      await expect(processStreamBatch(event, handler, options)).resolves.toEqual({ batchItemFailures: [] });
      // 10 finished records are found, not run; the 2 records that run are completed one after the other
      // (same partition). The claims that the three partitions make at the same time share requests (one
      // BatchExecuteStatement, and one BatchGetItem for those that exist): fewer than one request each.
      expect(counter.counts['UpdateItemCommand']).toBe(2);
      expect(counter.total()).toBeLessThan(14);
    } finally {
      counter.remove();
    }
    expect(calls).toEqual([`${name}-b2`, `${name}-b3`]);
    expect(await runsOfAll([...ids('a'), ...ids('b'), ...ids('c')])).toEqual(once([...ids('a'), ...ids('b'), ...ids('c')]));
  });
});

describe('Kinesis on DynamoDB Local', () => {
  it('a batch that fails mid-way, redelivered from the failed sequence number, runs each effect once', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client });
    const name = opName();
    const ids = [0, 1, 2, 3, 4, 5].map((i) => `${name}-k${i}`);
    const records = kinesisRecords(ids.map((id) => ({ id })));
    let failOnce = true;
    const handler = (_record: KinesisStreamRecord, { data }: { data: { id: string } }): void => {
      stageEffect(data.id);
      // Fails after staging its effect: the staged write must not land.
      if (data.id === ids[3] && failOnce) {
        failOnce = false;
        throw new Error('validation service timed out');
      }
    };

    const options = { store, name, logger: quietLogger() };
    const first = await processStreamBatch(kinesisEvent(records), handler, options);
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: records[3]?.kinesis.sequenceNumber }] });
    expect(await runsOfAll(ids)).toEqual({ ...once(ids.slice(0, 3)), [ids[3] as string]: 0, [ids[4] as string]: 0, [ids[5] as string]: 0 });

    // Lambda resumes the shard from the reported sequence number.
    const from = records.findIndex((r) => r.kinesis.sequenceNumber === first.batchItemFailures[0]?.itemIdentifier);
    const redelivered = await processStreamBatch(kinesisEvent(records.slice(from)), handler, options);
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(await runsOfAll(ids)).toEqual(once(ids));

    // And a later redelivery of the whole batch (a retry after a timeout) changes nothing.
    await expect(processStreamBatch(kinesisEvent(records), handler, options)).resolves.toEqual({ batchItemFailures: [] });
    expect(await runsOfAll(ids)).toEqual(once(ids));
  });
});

describe('DynamoDB Streams on DynamoDB Local', () => {
  it('a batch redelivered after an invocation died mid-record takes that record over once its lease ends, and the late invocation is fenced off', async () => {
    const clock = manualClock();
    const store = new DynamoDBStore({ tableName: idempotencyTable, client });
    const name = opName();
    const ids = [0, 1, 2, 3].map((i) => `${name}-d${i}`);
    const records: DynamoDBRecord[] = ids.map((id) => dynamodbRecord({ eventName: 'INSERT', keys: { id }, newImage: { id } }));
    const event = dynamodbEvent(records);
    const stuck = deferred();
    const reachedStuck = deferred();
    const options = { store, name, clock, leaseSeconds: 30 };
    const zombieLogger = quietLogger();

    // The first invocation hangs inside record 2 (as if its function froze), after staging the effect.
    const zombie = processStreamBatch(
      event,
      async (_record, { keys }) => {
        stageEffect(keys['id'] as string);
        if (keys['id'] === ids[2]) {
          reachedStuck.resolve();
          await stuck.promise;
        }
      },
      { ...options, logger: zombieLogger },
    );
    await reachedStuck.promise;

    // The lease runs out; Lambda delivers the batch again.
    clock.advance(32_000);
    const handled: string[] = [];
    const retry = await processStreamBatch(
      event,
      (_record, { keys }) => {
        handled.push(keys['id'] as string);
        stageEffect(keys['id'] as string);
      },
      options,
    );
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual([ids[2], ids[3]]);

    // The frozen invocation wakes up: its completion of record 2 is refused and its effect never lands.
    stuck.resolve();
    const late = await zombie;
    expect(late).toEqual({ batchItemFailures: [{ itemIdentifier: records[2]?.dynamodb?.SequenceNumber }] });
    expect(zombieLogger.errors).toHaveLength(1);
    expect(zombieLogger.errors[0]).toBeInstanceOf(IdempotencyLeaseLostError);
    expect(await runsOfAll(ids)).toEqual(once(ids));
  });
});
