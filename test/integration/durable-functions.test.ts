/**
 * Lambda durable functions: `withDurableExecution(makeIdempotent(handler, options))` (and the middy middleware in
 * the same position), run by `@aws/durable-execution-sdk-js-testing`'s LocalDurableTestRunner in real time (its
 * time skipping does not re-invoke the handler consistently), on DynamoDB Local and on InMemoryStore.
 *
 * Every invocation of one durable execution (its resumes after a wait, its retries of a failed step) is the same
 * execution; another execution with the same key is a duplicate.
 */
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import { withDurableExecution, type DurableContext, type DurableLambdaHandler } from '@aws/durable-execution-sdk-js';
import { LocalDurableTestRunner, WaitingOperationStatus, type TestResult } from '@aws/durable-execution-sdk-js-testing';
import { DynamoDBStore, idempotencyMiddleware, idempotent, InMemoryStore, makeIdempotent, type IdempotencyStore } from '../../lib';
import { createTestTable, dynamoClient } from '../helpers/local';

// @middy/core is ESM-only; jest transpiles it to CommonJS (see jest.config.js), so require it here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

interface OrderEvent {
  readonly orderId: string;
  readonly amountCents: number;
}

interface Receipt {
  readonly orderId: string;
  readonly chargeId: string;
}

let sequence = 0;
const order = (amountCents = 1250): OrderEvent => ({ orderId: `order-${(sequence += 1)}`, amountCents });
const opName = (): string => `durable${(sequence += 1)}`;

/** A durable handler that charges once (a durable step), waits, then returns a receipt; it counts what ran. */
function chargeThenWait(waitSeconds: number) {
  const ran = { invocations: 0, charges: 0 };
  const handler = async (event: OrderEvent, ctx: DurableContext): Promise<Receipt> => {
    ran.invocations += 1;
    const chargeId = await ctx.step('charge', async () => `ch-${event.orderId}-${(ran.charges += 1)}`);
    await ctx.wait('pause', { seconds: waitSeconds });
    return { orderId: event.orderId, chargeId };
  };
  return { handler, ran };
}

function run<T>(
  handlerFunction: DurableLambdaHandler,
  payload: OrderEvent,
): { runner: LocalDurableTestRunner<T>; result: Promise<TestResult<T>> } {
  const runner = new LocalDurableTestRunner<T>({ handlerFunction });
  return { runner, result: runner.run({ payload }) };
}

beforeAll(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: false }));
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

const stores: readonly (readonly [string, () => Promise<IdempotencyStore>])[] = [
  ['DynamoDBStore', async () => new DynamoDBStore({ tableName: await createTestTable('durable'), client: dynamoClient() })],
  ['InMemoryStore', async () => new InMemoryStore()],
];

