// docs/examples/assert-idempotent-recover.ts
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Arbitrary } from 'fast-check';
import { makeIdempotent, type IdempotencyStore } from 'effectively-once';
import { assertIdempotent } from 'effectively-once/testing';

interface Order {
  orderId: string;
}
declare function work(order: Order): Promise<unknown>; // your handler's work
declare const store: IdempotencyStore;
declare const client: DynamoDBClient;
declare const inputs: Arbitrary<Order>;
declare function snapshot(order: Order): Promise<unknown>;
declare function reset(): Promise<void>;

export async function survivesDyingCalls(): Promise<void> {
  let now = Date.now();
  const handler = makeIdempotent(work, { store, key: 'orderId', clock: () => now });
  await assertIdempotent(handler, {
    inputs,
    snapshot,
    reset,
    clients: [client],
    recover: () => {
      now += 61_000;
    },
  });
}
