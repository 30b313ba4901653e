/**
 * assertIdempotent against real handlers on DynamoDB Local: the example payment handler (crash points
 * before each DynamoDB request, no `recover`), the example SQS consumer (killed calls and lost responses
 * too, with an injected clock), and a handler with a real bug the kit must catch.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { createChaosConsumer, type AccountCharge } from '../../handlers/chaos-consumer';
import { createPaymentHandler, type PaymentProvider } from '../../handlers/payment';
import { DynamoDBStore, makeIdempotent } from '../../lib';
import { DEFAULT_LEASE_SECONDS } from '../../lib/defaults';
import { IdempotencyAssertionError, assertIdempotent, crashPoint } from '../../lib/testing';
import { FakePaymentsApi } from '../../scripts/chaos/fake-api';
import { createTestTable, newDynamoClient } from '../helpers/local';
import { manualClock } from '../helpers/clock';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const clients: DynamoDBClient[] = [];
function client(): DynamoDBClient {
  const made = newDynamoClient();
  clients.push(made);
  return made;
}
afterAll(() => {
  for (const made of clients.splice(0)) made.destroy();
});

/** Names of the middleware assertIdempotent adds, left on a client. */
function leftoverMiddleware(ddb: DynamoDBClient): string[] {
  return ddb.middlewareStack.identify().filter((name) => name.includes('AssertIdempotent'));
}

/** A payment provider that, like real ones, applies a charge once per idempotency key. */
function fakeProvider(): PaymentProvider & { charged: Map<string, number> } {
  const byKey = new Map<string, { chargeId: string }>();
  const charged = new Map<string, number>();
  return {
    charged,
    async charge(input) {
      const seen = byKey.get(input.idempotencyKey);
      if (seen !== undefined) return seen;
      const receipt = { chargeId: `ch_${input.amountCents}` };
      byKey.set(input.idempotencyKey, receipt);
      charged.set(input.customerId, (charged.get(input.customerId) ?? 0) + 1);
      await crashPoint('provider: charged, response on its way');
      return receipt;
    },
  };
}

const payments = fc.record({
  paymentId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
  customerId: fc.stringMatching(/^[a-z0-9]{1,8}$/),
  amountCents: fc.integer({ min: 1, max: 1_000_000 }),
});

