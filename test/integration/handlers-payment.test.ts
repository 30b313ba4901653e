/**
 * The example payment handler in handlers/, run for real on DynamoDB Local.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createPaymentHandler, type PaymentProvider } from '../../handlers/payment';
import { createLambdaContext } from '../../lib/testing';
import { createTestTable, dynamoClient } from '../helpers/local';

function provider(): PaymentProvider & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async charge(input) {
      calls.push(input.idempotencyKey);
      return { chargeId: `ch_${calls.length}` };
    },
  };
}

describe('handlers/payment', () => {
  it('charges once and writes one ledger entry for 10 concurrent and 5 sequential duplicates', async () => {
    const [tableName, ledgerTable] = await Promise.all([createTestTable('pay'), createTestTable('pay-ledger')]);
    const fake = provider();
    const handler = createPaymentHandler({ client: dynamoClient(), tableName, ledgerTable, provider: fake });
    const event = { paymentId: 'pay-1', customerId: 'c-1', amountCents: 1999 };
    const concurrent = await Promise.allSettled(Array.from({ length: 10 }, () => handler(event, createLambdaContext())));
    const sequential = [];
    for (let i = 0; i < 5; i += 1) sequential.push(await handler(event, createLambdaContext()));
    expect(fake.calls).toHaveLength(1);
    const ledger = await dynamoClient().send(new ScanCommand({ TableName: ledgerTable, ConsistentRead: true }));
    expect(ledger.Count).toBe(1);
    expect(concurrent.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(sequential).toEqual(Array(5).fill({ paymentId: 'pay-1', chargeId: 'ch_1', amountCents: 1999 }));
  });
});
