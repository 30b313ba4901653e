// docs/examples/valkey-store.ts
import type { SQSEvent, Context } from 'aws-lambda';
import Valkey from 'iovalkey';
import { createClient } from 'redis';
import { makeIdempotent, processSqsBatch } from 'effectively-once';
import { ValkeyStore } from 'effectively-once/valkey';

// iovalkey or ioredis: the client you already have (TLS on, as ElastiCache and MemoryDB require in transit).
const valkey = new Valkey({ host: process.env.VALKEY_HOST, port: 6379, tls: {} });
const store = new ValkeyStore({ client: valkey, keyPrefix: 'orders:' });

export const chargeOrder = makeIdempotent(async (order: { orderId: string; amountCents: number }) => ({ charged: order.amountCents }), {
  store,
  key: 'orderId',
});

// An SQS consumer: the batch's claims go out as one script call, its completions as another.
export const handler = (event: SQSEvent, context: Context) =>
  processSqsBatch(event, async (_record, { body }) => ({ accepted: body }), { store, key: 'body.orderId', context });

// node-redis works too (connect it first), and so does waiting for a replica to acknowledge each write.
export async function nodeRedisStore(): Promise<ValkeyStore> {
  const client = createClient({ url: process.env.VALKEY_URL });
  await client.connect();
  return new ValkeyStore({ client, waitForReplicas: { replicas: 1, timeoutMs: 50 } });
}
