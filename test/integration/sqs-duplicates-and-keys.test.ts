/**
 * processSqsBatch on DynamoDB Local with a real DynamoDBStore: JMESPath keys on the parsed body, duplicates
 * inside one batch in optimistic mode, and default names from queue names no real queue has. Each order's
 * effect is staged with commitWith and counted in a ledger table.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { commitWith, DynamoDBStore } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { createTestTable, dynamoClient, newDynamoClient } from '../helpers/local';
import { failedIds, jsonRecord, recordingLogger, type Order } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

let store: DynamoDBStore;
let ledgerTable: string;
const client = newDynamoClient();

beforeAll(async () => {
  store = new DynamoDBStore({ tableName: await createTestTable('sqs-keys'), client });
  ledgerTable = await createTestTable('sqs-keys-ledger');
});

afterAll(() => {
  client.destroy();
});

let run = 0;
/** A unique order id per test, so tests never meet each other's records or ledger rows. */
function orderId(): string {
  run += 1;
  return `order-${Date.now()}-${run}`;
}

/** The order's effect, committed with its idempotency record. */
function countOrder(_record: unknown, { body }: { body: Order }): void {
  commitWith({
    Update: {
      TableName: ledgerTable,
      Key: { id: body.orderId },
      UpdateExpression: 'ADD runs :one',
      ExpressionAttributeValues: { ':one': 1 },
    },
  });
}

async function runsOf(id: string): Promise<number> {
  const { Item } = await dynamoClient().send(new GetItemCommand({ TableName: ledgerTable, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item?.['runs']?.N === undefined ? 0 : Number(Item['runs'].N);
}

describe.each(['lease', 'optimistic'] as const)('in %s mode', (mode) => {
  it("keys by 'body.orderId': an order sent three times, twice in one batch, has its effect once, the copy in the batch never running", async () => {
    const id = orderId();
    const other = orderId();
    const handler = jest.fn(countOrder);
    const options: SqsBatchOptions<Order> = { store, key: 'body.orderId', fingerprint: 'body.amount', mode, logger: recordingLogger() };
    const first = await processSqsBatch(
      sqsEvent([jsonRecord({ orderId: id, amount: 3 }), jsonRecord({ orderId: other, amount: 1 }), jsonRecord({ orderId: id, amount: 3 })]),
      handler,
      options,
    );
    expect(first).toEqual({ batchItemFailures: [] });
    // The copy in the same batch never runs, in either mode.
    expect(handler).toHaveBeenCalledTimes(2);
    const again = await processSqsBatch(sqsEvent([jsonRecord({ orderId: id, amount: 3 })]), handler, options);
    expect(again).toEqual({ batchItemFailures: [] });
    // A copy in a later batch: lease mode replays without running; optimistic mode runs the work again and
    // drops its staged writes (its documented trade-off). The effect lands once either way.
    expect(handler).toHaveBeenCalledTimes(mode === 'lease' ? 2 : 3);
    expect([await runsOf(id), await runsOf(other)]).toEqual([1, 1]);
  });

  it('reports failed a copy with another amount in the same batch, with nothing committed for it', async () => {
    const id = orderId();
    const changed = jsonRecord({ orderId: id, amount: 300 });
    const response = await processSqsBatch(sqsEvent([jsonRecord({ orderId: id, amount: 3 }), changed]), countOrder, {
      store,
      key: 'body.orderId',
      fingerprint: 'body.amount',
      mode,
      logger: recordingLogger(),
    });
    expect(failedIds(response)).toEqual([changed.messageId]);
    expect(await runsOf(id)).toBe(1);
  });
});

it('records of a queue whose name no real queue has (3000 characters) get keys DynamoDB accepts', async () => {
  const id = orderId();
  const eventSourceARN = `arn:aws:sqs:us-east-2:123456789012:${'q'.repeat(3000)}`;
  const options: SqsBatchOptions<Order> = { store, key: 'body.orderId', logger: recordingLogger() };
  const handler = jest.fn(countOrder);
  await expect(processSqsBatch(sqsEvent([jsonRecord({ orderId: id }, { eventSourceARN })]), handler, options)).resolves.toEqual({
    batchItemFailures: [],
  });
  await expect(processSqsBatch(sqsEvent([jsonRecord({ orderId: id }, { eventSourceARN })]), handler, options)).resolves.toEqual({
    batchItemFailures: [],
  });
  expect(handler).toHaveBeenCalledTimes(1);
  expect(await runsOf(id)).toBe(1);
});
