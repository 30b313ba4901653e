/**
 * Example: `POST /orders` behind an API Gateway HTTP API (or a Function URL), safe to retry with the
 * `Idempotency-Key` header.
 *
 * - A client that times out sends the same request with the same key again and gets the first response
 *   (with `Idempotent-Replayed: true`) instead of a second order.
 * - The order item is written with `commitWith`: in the same DynamoDB transaction as the stored response,
 *   so there is never an order without its response, or a response without its order.
 * - `downstreamKey('payment')` is the key to give the payment provider: the same on every attempt of this
 *   request, so a charge is never made twice either.
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME` (read by `DynamoDBStore`) and `ORDERS_TABLE_NAME` (partition key `id`).
 * In your code, import from the package: `import { makeIdempotentHttpHandler, DynamoDBStore, commitWith, downstreamKey } from 'effectively-once'`.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { commitWith, downstreamKey, DynamoDBStore } from '../lib';
import { makeIdempotentHttpHandler } from '../lib/http';

/** How long a key is remembered: a client may retry with it for 24 hours (the policy published to clients). */
export const ORDER_KEY_EXPIRY_SECONDS = 24 * 60 * 60;

/** One line of an order. */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** The order as stored and returned. */
export interface Order {
  readonly id: string;
  readonly lines: readonly OrderLine[];
  readonly createdAt: string;
  /** Idempotency key to pass to the payment provider. */
  readonly paymentKey: string;
}

const ordersTable = (): string => process.env['ORDERS_TABLE_NAME'] ?? 'orders';

/** The business logic: validates the body, stages the order write, answers 201 with the order. */
export async function createOrder(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const lines = parseLines(event);
  if (typeof lines === 'string') {
    // A 4xx is stored too: a retry with the same key and body gets the same answer.
    return {
      statusCode: 400,
      headers: { 'content-type': 'application/problem+json' },
      body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: lines }),
    };
  }
  const order: Order = { id: randomUUID(), lines, createdAt: new Date().toISOString(), paymentKey: downstreamKey('payment') };
  commitWith({ Put: { TableName: ordersTable(), Item: { ...order }, ConditionExpression: 'attribute_not_exists(id)' } });
  return {
    statusCode: 201,
    headers: { 'content-type': 'application/json', location: `/orders/${order.id}` },
    body: JSON.stringify(order),
  };
}

function parseLines(event: APIGatewayProxyEventV2): OrderLine[] | string {
  const text = event.body === undefined ? '' : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'The body must be JSON: {"lines": [{"sku": "…", "quantity": 1}]}';
  }
  const lines = (parsed as { lines?: unknown } | null)?.lines;
  if (!Array.isArray(lines) || lines.length === 0) return 'The body must have a non-empty `lines` array';
  for (const [index, line] of lines.entries()) {
    const { sku, quantity } = (line ?? {}) as Partial<OrderLine>;
    if (typeof sku !== 'string' || sku === '' || !Number.isInteger(quantity) || (quantity as number) < 1) {
      return `lines[${index}] must be {"sku": a non-empty string, "quantity": a whole number of at least 1}`;
    }
  }
  return (lines as OrderLine[]).map(({ sku, quantity }) => ({ sku, quantity }));
}

/** The Lambda handler: POST and PATCH need an `Idempotency-Key`; keys are scoped to the JWT subject. */
export const handler = makeIdempotentHttpHandler(createOrder, {
  store: new DynamoDBStore(),
  expiresAfterSeconds: ORDER_KEY_EXPIRY_SECONDS,
});
