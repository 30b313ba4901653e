/**
 * The three patterns of docs/effects.md ("Choosing a pattern"), measured: DynamoDB requests per event,
 * counted at the wire with SDK middleware, on DynamoDB Local. The numbers in the doc are these assertions.
 *
 * - claim record: processStreamBatch with a store (lease and optimistic modes);
 * - guarded write: applyIfNewer with a version the producer gives;
 * - sequence guard: the example handlers/stream-projection.ts (applyIfNewer keyed by the stream's sequence number).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createProjectionHandler, projectChange, type Order } from '../../handlers/stream-projection';
import { commitWith } from '../../lib/effects';
import { applyIfNewer, type ApplyIfNewerResult } from '../../lib/guards';
import { DynamoDBStore } from '../../lib/persistence/dynamodb';
import { processStreamBatch, type DynamoDBRecordInfo, type KafkaRecordInfo } from '../../lib/streams';
import { createTestTable } from '../helpers/local';
import { countRequests, type RequestCounter } from '../helpers/request-counter';
import { dynamodbEvent, dynamodbRecord, kafkaRecords, kinesisEvent, kinesisRecords, mskEvent } from '../helpers/stream-events';

const EVENTS = 5;

/** A client of its own per role, so each counter sees one role's requests only. */
function localClient(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: process.env['EO_DYNAMODB_ENDPOINT'],
  });
}

let idempotencyTable: string;
let businessTable: string;
let storeClient: DynamoDBClient;
let businessClient: DynamoDBClient;

beforeAll(async () => {
  idempotencyTable = await createTestTable('patterns');
  businessTable = await createTestTable('views');
  storeClient = localClient();
  businessClient = localClient();
});

afterAll(() => {
  storeClient.destroy();
  businessClient.destroy();
});

let run = 0;
function unique(prefix: string): string {
  run += 1;
  return `${prefix}-${Date.now()}-${run}`;
}

/** Runs `work` and returns the requests `client` sent meanwhile, by command. */
async function requestsOf(client: DynamoDBClient, work: () => Promise<unknown>): Promise<Record<string, number>> {
  const counter: RequestCounter = countRequests(client);
  try {
    await work();
    return { ...counter.counts };
  } finally {
    counter.remove();
  }
}

/** The stored item, plain values, its version as the exact Number text. */
async function view(id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await businessClient.send(
    new GetItemCommand({ TableName: businessTable, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  if (Item === undefined) return undefined;
  const { version, ...rest } = Item;
  return { ...unmarshall(rest), ...(version?.N === undefined ? {} : { version: version.N }) };
}

describe('claim record (processStreamBatch with a store)', () => {
  const batch = (): ReturnType<typeof kinesisEvent> => kinesisEvent(kinesisRecords(Array.from({ length: EVENTS }, (_, i) => ({ n: i }))));

  it('lease mode: the batch claims its new events in one request, then writes a completion per event; a replay costs the batch one claim request and one read', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client: storeClient });
    const options = { store, name: unique('lease') };
    const event = batch();
    let runs = 0;
    const handler = (): void => {
      runs += 1;
    };
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({
      BatchExecuteStatementCommand: 1,
      UpdateItemCommand: EVENTS,
    });
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({
      BatchExecuteStatementCommand: 1,
      BatchGetItemCommand: 1,
    });
    expect(runs).toBe(EVENTS);
  });

  it('lease mode with the local cache: a replay in the same execution environment costs no request', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client: storeClient });
    const options = { store, name: unique('cached'), localCache: { maxItems: 100 } };
    const event = batch();
    await processStreamBatch(event, () => undefined, options);
    expect(await requestsOf(storeClient, () => processStreamBatch(event, () => undefined, options))).toEqual({});
  });

  it('lease mode with commitWith: the completion and the business write go in one transaction per event, after one claim request for the batch', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client: storeClient });
    const options = { store, name: unique('commit') };
    const event = batch();
    const prefix = unique('ledger');
    const handler = (_record: unknown, { data }: { data: unknown }): void => {
      commitWith({
        Update: {
          TableName: businessTable,
          Key: { id: `${prefix}-${(data as { n: number }).n}` },
          UpdateExpression: 'ADD runs :one',
          ExpressionAttributeValues: { ':one': 1 },
        },
      });
    };
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({
      BatchExecuteStatementCommand: 1,
      TransactWriteItemsCommand: EVENTS,
    });
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({
      BatchExecuteStatementCommand: 1,
      BatchGetItemCommand: 1,
    });
    expect(await view(`${prefix}-0`)).toEqual({ id: `${prefix}-0`, runs: 1 });
  });

  it('optimistic mode: 1 write per event, new or replayed, but a replay runs the handler again', async () => {
    const store = new DynamoDBStore({ tableName: idempotencyTable, client: storeClient });
    const options = { store, name: unique('optimistic'), mode: 'optimistic' as const };
    const event = batch();
    let runs = 0;
    const handler = (): void => {
      runs += 1;
    };
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({ PutItemCommand: EVENTS });
    expect(await requestsOf(storeClient, () => processStreamBatch(event, handler, options))).toEqual({ PutItemCommand: EVENTS });
    expect(runs).toBe(2 * EVENTS);
  });
});

