/**
 * Example: a payment handler that charges a card exactly once in effect.
 *
 * - `makeIdempotent` claims the payment ID before running, so duplicates (client retries, redeliveries)
 *   get the stored receipt instead of a second charge.
 * - `step` checkpoints the charge: if the function crashes after charging, the retry does not charge again.
 * - `downstreamKey` gives the payment provider an idempotency key that is the same on every attempt.
 * - `commitWith` commits the ledger entry in one transaction with the stored result.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore, commitWith, downstreamKey, makeIdempotent, step } from '../lib';

/** The event this handler receives. */
export interface PaymentRequest {
  readonly paymentId: string;
  readonly customerId: string;
  readonly amountCents: number;
}

/** What a caller gets back (the same on every duplicate). */
export interface PaymentReceipt {
  readonly paymentId: string;
  readonly chargeId: string;
  readonly amountCents: number;
}

/** The external payment API (a real one would be an HTTP client). */
export interface PaymentProvider {
  charge(input: { customerId: string; amountCents: number; idempotencyKey: string }): Promise<{ chargeId: string }>;
}

/** Dependencies, injectable for tests and the demo. */
export interface PaymentHandlerDeps {
  readonly client: DynamoDBClient;
  /** The idempotency table. */
  readonly tableName: string;
  /** The business table that holds ledger entries (partition key `id`). */
  readonly ledgerTable: string;
  readonly provider: PaymentProvider;
}

/** Builds the handler; `handler` below wires it from the environment for Lambda. */
export function createPaymentHandler(deps: PaymentHandlerDeps): (event: PaymentRequest, context?: unknown) => Promise<PaymentReceipt> {
  const store = new DynamoDBStore({ tableName: deps.tableName, client: deps.client });
  return makeIdempotent(
    async (event: PaymentRequest, _context?: unknown): Promise<PaymentReceipt> => {
      const { chargeId } = await step('charge', () =>
        deps.provider.charge({
          customerId: event.customerId,
          amountCents: event.amountCents,
          idempotencyKey: downstreamKey('charge'),
        }),
      );
      commitWith({
        Put: {
          TableName: deps.ledgerTable,
          Item: { id: `payment#${event.paymentId}`, customerId: event.customerId, amountCents: event.amountCents, chargeId },
          ConditionExpression: 'attribute_not_exists(id)',
        },
      });
      return { paymentId: event.paymentId, chargeId, amountCents: event.amountCents };
    },
    { store, name: 'payment', key: 'paymentId', fingerprint: '[customerId, amountCents]' },
  );
}

let lambdaHandler: ((event: PaymentRequest, context?: unknown) => Promise<PaymentReceipt>) | undefined;

/** The Lambda entry point: tables from IDEMPOTENCY_TABLE_NAME and LEDGER_TABLE_NAME. */
export const handler = (event: PaymentRequest, context?: unknown): Promise<PaymentReceipt> => {
  lambdaHandler ??= createPaymentHandler({
    client: new DynamoDBClient({}),
    tableName: process.env['IDEMPOTENCY_TABLE_NAME'] ?? '',
    ledgerTable: process.env['LEDGER_TABLE_NAME'] ?? '',
    provider: {
      async charge() {
        throw new Error('Wire a real payment provider here');
      },
    },
  });
  return lambdaHandler(event, context);
};
