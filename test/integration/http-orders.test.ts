/**
 * The example handler handlers/http-orders.ts, as shipped: loaded with its environment (tables, endpoint),
 * called with HTTP API events, checked against DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { IDEMPOTENT_REPLAYED_HEADER } from '../../lib/http';
import { httpApiEvent, jwtAuthorizer, lambdaContext } from '../helpers/http-events';
import { createTestTable, dynamoClient } from '../helpers/local';

type Example = typeof import('../../handlers/http-orders');

const ENV = [
  'IDEMPOTENCY_TABLE_NAME',
  'ORDERS_TABLE_NAME',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

let example: Example;
let ordersTable: string;

beforeAll(async () => {
  const idempotencyTable = await createTestTable('http-example-idem');
  ordersTable = await createTestTable('http-example-orders');
  Object.assign(process.env, {
    IDEMPOTENCY_TABLE_NAME: idempotencyTable,
    ORDERS_TABLE_NAME: ordersTable,
    AWS_ENDPOINT_URL_DYNAMODB: process.env['EO_DYNAMODB_ENDPOINT'],
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    example = require('../../handlers/http-orders') as Example;
  });
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const order = (key: string | undefined, body: string, sub = 'customer-1') =>
  httpApiEvent({
    routeKey: 'POST /orders',
    body,
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
    authorizer: jwtAuthorizer(sub),
  });

async function storedOrder(id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamoClient().send(new GetItemCommand({ TableName: ordersTable, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item === undefined ? undefined : unmarshall(Item);
}

async function orderCount(): Promise<number> {
  const { Count } = await dynamoClient().send(new ScanCommand({ TableName: ordersTable, ConsistentRead: true, Select: 'COUNT' }));
  return Count ?? 0;
}

describe('handlers/http-orders.ts', () => {
  it('creates one order for a request retried with the same key, and replays its 201', async () => {
    const key = randomUUID();
    const body = '{"lines":[{"sku":"BOOK-1","quantity":2}]}';

    const first = (await example.handler(order(key, body), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const retry = (await example.handler(order(key, body), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(first.statusCode).toBe(201);
    const created = JSON.parse(first.body ?? '') as { id: string; paymentKey: string };
    expect(first.headers).toEqual({ 'content-type': 'application/json', location: `/orders/${created.id}` });
    expect(retry).toEqual({ ...first, headers: { ...first.headers, [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    await expect(storedOrder(created.id)).resolves.toEqual({ ...created, lines: [{ sku: 'BOOK-1', quantity: 2 }] });
    const { Items } = await dynamoClient().send(new ScanCommand({ TableName: ordersTable, ConsistentRead: true }));
    expect((Items ?? []).map((item) => unmarshall(item)).filter((item) => item['paymentKey'] === created.paymentKey)).toHaveLength(1);
  });

  it('answers 400 problem+json to a POST without Idempotency-Key and writes nothing', async () => {
    const before = await orderCount();

    const response = (await example.handler(
      order(undefined, '{"lines":[{"sku":"A","quantity":1}]}'),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(400);
    expect(response.headers).toEqual({ 'Content-Type': 'application/problem+json' });
    expect(JSON.parse(response.body ?? '')).toMatchObject({ title: 'Idempotency key missing', status: 400 });
    await expect(orderCount()).resolves.toBe(before);
  });

  it('stores its own 400 for an invalid body: the retry gets the same answer, replayed', async () => {
    const key = randomUUID();

    const first = (await example.handler(order(key, '{"lines":[]}'), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const retry = (await example.handler(order(key, '{"lines":[]}'), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(first).toMatchObject({ statusCode: 400, body: expect.stringContaining('The body must have a non-empty `lines` array') });
    expect(retry).toMatchObject({ statusCode: 400, body: first.body, headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
  });

  it('keeps two customers using the same key apart', async () => {
    const key = randomUUID();
    const body = '{"lines":[{"sku":"PEN","quantity":1}]}';

    const a = (await example.handler(order(key, body, 'customer-a'), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const b = (await example.handler(order(key, body, 'customer-b'), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(JSON.parse(b.body ?? '').id).not.toBe(JSON.parse(a.body ?? '').id);
  });

  it('publishes a 24-hour key expiry', () => {
    expect(example.ORDER_KEY_EXPIRY_SECONDS).toBe(86_400);
  });
});
