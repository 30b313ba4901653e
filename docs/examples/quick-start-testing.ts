// docs/examples/quick-start-testing.ts
import fc from 'fast-check';
import { InMemoryStore, makeIdempotent } from 'effectively-once';
import { assertIdempotent } from 'effectively-once/testing';

// In a jest test: `test('a payment is charged once', chargesOnce)`.
export async function chargesOnce(): Promise<void> {
  const charges: string[] = []; // a fake payment provider: one entry per charge
  const charge = makeIdempotent(
    async (event: { paymentId: string; amountCents: number }) => {
      charges.push(event.paymentId);
      return { charged: event.amountCents };
    },
    { store: new InMemoryStore(), key: 'paymentId', name: 'charge' },
  );

  // Once, twice, concurrently, and crashed then retried: each must end as one call does.
  await assertIdempotent((payment, { namespace }) => charge({ ...payment, paymentId: `${namespace}-${payment.paymentId}` }), {
    inputs: fc.record({ paymentId: fc.uuid(), amountCents: fc.integer({ min: 1, max: 100_000 }) }),
    snapshot: (payment, { namespace }) => charges.filter((id) => id === `${namespace}-${payment.paymentId}`).length,
  });
}
