// docs/examples/decorator.ts
import type { Context } from 'aws-lambda';
import { DynamoDBStore, idempotent } from 'effectively-once';

interface PaymentEvent {
  paymentId: string;
  amountCents: number;
}
interface PaymentProvider {
  charge(event: PaymentEvent): Promise<{ chargeId: string }>;
}
declare const provider: PaymentProvider; // yours

const store = new DynamoDBStore();

class Payments {
  public constructor(private readonly payments: PaymentProvider) {}

  // TypeScript 5 decorators, or `experimentalDecorators: true`: both work.
  @idempotent({ store, key: 'paymentId' })
  public async handler(event: PaymentEvent, _context: Context): Promise<{ chargeId: string }> {
    return this.payments.charge(event); // `this` is the instance; the context gives the lease
  }
}

const payments = new Payments(provider);
export const handler = payments.handler.bind(payments);
