/**
 * Slow is the new crash: a claim that lands late must not start the work on a lease that is nearly (or
 * already) over. Each scenario holds the claim back for seconds (throttled, or the service unreachable)
 * with the SDK's default retries, lets work of 3.5 s run under a 6 s lease, and sends a duplicate once the
 * lease as it would have been computed before the first attempt has ended: the work runs once.
 * On DynamoDB Local, in real time (the SDK's own backoffs are part of the scenario).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, IdempotencyInProgressError, makeIdempotent, processSqsBatch, step } from '../../lib';
import { withFaults, type FaultOutage } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient, newDynamoClient } from '../helpers/local';
import { failedIds, fifoBatch, recordingLogger } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

const LEASE_SECONDS = 6;
const WORK_MS = 3_500;
/** The requests that claim: a single claim, and the claims a FIFO batch makes ahead in one request. */
const CLAIMS = ['PutItemCommand', 'BatchExecuteStatementCommand'];

let tableName: string;
const clients: ReturnType<typeof newDynamoClient>[] = [];

beforeAll(async () => {
  tableName = await createTestTable('lease-time');
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose claims fail for the outage's window (from now), through a client with the SDK's default retries. */
function storeWithOutage(outage: FaultOutage): DynamoDBStore {
  const client = newDynamoClient();
  clients.push(client);
  withFaults(client, { seed: 1, commands: CLAIMS, outages: [outage] });
  return new DynamoDBStore({ tableName, client });
}

/** The order handler of both deliveries: counts how often its work runs. */
function orderHandler(name: string, store: DynamoDBStore, runs: { count: number }) {
  return makeIdempotent(
    async (event: { orderId: string }) => {
      runs.count += 1;
      await sleep(WORK_MS);
      return `accepted ${event.orderId}`;
    },
    { store, name, key: 'orderId', leaseSeconds: LEASE_SECONDS },
  );
}

/** Runs the first delivery (with the outage) and a duplicate `duplicateAtMs` later; returns how often the work ran. */
async function deliverTwice(outage: FaultOutage, duplicateAtMs: number): Promise<{ runs: number; outcomes: unknown[] }> {
  const name = `late-claim-${randomUUID()}`;
  const runs = { count: 0 };
  const first = orderHandler(name, storeWithOutage(outage), runs);
  const duplicate = orderHandler(name, new DynamoDBStore({ tableName, client: dynamoClient() }), runs);
  const event = { orderId: randomUUID() };
  const outcomes = await Promise.allSettled([
    first(event),
    sleep(duplicateAtMs).then(async () => {
      try {
        return await duplicate(event);
      } catch (error) {
        // The duplicate may come while the first runs: it is refused, then redelivered once that is done.
        if (!(error instanceof IdempotencyInProgressError)) throw error;
        await sleep(error.retryAfterMs + 100);
        return duplicate(event);
      }
    }),
  ]);
  return { runs: runs.count, outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason)) };
}

describe('a claim that lands late', () => {
  it('runs the work once when every claim request is throttled for the first 4 s', async () => {
    const { runs, outcomes } = await deliverTwice({ fromMs: 0, toMs: 4_000, as: 'throttle' }, 7_300);
    expect(runs).toBe(1);
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(String(outcomes[0])).toMatch(/^accepted /);
  }, 40_000);

  it('runs the work once when DynamoDB is unreachable for 8 s during the claim', async () => {
    // The claim lands after 8 s: a lease computed before the first attempt would have ended 2 s earlier.
    const { runs, outcomes } = await deliverTwice({ fromMs: 0, toMs: 8_000, as: 'unreachable' }, 9_500);
    expect(runs).toBe(1);
    expect(outcomes[0]).toEqual(outcomes[1]);
  }, 40_000);
});

describe('claims made ahead for a FIFO batch that land late', () => {
  it('run each record once when the batched claim is throttled for 4 s and another consumer gets the batch at +7.3 s', async () => {
    const prefix = randomUUID();
    const records = fifoBatch([
      ['customer-1', { orderId: `${prefix}-1` }],
      ['customer-1', { orderId: `${prefix}-2` }],
    ]);
    const name = `late-claims-ahead-${randomUUID()}`;
    const ran: string[] = [];
    const consume = (store: DynamoDBStore) =>
      processSqsBatch(
        sqsEvent(records),
        async (_record, { body }) => {
          const { orderId } = body as { orderId: string };
          ran.push(orderId);
          await sleep(WORK_MS);
          return orderId;
        },
        { store, name, key: 'body.orderId', leaseSeconds: LEASE_SECONDS, logger: recordingLogger() },
      );
    const [first, second] = await Promise.all([
      consume(storeWithOutage({ fromMs: 0, toMs: 4_000, as: 'throttle' })),
      sleep(7_300).then(() => consume(new DynamoDBStore({ tableName, client: dynamoClient() }))),
    ]);
    expect(ran.sort()).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(failedIds(first)).toEqual([]);
    // The second consumer meets records the first holds: it waits for them (or reports them for a retry), never runs them.
    expect(failedIds(second).every((id) => records.some((r) => r.messageId === id))).toBe(true);
  }, 60_000);
});

describe('a step that starts late in a long handler', () => {
  it('renews a lease more than half gone before it runs, so a duplicate cannot take the record over and run the step again', async () => {
    const clock = manualClock();
    const store = new DynamoDBStore({ tableName, client: dynamoClient() });
    const name = `late-step-${randomUUID()}`;
    const charges: string[] = [];
    let duplicateOutcome: unknown;
    const options = { store, name, key: 'orderId', leaseSeconds: 2, clock };
    const duplicate = makeIdempotent(async (event: { orderId: string }) => {
      await step('charge', () => void charges.push(`duplicate ${event.orderId}`));
      return 'duplicate';
    }, options);
    const first = makeIdempotent(async (event: { orderId: string }) => {
      // 1.5 s of the 2 s lease go by before the step.
      clock.advance(1_500);
      await step('charge', () => void charges.push(`first ${event.orderId}`));
      // Past the lease as first claimed (2 s, plus the 1 s skew margin): a duplicate arrives.
      clock.advance(1_700);
      duplicateOutcome = await duplicate(event).catch((error: unknown) => error);
      return 'first';
    }, options);
    const orderId = randomUUID();
    await expect(first({ orderId })).resolves.toBe('first');
    expect(charges).toEqual([`first ${orderId}`]);
    expect(duplicateOutcome).toBeInstanceOf(IdempotencyInProgressError);
  });
});
