// docs/examples/complete-step.ts
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

declare function sendMoney(transfer: { transferId: string }): Promise<{ receipt: string }>; // your code

const store = new DynamoDBStore();

const transfer = makeIdempotent(sendMoney, { store, key: 'transferId' });

export async function reconcile(): Promise<void> {
  // The bank says transfer t-1 went through: replay that result for the step and finish the rest.
  await transfer.completeStep('send-money', { receipt: 'r-123' }, { transferId: 't-1' });
  // The bank has no trace of it: delete the record, the next delivery runs afresh.
  await transfer.release({ transferId: 't-1' });
}
