/**
 * Options declared apart, without a result type, fit any wrapped function and keep its result type (the
 * shape of the packed-tarball consumer test, checked here by the typecheck).
 */
import { makeIdempotent, DynamoDBStore, IdempotencyInProgressError, type IdempotencyOptions } from '../../lib';
const options: IdempotencyOptions<[{ orderId: string }]> = { store: new DynamoDBStore({ tableName: 't' }), key: 'orderId' };
const handler = makeIdempotent(async (event: { orderId: string }) => ({ ok: event.orderId.length }), options);
export async function use(): Promise<number> {
  const r = await handler({ orderId: 'x' });
  return r.ok;
}
export const isBusy = (e: unknown): boolean => e instanceof IdempotencyInProgressError && e.retryAfterMs > 0;
