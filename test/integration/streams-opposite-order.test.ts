/**
 * Two Kinesis shards carry the same keys in opposite order, and their consumers claim ahead at the same
 * time: each may hold, as a claim made ahead, the key the other needs first. A record whose claim met the
 * other consumer's gives back its batch's untaken claims and waits for the holder, so both shards finish in
 * their first invocation instead of failing each other. On DynamoDB Local, SDK-default clients, 20 rounds.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, type IdempotencyLogger } from '../../lib';
import { processStreamBatch } from '../../lib/streams';
import { createTestTable, newDynamoClient } from '../helpers/local';
import { kinesisEvent, kinesisRecords } from '../helpers/stream-events';

// A type alias (not an interface): the event factories take records of unknown values.
type Item = {
  readonly orderId: string;
};

const ROUNDS = 20;
const KEYS = 8;
const WORK_MS = 20;
const quiet: IdempotencyLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const clients: ReturnType<typeof newDynamoClient>[] = [];
let tableName: string;

beforeAll(async () => {
  tableName = await createTestTable('opposite-order');
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** A consumer of one shard, with its own client (its own Lambda function instance). */
function consumer(name: string, ran: string[]) {
  const client = newDynamoClient();
  clients.push(client);
  const store = new DynamoDBStore({ tableName, client });
  return (items: readonly Item[], shardId: string) =>
    processStreamBatch(
      kinesisEvent(kinesisRecords(items, { shardId })),
      async (_record, { data }) => {
        ran.push((data as Item).orderId);
        await new Promise((resolve) => setTimeout(resolve, WORK_MS));
      },
      { store, name, key: (_record, { data }) => (data as Item).orderId, leaseSeconds: 30, logger: quiet },
    );
}

it(`finishes both shards in their first invocation in at least 19 of ${ROUNDS} rounds, each key run once`, async () => {
  let bothFinished = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const name = `opposite-${randomUUID().slice(0, 8)}`;
    const items = Array.from({ length: KEYS }, (_, i) => ({ orderId: `order-${round}-${i}` }));
    const ran: string[] = [];
    const [first, second] = await Promise.all([
      consumer(name, ran)(items, 'shardId-000000000000'),
      consumer(name, ran)([...items].reverse(), 'shardId-000000000001'),
    ]);
    if (first.batchItemFailures.length === 0 && second.batchItemFailures.length === 0) bothFinished += 1;
    // Whatever the interleaving, no key runs twice.
    expect(new Set(ran).size).toBe(ran.length);
  }
  console.log(`opposite-order shards: both finished in their first invocation in ${bothFinished} of ${ROUNDS} rounds`);
  expect(bothFinished).toBeGreaterThanOrEqual(19);
}, 120_000);
