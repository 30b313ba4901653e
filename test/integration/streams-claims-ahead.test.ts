/**
 * Ordered stream batches claim their records ahead: up to 25 records of a shard (or Kafka partition) in one
 * request before the first of them runs; the claims of records that then do not run are released together.
 * On DynamoDB Local, with SDK-default clients.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, type IdempotencyLogger } from '../../lib';
import { StreamBatchError, processStreamBatch } from '../../lib/streams';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests } from '../helpers/request-counter';
import { kafkaRecords, kinesisEvent, kinesisRecords, mskEvent } from '../helpers/stream-events';

// A type alias (not an interface): the event factories take records of unknown values.
type Item = {
  readonly n: number;
};

let store: DynamoDBStore;
let sequence = 0;
const opName = (): string => `streams-ahead-${(sequence += 1)}-${randomUUID().slice(0, 8)}`;
const quiet: IdempotencyLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  store = new DynamoDBStore({ tableName: await createTestTable('streams-ahead'), client: dynamoClient() });
});

/** Runs `work` and returns the requests the store's client sent meanwhile, by command. */
async function requestsOf(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const counter = countRequests(dynamoClient());
  try {
    await work();
    return { ...counter.counts };
  } finally {
    counter.remove();
  }
}

const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ n: i }));

describe('Kinesis', () => {
  it('claims a shard of 60 records 25 at a time: 3 claim requests, then a completion per record', async () => {
    const event = kinesisEvent(kinesisRecords(items(60)));
    const ran: number[] = [];
    const options = { store, name: opName(), logger: quiet };
    const counts = await requestsOf(() => processStreamBatch(event, (_record, { data }) => void ran.push((data as Item).n), options));
    expect(ran).toEqual(items(60).map((item) => item.n));
    expect(counts).toEqual({ BatchExecuteStatementCommand: 3, UpdateItemCommand: 60 });
  });

  it('after a failure, releases the claims of the records after it in one request, so the retry runs them', async () => {
    const records = kinesisRecords(items(10));
    const options = { store, name: opName(), logger: quiet };
    const ran: number[] = [];
    let response;
    const stored = await requestsOf(async () => {
      response = await processStreamBatch(
        kinesisEvent(records),
        (_record, { data }) => {
          const { n } = data as Item;
          ran.push(n);
          if (n === 4) throw new Error('record 4 refused');
        },
        options,
      );
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[4]?.kinesis.sequenceNumber }] });
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    // Claims (1), 4 completions, the failed record's release (1), the 5 unrun claims together (1).
    expect(stored).toEqual({ BatchExecuteStatementCommand: 2, UpdateItemCommand: 4, DeleteItemCommand: 1 });

    // Lambda resumes the shard from the failed record: the released records run.
    const retried: number[] = [];
    await expect(
      processStreamBatch(kinesisEvent(records.slice(4)), (_record, { data }) => void retried.push((data as Item).n), options),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(retried).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('claims ahead only the first record of a key the batch holds twice: the copy meets the first outcome and does not run', async () => {
    const records = kinesisRecords([{ n: 0 }, { n: 1 }, { n: 0 }]);
    const ran: number[] = [];
    const counts = await requestsOf(() =>
      processStreamBatch(kinesisEvent(records), (_record, { data }) => void ran.push((data as Item).n), {
        store,
        name: opName(),
        key: (_record: unknown, { data }: { data: unknown }) => (data as Item).n,
        logger: quiet,
      }),
    );
    expect(ran).toEqual([0, 1]);
    // Records 0 and 1 claimed ahead in one request; the copy of key 0 claims alone at its turn and meets the
    // completed record.
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, PutItemCommand: 1, UpdateItemCommand: 2 });
  });
});

describe('Kafka', () => {
  it('claims the records of all partitions in one request and releases a stopped partition’s claims together', async () => {
    const records = [
      ...kafkaRecords('orders', 0, items(5)),
      ...kafkaRecords(
        'orders',
        1,
        items(5).map(({ n }) => ({ n: 10 + n })),
      ),
    ];
    const ran: number[] = [];
    const options = { store, name: opName(), logger: quiet };
    let thrown: unknown;
    const counts = await requestsOf(async () => {
      try {
        await processStreamBatch(
          mskEvent(records),
          (_record, { value }) => {
            const { n } = value as Item;
            ran.push(n);
            if (n === 11) throw new Error('record 11 refused');
          },
          options,
        );
      } catch (error) {
        thrown = error;
      }
    });
    expect(thrown).toBeInstanceOf(StreamBatchError);
    expect(ran.filter((n) => n < 10)).toEqual([0, 1, 2, 3, 4]);
    expect(ran.filter((n) => n >= 10)).toEqual([10, 11]);
    // No claim went alone: all were batched (completions may pair up across partitions, so their requests vary).
    expect(counts['PutItemCommand']).toBeUndefined();
    expect(counts['DeleteItemCommand']).toBe(1); // the failed record's own release; the 3 unrun claims went together

    // Lambda retries the whole batch: the completed records are skipped, the rest run.
    const retried: number[] = [];
    await processStreamBatch(mskEvent(records), (_record, { value }) => void retried.push((value as Item).n), options);
    expect(retried).toEqual([11, 12, 13, 14]);
  });
});