describe('guarded write (applyIfNewer with the producer’s version)', () => {
  it('1 conditional UpdateItem per event, new, duplicate or stale alike, and the newest version wins', async () => {
    const orderId = unique('order');
    interface OrderVersion {
      readonly orderId: string;
      readonly version: number;
      readonly status: string;
    }
    // Versions 1..5 spread over two partitions: partitions run concurrently, so they land in any order.
    const versions = Array.from({ length: EVENTS }, (_, i): OrderVersion => ({ orderId, version: i + 1, status: `status-${i + 1}` }));
    const event = mskEvent([
      ...kafkaRecords(
        'orders',
        0,
        versions.filter((v) => v.version % 2 === 1),
      ),
      ...kafkaRecords(
        'orders',
        1,
        versions.filter((v) => v.version % 2 === 0),
      ),
    ]);
    const outcomes: ApplyIfNewerResult[] = [];
    const handler = async (_record: unknown, { value }: KafkaRecordInfo<OrderVersion>): Promise<void> => {
      outcomes.push(
        await applyIfNewer(businessClient, {
          TableName: businessTable,
          Key: { id: value.orderId },
          version: value.version,
          UpdateExpression: 'SET #status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': value.status },
        }),
      );
    };

    expect(await requestsOf(businessClient, () => processStreamBatch(event, handler))).toEqual({ UpdateItemCommand: EVENTS });
    expect(await view(orderId)).toEqual({ id: orderId, version: '5', status: 'status-5' });

    outcomes.length = 0;
    expect(await requestsOf(businessClient, () => processStreamBatch(event, handler))).toEqual({ UpdateItemCommand: EVENTS });
    expect(outcomes.filter((o) => o.applied)).toEqual([]);
    expect(await view(orderId)).toEqual({ id: orderId, version: '5', status: 'status-5' });
  });
});

describe('sequence guard (handlers/stream-projection.ts over a DynamoDB stream)', () => {
  function orderChanges(orderId: string): ReturnType<typeof dynamodbRecord>[] {
    return [
      dynamodbRecord({ eventName: 'INSERT', keys: { orderId }, newImage: { orderId, status: 'NEW', total: 10 } }),
      dynamodbRecord({
        eventName: 'MODIFY',
        keys: { orderId },
        oldImage: { orderId, status: 'NEW', total: 10 },
        newImage: { orderId, status: 'PAID', total: 10 },
      }),
      dynamodbRecord({
        eventName: 'MODIFY',
        keys: { orderId },
        oldImage: { orderId, status: 'PAID', total: 10 },
        newImage: { orderId, status: 'PAID', total: 12 },
      }),
      dynamodbRecord({
        eventName: 'MODIFY',
        keys: { orderId },
        oldImage: { orderId, status: 'PAID', total: 12 },
        newImage: { orderId, status: 'SHIPPED', total: 12 },
      }),
    ];
  }

  it('1 UpdateItem per record, and no idempotency table at all; a redelivered batch is skipped by the same write', async () => {
    const projection = createProjectionHandler({ client: businessClient, tableName: businessTable });
    const a = unique('order-a');
    const b = unique('order-b');
    const records = [...orderChanges(a).slice(0, 3), ...orderChanges(b).slice(0, 2)];
    expect(records).toHaveLength(EVENTS);
    const event = dynamodbEvent(records);

    const noFailures = { batchItemFailures: [] };
    let response: unknown;
    expect(await requestsOf(businessClient, async () => (response = await projection(event)))).toEqual({ UpdateItemCommand: EVENTS });
    expect(response).toEqual(noFailures);
    expect(await view(a)).toEqual({ id: a, status: 'PAID', total: 12, deleted: false, version: records[2]?.dynamodb?.SequenceNumber });
    expect(await view(b)).toMatchObject({ status: 'PAID', total: 10 });

    // Lambda delivers the whole batch again (the invocation timed out after writing).
    expect(await requestsOf(businessClient, async () => (response = await projection(event)))).toEqual({ UpdateItemCommand: EVENTS });
    expect(response).toEqual(noFailures);
    expect(await view(a)).toMatchObject({ status: 'PAID', total: 12 });
  });

  it('a stale change (an older sequence number arriving late) is skipped; a removal leaves a tombstone that blocks older changes', async () => {
    const orderId = unique('order-c');
    const changes = orderChanges(orderId);
    const removal = dynamodbRecord({ eventName: 'REMOVE', keys: { orderId }, oldImage: { orderId, status: 'SHIPPED', total: 12 } });
    const projection = createProjectionHandler({ client: businessClient, tableName: businessTable });
    const inOrder = [changes[0], changes[3], removal].filter((r) => r !== undefined);
    const late = [changes[1], changes[2]].filter((r) => r !== undefined);
    await expect(projection(dynamodbEvent(inOrder))).resolves.toEqual({ batchItemFailures: [] });
    await expect(projection(dynamodbEvent(late))).resolves.toEqual({ batchItemFailures: [] });
    expect(await view(orderId)).toEqual({ id: orderId, deleted: true, version: removal.dynamodb?.SequenceNumber });
  });

  it('projectChange reports a duplicate without writing anything else', async () => {
    const orderId = unique('order-d');
    const record = orderChanges(orderId)[0];
    const change: DynamoDBRecordInfo<Order> = {
      eventName: 'INSERT',
      keys: { orderId },
      newImage: { orderId, status: 'NEW', total: 10 },
      oldImage: undefined,
      sequenceNumber: record?.dynamodb?.SequenceNumber ?? '',
    };
    await expect(projectChange({ client: businessClient, tableName: businessTable }, change)).resolves.toEqual({ applied: true });
    await expect(projectChange({ client: businessClient, tableName: businessTable }, change)).resolves.toEqual({
      applied: false,
      reason: 'duplicate',
      currentVersion: change.sequenceNumber,
    });
  });
});
