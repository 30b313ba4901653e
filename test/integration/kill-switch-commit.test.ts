/**
 * With the kill switch on (`EFFECTIVELY_ONCE_DISABLED=true`), a handler that stages business writes with
 * `commitWith` still writes them, in one transaction of their own, as it would without the library; no
 * idempotency record is written. On DynamoDB Local, with the SDK's default retries.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import { commitWith, DynamoDBStore, IdempotencyCommitConditionError, idempotencyMiddleware, makeIdempotent } from '../../lib';
import { makeIdempotentHttpHandler } from '../../lib/http';
import { restApiEvent } from '../helpers/http-events';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests } from '../helpers/request-counter';
import { lambdaContext } from '../helpers/sqs-events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

const ENV = 'EFFECTIVELY_ONCE_DISABLED';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Order {
  readonly orderId: string;
}

let idempotencyTable: string;
let ordersTable: string;
let store: DynamoDBStore;

beforeAll(async () => {
  idempotencyTable = await createTestTable('kill-idem');
  ordersTable = await createTestTable('kill-orders');
  store = new DynamoDBStore({ tableName: idempotencyTable, client: dynamoClient(), logger: silent });
});

beforeEach(() => {
  process.env[ENV] = 'true';
});

afterEach(() => {
  delete process.env[ENV];
});

async function order(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamoClient().send(new GetItemCommand({ TableName: ordersTable, Key: { id: { S: id } }, ConsistentRead: true }));
  return out.Item;
}

it('makeIdempotent: commits the staged writes in one transaction and writes no idempotency record', async () => {
  const save = makeIdempotent(
    async (event: Order) => {
      commitWith({ Put: { TableName: ordersTable, Item: { id: event.orderId, status: 'accepted' } } });
      return 'saved';
    },
    { store, key: 'orderId', name: 'kill-commit', logger: silent },
  );
  const counter = countRequests(dynamoClient());
  try {
    await expect(save({ orderId: 'k-1' })).resolves.toBe('saved');
    await expect(save({ orderId: 'k-1' })).resolves.toBe('saved');
  } finally {
    counter.remove();
  }
  // Two runs, two transactions of the business write alone: nothing read or written in the idempotency table.
  expect(counter.counts).toEqual({ TransactWriteItemsCommand: 2 });
  expect(await order('k-1')).toMatchObject({ status: { S: 'accepted' } });
});

it('the middleware: commits the staged writes after the handler returns', async () => {
  const handler = middy(async (event: Order) => {
    commitWith({ Put: { TableName: ordersTable, Item: { id: event.orderId, status: 'via middy' } } });
    return 'saved';
  }).use(idempotencyMiddleware<Order>({ store, key: 'orderId', name: 'kill-commit-middy', logger: silent }));

  await expect(handler({ orderId: 'k-2' }, lambdaContext())).resolves.toBe('saved');
  expect(await order('k-2')).toMatchObject({ status: { S: 'via middy' } });
});

it("a staged write's own condition still decides: IdempotencyCommitConditionError, nothing written", async () => {
  const save = makeIdempotent(
    async (event: Order) => {
      commitWith(
        { Put: { TableName: ordersTable, Item: { id: `${event.orderId}-a`, status: 'first' } } },
        { Put: { TableName: ordersTable, Item: { id: event.orderId, status: 'second' }, ConditionExpression: 'attribute_exists(id)' } },
      );
      return 'saved';
    },
    { store, key: 'orderId', name: 'kill-commit-condition', logger: silent },
  );
  await expect(save({ orderId: 'k-3' })).rejects.toThrow(IdempotencyCommitConditionError);
  expect(await order('k-3-a')).toBeUndefined();
});

it('the HTTP adapter: a 5xx response commits nothing, as with idempotency on', async () => {
  const handler = makeIdempotentHttpHandler(
    async () => {
      commitWith({ Put: { TableName: ordersTable, Item: { id: 'k-4', status: 'should not land' } } });
      return { statusCode: 503, body: '{}' };
    },
    { store, name: 'kill-commit-http', logger: silent },
  );
  const response = await handler(
    restApiEvent({ body: '{}', headers: { 'Idempotency-Key': '5b1f2c9e-8d3a-4f6b-9c2d-7e1a0b3c4d5e' } }),
    lambdaContext(),
  );
  expect(response.statusCode).toBe(503);
  expect(await order('k-4')).toBeUndefined();
});