describe.each(stores)('withDurableExecution(makeIdempotent(...)) on %s', (_label, makeStore) => {
  let store: IdempotencyStore;
  beforeAll(async () => {
    store = await makeStore();
  });

  it('goes on after a wait: the resumed invocation is the same execution, not a duplicate', async () => {
    const { handler, ran } = chargeThenWait(1);
    const event = order();
    const durable = withDurableExecution(makeIdempotent(handler, { store, key: 'orderId', name: opName() }));

    const result = await run<Receipt>(durable, event).result;

    expect(result.getStatus()).toBe('SUCCEEDED');
    expect(result.getResult()).toEqual({ orderId: event.orderId, chargeId: `ch-${event.orderId}-1` });
    expect(ran).toEqual({ invocations: 2, charges: 1 });
  });

  it('keeps the record past leaseSeconds while the execution is suspended: leases do not end its ownership', async () => {
    const { handler, ran } = chargeThenWait(2);
    const event = order();
    let aheadMs = 0;
    const options = { store, key: 'orderId', name: opName(), leaseSeconds: 1, clock: () => Date.now() + aheadMs };
    const durable = withDurableExecution(makeIdempotent(handler, options));

    const first = run<Receipt>(durable, event);
    await first.runner.getOperation('pause').waitForData(WaitingOperationStatus.STARTED);
    aheadMs = 60_000; // far beyond leaseSeconds and clockSkewMs
    const second = await run<Receipt>(durable, event).result;

    expect(second.getError()).toMatchObject({ errorType: 'IdempotencyInProgressError' });
    expect((await first.result).getStatus()).toBe('SUCCEEDED');
    expect(ran).toEqual({ invocations: 2, charges: 1 });
  });

  it('goes on when the SDK retries a failed step in a new invocation', async () => {
    let attempts = 0;
    const handler = async (event: OrderEvent, ctx: DurableContext): Promise<string> =>
      ctx.step(
        'flaky-charge',
        async () => {
          attempts += 1;
          if (attempts === 1) throw new Error('payment provider timed out');
          return `charged ${event.orderId}`;
        },
        { retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: 1 } }) },
      );
    const event = order();
    const durable = withDurableExecution(makeIdempotent(handler, { store, key: 'orderId', name: opName() }));

    const result = await run<string>(durable, event).result;

    expect(result.getStatus()).toBe('SUCCEEDED');
    expect(result.getResult()).toBe(`charged ${event.orderId}`);
    expect(attempts).toBe(2);
    expect(result.getInvocations().length).toBeGreaterThanOrEqual(2);
  });

  it('refuses another execution with the same key while the first is suspended', async () => {
    const { handler, ran } = chargeThenWait(3);
    const event = order();
    const durable = withDurableExecution(makeIdempotent(handler, { store, key: 'orderId', name: opName() }));

    const first = run<Receipt>(durable, event);
    await first.runner.getOperation('pause').waitForData(WaitingOperationStatus.STARTED);
    const second = await run<Receipt>(durable, event).result;

    expect(second.getStatus()).toBe('FAILED');
    expect(second.getError()).toMatchObject({
      errorType: 'IdempotencyInProgressError',
      errorMessage: expect.stringContaining('is held by another invocation'),
    });
    const firstResult = await first.result;
    expect(firstResult.getStatus()).toBe('SUCCEEDED');
    expect(ran.charges).toBe(1);
  });

  it('replays the stored result to another execution with the same key once the first completed', async () => {
    const { handler, ran } = chargeThenWait(1);
    const event = order();
    const durable = withDurableExecution(makeIdempotent(handler, { store, key: 'orderId', name: opName() }));

    const first = await run<Receipt>(durable, event).result;
    const second = await run<Receipt>(durable, event).result;

    expect(second.getStatus()).toBe('SUCCEEDED');
    expect(second.getResult()).toEqual(first.getResult());
    expect(ran).toEqual({ invocations: 2, charges: 1 });
  });

  it('lets another execution run the key after the first failed', async () => {
    let runs = 0;
    const handler = async (event: OrderEvent, ctx: DurableContext): Promise<string> => {
      runs += 1;
      await ctx.wait('pause', { seconds: 1 });
      if (runs <= 2) throw new Error('card declined');
      return `charged ${event.orderId}`;
    };
    const event = order();
    const durable = withDurableExecution(makeIdempotent(handler, { store, key: 'orderId', name: opName() }));

    const failed = await run<string>(durable, event).result;
    const retried = await run<string>(durable, event).result;

    expect(failed.getStatus()).toBe('FAILED');
    expect(failed.getError()).toMatchObject({ errorMessage: 'card declined' });
    expect(retried.getStatus()).toBe('SUCCEEDED');
    expect(retried.getResult()).toBe(`charged ${event.orderId}`);
  });
});

describe('withDurableExecution(middy(handler).use(idempotencyMiddleware(...)))', () => {
  it('goes on after a wait and replays to another execution with the same key', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('durable-mw'), client: dynamoClient() });
    const { handler, ran } = chargeThenWait(1);
    const wrapped = middy(handler as (event: OrderEvent, context: unknown) => Promise<Receipt>).use(
      idempotencyMiddleware<OrderEvent, Receipt>({ store, key: 'orderId', name: opName() }),
    );
    const durable = withDurableExecution(wrapped as unknown as (event: OrderEvent, ctx: DurableContext) => Promise<Receipt>);
    const event = order();

    const first = await run<Receipt>(durable, event).result;
    const second = await run<Receipt>(durable, event).result;

    expect(first.getStatus()).toBe('SUCCEEDED');
    expect(first.getResult()).toEqual({ orderId: event.orderId, chargeId: `ch-${event.orderId}-1` });
    expect(second.getResult()).toEqual(first.getResult());
    expect(ran).toEqual({ invocations: 2, charges: 1 });
  });
});

describe('withDurableExecution of an @idempotent method', () => {
  it('goes on after a wait and replays to another execution with the same key', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('durable-decorator'), client: dynamoClient() });
    const ran = { invocations: 0, charges: 0 };
    class Orders {
      public readonly prefix = 'ch';

      @idempotent({ store, key: 'orderId', name: opName() })
      public async handle(event: OrderEvent, ctx: DurableContext): Promise<Receipt> {
        ran.invocations += 1;
        const chargeId = await ctx.step('charge', async () => `${this.prefix}-${event.orderId}-${(ran.charges += 1)}`);
        await ctx.wait('pause', { seconds: 1 });
        return { orderId: event.orderId, chargeId };
      }
    }
    const orders = new Orders();
    const durable = withDurableExecution((event: OrderEvent, ctx: DurableContext) => orders.handle(event, ctx));
    const event = order();

    const first = await run<Receipt>(durable, event).result;
    const second = await run<Receipt>(durable, event).result;

    expect(first.getStatus()).toBe('SUCCEEDED');
    expect(first.getResult()).toEqual({ orderId: event.orderId, chargeId: `ch-${event.orderId}-1` });
    expect(second.getResult()).toEqual(first.getResult());
    expect(ran).toEqual({ invocations: 2, charges: 1 });
  });
});
