/**
 * processStreamBatch on DynamoDB Local with a real DynamoDBStore: Kafka clusters kept apart by their default
 * names (and keys DynamoDB accepts however long the cluster's identity), and duplicates inside one batch in
 * optimistic mode. Each record's effect is staged with commitWith and counted in a ledger table.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { MSKRecord } from 'aws-lambda';
import { commitWith } from '../../lib/effects';
import { DynamoDBStore } from '../../lib/persistence/dynamodb';
import { processStreamBatch } from '../../lib/streams';
import { createTestTable, dynamoClient, newDynamoClient } from '../helpers/local';
import { EXAMPLE_MSK_CLUSTER, kafkaRecord, kinesisEvent, kinesisRecords, mskEvent, selfManagedKafkaEvent } from '../helpers/stream-events';

let store: DynamoDBStore;
let ledgerTable: string;
const client = newDynamoClient();

beforeAll(async () => {
  store = new DynamoDBStore({ tableName: await createTestTable('streams-keys'), client });
  ledgerTable = await createTestTable('streams-keys-ledger');
});

afterAll(() => {
  client.destroy();
});

let run = 0;
/** A unique id per test, so tests never meet each other's records or ledger rows. */
function uniqueId(label: string): string {
  run += 1;
  return `${label}-${Date.now()}-${run}`;
}

/** One more run of `id`, committed with the record's idempotency record. */
function count(id: string): void {
  commitWith({
    Update: { TableName: ledgerTable, Key: { id }, UpdateExpression: 'ADD runs :one', ExpressionAttributeValues: { ':one': 1 } },
  });
}

async function runsOf(id: string): Promise<number> {
  const { Item } = await dynamoClient().send(new GetItemCommand({ TableName: ledgerTable, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item?.['runs']?.N === undefined ? 0 : Number(Item['runs'].N);
}

describe('Kafka: the default name identifies the cluster', () => {
  /** `orders-0@0` on a topic of its own, so that each test starts from no record. */
  const firstRecord = (topic: string): MSKRecord => kafkaRecord({ topic, partition: 0, offset: 0, value: { n: 1 } });

  it('the same offset of one topic in two MSK clusters of one name (two accounts) runs in each; a redelivery does not', async () => {
    const topic = uniqueId('orders');
    const handler = (_r: unknown, { topic: t }: { topic: string }, account: string): void => count(`${t}@${account}`);
    for (const account of ['111111111111', '222222222222', '111111111111']) {
      await processStreamBatch(mskEvent([firstRecord(topic)], EXAMPLE_MSK_CLUSTER, { account }), (r, info) => handler(r, info, account), {
        store,
      });
    }
    expect([await runsOf(`${topic}@111111111111`), await runsOf(`${topic}@222222222222`)]).toEqual([1, 1]);
  });

  it('a self-managed cluster of 100 brokers with long host names gets a record key DynamoDB accepts', async () => {
    const topic = uniqueId('orders');
    const servers = Array.from(
      { length: 100 },
      (_, i) => `broker-${i}.a-self-managed-kafka-cluster.eu-central-1.internal.example.com:9093`,
    ).join(',');
    expect(servers.length).toBeGreaterThan(2048);
    const handler = jest.fn((_r: unknown, { topic: t }: { topic: string }) => count(t));
    await expect(processStreamBatch(selfManagedKafkaEvent([firstRecord(topic)], servers), handler, { store })).resolves.toEqual({
      batchItemFailures: [],
    });
    await expect(processStreamBatch(selfManagedKafkaEvent([firstRecord(topic)], servers), handler, { store })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await runsOf(topic)).toBe(1);
  });
});

describe('optimistic mode: two records of one business event in one batch', () => {
  it('Kinesis: the handler runs once and the effect lands once', async () => {
    const orderId = uniqueId('order');
    const handler = jest.fn((_r: unknown, { data }: { data: unknown }) => count((data as { orderId: string }).orderId));
    const result = await processStreamBatch(kinesisEvent(kinesisRecords([{ orderId }, { orderId }])), handler, {
      store,
      mode: 'optimistic',
      key: (_record, { data }) => (data as { orderId: string }).orderId,
      name: uniqueId('kinesis'),
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await runsOf(orderId)).toBe(1);
  });

  it('Kafka, in two partitions: the handler runs once and the effect lands once', async () => {
    const orderId = uniqueId('order');
    const records = [0, 1].map((partition) => kafkaRecord({ topic: 'orders', partition, offset: 7, value: { orderId } }));
    const handler = jest.fn((_r: unknown, { value }: { value: unknown }) => count((value as { orderId: string }).orderId));
    await expect(
      processStreamBatch(mskEvent(records), handler, {
        store,
        mode: 'optimistic',
        key: (_record, { value }) => (value as { orderId: string }).orderId,
        name: uniqueId('kafka'),
      }),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await runsOf(orderId)).toBe(1);
  });
});
