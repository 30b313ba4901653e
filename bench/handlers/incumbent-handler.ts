/** Footprint probe: the same idempotent Lambda handler written with Powertools, as its docs show. */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env['IDEMPOTENCY_TABLE_NAME'] ?? 'idempotency' });

export const handler = makeIdempotent(
  async (event: { orderId: string; amount: number }, _context: Context) => ({ status: 'accepted', orderId: event.orderId }),
  { persistenceStore, config: new IdempotencyConfig({ eventKeyJmesPath: 'orderId' }) },
);
