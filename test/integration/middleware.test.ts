/**
 * The middy middleware, with the real @middy/core, on DynamoDB Local.
 */
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import { DynamoDBStore, IdempotencyInProgressError, idempotencyMiddleware, step, downstreamKey } from '../../lib';
import { createLambdaContext } from '../../lib/testing';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests } from '../helpers/request-counter';

interface OrderEvent {
  orderId: string;
}

// @middy/core is ESM-only; jest transpiles it to CommonJS (see jest.config.js), so require it here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

let store: DynamoDBStore;
let sequence = 0;
const opName = (): string => `mw${(sequence += 1)}`;

beforeAll(async () => {
  store = new DynamoDBStore({ tableName: await createTestTable('middleware'), client: dynamoClient() });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('idempotencyMiddleware with @middy/core', () => {
  it('runs the handler once and replays its response to duplicates', async () => {
    let runs = 0;
    const handler = middy(async (event: OrderEvent) => ({ order: event.orderId, run: (runs += 1) })).use(
      idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName() }),
    );
    const context = createLambdaContext();
    const first = await handler({ orderId: 'm-1' }, context);
    const second = await handler({ orderId: 'm-1' }, context);
    expect(first).toEqual({ order: 'm-1', run: 1 });
    expect(second).toEqual(first);
    expect(runs).toBe(1);
  });

  it('replays a stored undefined without running the handler again', async () => {
    let runs = 0;
    const handler = middy(async () => {
      runs += 1;
      return undefined;
    }).use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName() }));
    await expect(handler({ orderId: 'undef' }, createLambdaContext())).resolves.toBeUndefined();
    await expect(handler({ orderId: 'undef' }, createLambdaContext())).resolves.toBeUndefined();
    expect(runs).toBe(1);
  });

  it('releases the lease when the handler throws, so a retry runs at once', async () => {
    let runs = 0;
    const handler = middy(async () => {
      runs += 1;
      if (runs === 1) throw new Error('handler failed');
      return 'second';
    }).use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName() }));
    await expect(handler({ orderId: 'fail' }, createLambdaContext())).rejects.toThrow('handler failed');
    await expect(handler({ orderId: 'fail' }, createLambdaContext())).resolves.toBe('second');
  });

  it("never releases a lease it did not acquire: a duplicate's in-progress error leaves the first invocation's record", async () => {
    const gate = deferred();
    const started = deferred();
    let runs = 0;
    const handler = middy(async () => {
      runs += 1;
      started.resolve();
      await gate.promise;
      return 'first';
    }).use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName(), leaseSeconds: 60 }));
    const first = handler({ orderId: 'dup' }, createLambdaContext({ timeoutMs: 60_000 }));
    await started.promise;
    const duplicate = await handler({ orderId: 'dup' }, createLambdaContext()).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(IdempotencyInProgressError);
    // Had the duplicate deleted the record, this third call would run the handler a second time.
    const third = await handler({ orderId: 'dup' }, createLambdaContext()).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(IdempotencyInProgressError);
    gate.resolve();
    await expect(first).resolves.toBe('first');
    expect(runs).toBe(1);
  });

  it('costs 2 requests on a first call and 1 on a replay, as the wrapper does', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const handler = middy(async () => 'ok').use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName() }));
      counter.reset();
      await handler({ orderId: 'count' }, createLambdaContext());
      expect(counter.total()).toBe(2);
      counter.reset();
      await handler({ orderId: 'count' }, createLambdaContext());
      expect(counter.total()).toBe(1);
    } finally {
      counter.remove();
    }
  });

  it('lets the handler use step and downstreamKey when it is the first middleware', async () => {
    const handler = middy(async () => {
      const key = downstreamKey('payment');
      const charged = await step('charge', async () => `charged with ${key.slice(0, 8)}`);
      return charged;
    }).use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName() }));
    await expect(handler({ orderId: 'steps' }, createLambdaContext())).resolves.toMatch(/^charged with [0-9a-f]{8}$/);
  });
});
