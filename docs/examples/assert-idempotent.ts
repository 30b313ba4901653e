// docs/examples/assert-idempotent.ts
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { assertIdempotent } from 'effectively-once/testing';

interface Payment {
  paymentId: string;
  amountCents: number;
}
declare const handler: (payment: Payment) => Promise<unknown>; // your handler
declare const dynamoClient: DynamoDBClient; // the client its store uses
declare function readLedgerEntries(paymentId: string): Promise<unknown[]>; // your test helpers
declare function emptyTables(): Promise<void>;
declare const fakePsp: { chargesFor(paymentId: string): unknown[]; clear(): Promise<void> };

export async function handlerIsIdempotent(): Promise<void> {
  await assertIdempotent(
    (payment) => handler(payment), // your handler, called with one generated input
    {
      inputs: fc.record({ paymentId: fc.uuid(), amountCents: fc.integer({ min: 1, max: 100_000 }) }),
      snapshot: async (payment) => ({
        // the observable state the calls ended in
        ledger: await readLedgerEntries(payment.paymentId),
        charges: fakePsp.chargesFor(payment.paymentId),
      }),
      reset: async () => {
        await Promise.all([emptyTables(), fakePsp.clear()]);
      }, // each scenario starts clean
      clients: [dynamoClient], // each DynamoDB request is a crash point
    },
  );
}
