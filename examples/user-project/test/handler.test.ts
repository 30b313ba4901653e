// examples/user-project/test/handler.test.ts
import fc from 'fast-check';
import { assertIdempotent } from 'effectively-once/testing';
import { createHandler, handler, store } from '../src/handler';
import { chargesFor } from '../src/payments';

test('a duplicate is not charged again and gets the first result', async () => {
  const payment = { paymentId: `p-${Date.now()}`, amountCents: 1_250 };
  const first = await handler(payment);
  const second = await handler(payment);
  expect(second).toEqual(first);
  expect(chargesFor(payment.paymentId)).toBe(1);
});

test('a payment is charged once whatever the deliveries and crashes', async () => {
  let now = Date.now();
  const charge = createHandler(() => now);
  const report = await assertIdempotent(
    (payment, { namespace }) => charge({ ...payment, paymentId: `${namespace}-${payment.paymentId}` }),
    {
      inputs: fc.record({ paymentId: fc.uuid(), amountCents: fc.integer({ min: 1, max: 100_000 }) }),
      snapshot: (payment, { namespace }) => chargesFor(`${namespace}-${payment.paymentId}`),
      clients: [store.client], // each DynamoDB request is a crash point
      recover: () => {
        now += 61_000; // past the lease (60 s) and the clock skew allowance (1 s)
      },
      numRuns: 10,
    },
  );
  expect(report.crashPoints.length).toBeGreaterThan(0);
});
