/**
 * `npm start`: a short local demo. Starts DynamoDB Local, then delivers payments to the example handler
 * in handlers/payment.ts the way Lambda and clients do: duplicates, concurrent duplicates, retries. It
 * prints how often the side effect (the charge) ran, with and without effectively-once.
 */
// The SDK warns that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { createPaymentHandler, type PaymentProvider, type PaymentRequest } from '../handlers/payment';
import { createIdempotencyTable, createLambdaContext, startLocalDynamoDB } from '../lib/testing';

const PAYMENTS = Number(process.env['DEMO_PAYMENTS'] ?? 200);

function countingProvider(): PaymentProvider & { charges: Map<string, number> } {
  const charges = new Map<string, number>();
  return {
    charges,
    async charge(input) {
      charges.set(input.customerId, (charges.get(input.customerId) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 2));
      return { chargeId: `ch_${input.customerId}_${charges.get(input.customerId)}` };
    },
  };
}

/** Each payment is delivered 1 to 4 times, some of the copies at the same moment. */
function deliveries(count: number): PaymentRequest[][] {
  const waves: PaymentRequest[][] = [[], []];
  for (let i = 0; i < count; i += 1) {
    const event = { paymentId: `pay-${i}`, customerId: `customer-${i}`, amountCents: 100 + i };
    const copies = 1 + (i % 4);
    for (let c = 0; c < copies; c += 1) (c % 2 === 0 ? waves[0] : waves[1])?.push(event);
  }
  return waves;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('Starting DynamoDB Local (Java) ...');
  const dynamo = await startLocalDynamoDB();
  try {
    const [tableName, ledgerTable] = await Promise.all([
      createIdempotencyTable(dynamo.client, 'demo-idempotency'),
      createIdempotencyTable(dynamo.client, 'demo-ledger'),
    ]);
    const waves = deliveries(PAYMENTS);
    const deliveredCount = waves.flat().length;

    const plainProvider = countingProvider();
    for (const wave of waves) {
      await Promise.all(wave.map((event) => plainProvider.charge({ ...event, idempotencyKey: event.paymentId })));
    }

    const provider = countingProvider();
    const handler = createPaymentHandler({ client: dynamo.client, tableName, ledgerTable, provider });
    let inProgress = 0;
    for (const wave of waves) {
      const results = await Promise.allSettled(wave.map((event) => handler(event, createLambdaContext({ timeoutMs: 10_000 }))));
      // A duplicate that met the first copy still running is retried later, as SQS or a client would.
      const retry = wave.filter((_, i) => results[i]?.status === 'rejected');
      inProgress += retry.length;
      await Promise.all(retry.map((event) => handler(event, createLambdaContext({ timeoutMs: 10_000 }))));
    }

    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    const doubled = (m: Map<string, number>): number => [...m.values()].filter((n) => n > 1).length;
    console.log('');
    console.log(`| ${PAYMENTS} payments, ${deliveredCount} deliveries | charges made | customers charged twice or more |`);
    console.log('|---|---:|---:|');
    console.log(`| plain handler | ${total(plainProvider.charges)} | ${doubled(plainProvider.charges)} |`);
    console.log(`| with effectively-once | ${total(provider.charges)} | ${doubled(provider.charges)} |`);
    console.log('');
    console.log(`Duplicates that met a running first copy and were retried: ${inProgress}`);
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (total(provider.charges) !== PAYMENTS) process.exitCode = 1;
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
