// docs/examples/migrate-powertools-before.ts (Powertools for AWS Lambda, the version you migrate from)
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';

type OrderEvent = { orderId: string; customerId: string; amountCents: number };
declare function chargeOrder(order: OrderEvent): Promise<{ chargeId: string }>; // your code

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'IdempotencyTable' });
const config = new IdempotencyConfig({
  eventKeyJmesPath: 'orderId',
  payloadValidationJmesPath: '[customerId, amountCents]',
  expiresAfterSeconds: 24 * 60 * 60,
  useLocalCache: true,
  maxLocalCacheSize: 512,
  throwOnNoIdempotencyKey: true,
  responseHook: (response) => ({ ...(response as object), replayed: true }),
});

export const handler = makeIdempotent(async (order: OrderEvent, _context: Context) => chargeOrder(order), {
  persistenceStore,
  config,
});