describe('assertIdempotent on DynamoDB Local', () => {
  it('passes for the example payment handler, crashing it before each DynamoDB request and after the charge', async () => {
    const ddb = client();
    const [tableName, ledgerTable] = await Promise.all([createTestTable('ai-pay'), createTestTable('ai-pay-ledger')]);
    const provider = fakeProvider();
    const handler = createPaymentHandler({ client: ddb, tableName, ledgerTable, provider });
    const documents = DynamoDBDocumentClient.from(ddb);

    const report = await assertIdempotent(
      async (payment, { namespace }) => {
        // The namespace isolates the scenarios; the result and snapshot leave it out.
        const receipt = await handler({
          ...payment,
          paymentId: `${namespace}-${payment.paymentId}`,
          customerId: `${namespace}-${payment.customerId}`,
        });
        return { ...receipt, paymentId: payment.paymentId };
      },
      {
        inputs: payments,
        snapshot: async (payment, { namespace }) => {
          const { Item } = await documents.send(
            new GetCommand({ TableName: ledgerTable, Key: { id: `payment#${namespace}-${payment.paymentId}` }, ConsistentRead: true }),
          );
          return {
            ledger: Item === undefined ? null : { amountCents: Item['amountCents'], chargeId: Item['chargeId'] },
            charges: provider.charged.get(`${namespace}-${payment.customerId}`) ?? 0,
          };
        },
        clients: [ddb],
        numRuns: 20,
        seed: 101,
      },
    );

    expect(report.crashPoints).toEqual([
      'PutItemCommand: before sending',
      'provider: charged, response on its way',
      'UpdateItemCommand: before sending',
      'TransactWriteItemsCommand: before sending',
    ]);
    expect(leftoverMiddleware(ddb)).toEqual([]);
  });

  it('passes for the example SQS consumer, killed at any point and after lost responses, with leases expired by the clock', async () => {
    const ddb = client();
    const [tableName, ledgerTable] = await Promise.all([createTestTable('ai-sqs'), createTestTable('ai-sqs-ledger')]);
    let now = Date.now();
    const api = new FakePaymentsApi(() => 1, 0);
    const consumer = createChaosConsumer({
      store: new DynamoDBStore({ client: ddb, tableName }),
      ledgerTable,
      api,
      hooks: { checkpoint: (point) => crashPoint(point) },
      clock: () => now,
      logger: quiet,
    });
    const documents = DynamoDBDocumentClient.from(ddb);
    class RecordFailed extends Error {}

    const report = await assertIdempotent(
      async (charge: AccountCharge, { namespace }) => {
        const body: AccountCharge = { ...charge, eventId: `${namespace}-${charge.eventId}`, account: `${namespace}-${charge.account}` };
        const response = await consumer(sqsEvent([sqsRecord({ body: JSON.stringify(body) })]));
        // SQS delivers a record reported failed again.
        if (response.batchItemFailures.length > 0) throw new RecordFailed('the record was reported failed');
        return 'deleted';
      },
      {
        inputs: fc.record({
          eventId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
          account: fc.constantFrom('a', 'b'),
          amountCents: fc.integer({ min: 1, max: 100_000 }),
        }),
        snapshot: async (charge, { namespace }) => {
          const { Items = [] } = await documents.send(
            new ScanCommand({
              TableName: ledgerTable,
              FilterExpression: 'eventId = :e',
              ExpressionAttributeValues: { ':e': `${namespace}-${charge.eventId}` },
              ConsistentRead: true,
            }),
          );
          const { Item } = await documents.send(
            new GetCommand({ TableName: ledgerTable, Key: { id: `account#${namespace}-${charge.account}` }, ConsistentRead: true }),
          );
          return {
            entries: Items.map((item) => item['amountCents']),
            balanceCents: Item?.['balanceCents'] ?? 0,
            charges: api.applied.get(`${namespace}-${charge.eventId}`) ?? 0,
          };
        },
        clients: [ddb],
        recover: () => {
          now += (DEFAULT_LEASE_SECONDS + 1) * 1000;
        },
        redeliverWhen: (error) => error instanceof RecordFailed,
        numRuns: 25,
        seed: 202,
      },
    );

    expect(report.crashPoints).toEqual(
      expect.arrayContaining([
        'PutItemCommand: before sending',
        'PutItemCommand: after the response',
        'record-start',
        'after-external-call',
        'UpdateItemCommand: after the response',
        'between-steps',
        'TransactWriteItemsCommand: before sending',
        'TransactWriteItemsCommand: after the response',
      ]),
    );
    expect(leftoverMiddleware(ddb)).toEqual([]);
  });

  it('catches a handler that writes its ledger row outside commitWith: a crash before the completion writes it twice once the lease ends', async () => {
    const ddb = client();
    const [tableName, ledgerTable] = await Promise.all([createTestTable('ai-bug'), createTestTable('ai-bug-ledger')]);
    // A crashed call's record stays held until its lease ends; the redelivery comes after that.
    const clock = manualClock();
    let rows = 0;
    const handler = makeIdempotent(
      async (order: { orderId: string; amount: number }) => {
        // The bug: a plain write, not staged with commitWith, so it is not atomic with the stored result.
        rows += 1;
        await ddb.send(
          new PutItemCommand({
            TableName: ledgerTable,
            Item: { id: { S: `row-${rows}` }, orderId: { S: order.orderId }, amount: { N: String(order.amount) } },
          }),
        );
        return { booked: order.amount };
      },
      { store: new DynamoDBStore({ client: ddb, tableName }), name: 'buggy-orders', key: 'orderId', logger: quiet, clock },
    );

    const error = await assertIdempotent(
      (order: { orderId: string; amount: number }, { namespace }) => handler({ ...order, orderId: `${namespace}-${order.orderId}` }),
      {
        inputs: fc.record({ orderId: fc.stringMatching(/^[a-z0-9]{1,12}$/), amount: fc.integer({ min: 1, max: 1000 }) }),
        snapshot: async (order, { namespace }) => {
          const { Items = [] } = await DynamoDBDocumentClient.from(ddb).send(
            new ScanCommand({
              TableName: ledgerTable,
              FilterExpression: 'orderId = :o',
              ExpressionAttributeValues: { ':o': `${namespace}-${order.orderId}` },
              ConsistentRead: true,
            }),
          );
          return Items.length;
        },
        clients: [ddb],
        // The default 60 s lease and the 1 s clock-skew margin.
        recover: () => clock.advance(62_000),
        numRuns: 20,
        seed: 303,
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(IdempotencyAssertionError);
    const failure = error as IdempotencyAssertionError;
    expect(failure.scenario).toBe('crash-and-retry');
    expect(failure.message).toMatch(
      /crash-and-retry \((thrown|died) at crash point \d of \d, "[^"]+", then retried\) ended in a different state than one call:/,
    );
    expect(failure.message).toContain('after one call: 1');
    expect(failure.message).toContain('after crash-and-retry: 2');
    expect(failure.message).toContain('Seed: 303');
    expect(failure.counterexample).toEqual({ orderId: expect.any(String), amount: expect.any(Number) });
    expect(leftoverMiddleware(ddb)).toEqual([]);
    // The kit's middleware is gone: requests go through untouched.
    await expect(ddb.send(new GetItemCommand({ TableName: ledgerTable, Key: { id: { S: 'none' } } }))).resolves.toMatchObject({});
  });
});
