// examples/user-project/src/payments.ts
/** The payment provider the handler calls. In production an HTTP API; here, an in-memory fake of one. */
export interface Payment {
  paymentId: string;
  amountCents: number;
}

const charges = new Map<string, Payment>(); // by idempotency key, as real payment APIs dedupe

/** Charges once per idempotency key (a repeated request gets the first charge back). */
export async function charge(payment: Payment, idempotencyKey: string): Promise<{ chargeId: string }> {
  if (!charges.has(idempotencyKey)) charges.set(idempotencyKey, payment);
  return { chargeId: `ch_${payment.paymentId}` };
}

/** For tests: how many charges a payment made. */
export function chargesFor(paymentId: string): number {
  return [...charges.values()].filter((p) => p.paymentId === paymentId).length;
}
