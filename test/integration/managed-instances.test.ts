/**
 * Lambda Managed Instances run several invocations at once in one process: one wrapped handler (one
 * engine, one middleware, one set of batch options) serves them all. Each invocation must use its own
 * Lambda context (its deadline gives its lease, its waits and its retries) and see nothing of the others:
 * its own record, token, steps and result. Against DynamoDB Local; the records are read back from the table.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import type { Context } from 'aws-lambda';
import {
  DynamoDBStore,
  IdempotencyContextError,
  IdempotencyInProgressError,
  idempotencyMiddleware,
  makeIdempotent,
  step,
  downstreamKey,
} from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { hashValue } from '../../lib/keys/hash';
import { createLambdaContext } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';
import { deferred, jsonRecord } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

// @middy/core is ESM-only; jest transpiles it to CommonJS (see jest.config.js), so require it here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

interface OrderEvent {
  orderId: string;
}

/** The function timeout of the simulated function: each invocation started some time before "now". */
const FUNCTION_TIMEOUT_MS = 900_000;
/** The lease is the invocation's remaining time less this margin (lib/defaults.ts LEASE_SAFETY_MARGIN_MS). */
const LEASE_MARGIN_MS = 1_000;

let tableName: string;
let store: DynamoDBStore;
let sequence = 0;
/** A unique operation name per test, so tests never share records. */
const opName = (): string => `mi${(sequence += 1)}`;

beforeAll(async () => {
  tableName = await createTestTable('managed');
  store = new DynamoDBStore({ tableName, client: dynamoClient() });
});

/** An invocation of the function that started `startedAgoMs` before the clock's now, with its own request id. */
function invocation(
  clock: () => number,
  orderId: string,
  startedAgoMs: number,
  awsRequestId = `request-${orderId}`,
): { event: OrderEvent; context: Context } {
  return { event: { orderId }, context: createLambdaContext({ timeoutMs: FUNCTION_TIMEOUT_MS - startedAgoMs, now: clock, awsRequestId }) };
}

/** Resolves once `count` invocations have arrived; every arrival waits until {@link Barrier.open}. */
interface Barrier {
  readonly allArrived: Promise<void>;
  arrive(): Promise<void>;
  open(): void;
}
function barrier(count: number): Barrier {
  const arrived = deferred();
  const opened = deferred();
  let arrivals = 0;
  return {
    allArrived: arrived.promise,
    arrive() {
      arrivals += 1;
      if (arrivals === count) arrived.resolve();
      return opened.promise;
    },
    open: () => opened.resolve(),
  };
}

/** The idempotency record of `orderId` under the operation `name`, as stored. */
async function record(name: string, orderId: string): Promise<{ status: string; leaseUntil: number; token: string; steps: string[] }> {
  const out = await dynamoClient().send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: `${name}#${hashValue(orderId)}` } }, ConsistentRead: true }),
  );
  if (!out.Item) throw new Error(`no record for ${orderId}`);
  return {
    status: String(out.Item['status']?.S),
    leaseUntil: Number(out.Item['leaseUntil']?.N),
    token: String(out.Item['token']?.S),
    steps: Object.keys(out.Item['steps']?.M ?? {}),
  };
}

/** Invocations started 1 s, 5 min, 10 min and 14 min before now: four different remaining times. */
const STARTED_AGO_MS = { 'o-1': 1_000, 'o-2': 300_000, 'o-3': 600_000, 'o-4': 840_000 } as const;
const ORDERS = Object.keys(STARTED_AGO_MS) as (keyof typeof STARTED_AGO_MS)[];
/** The lease each invocation's claim must write: its own remaining time, less the margin. */
const expectedLease = (now: number, orderId: keyof typeof STARTED_AGO_MS): number =>
  now + FUNCTION_TIMEOUT_MS - STARTED_AGO_MS[orderId] - LEASE_MARGIN_MS;

describe('one makeIdempotent handler serving concurrent invocations', () => {
  it("writes each claim's lease from its own context and returns each result to its own caller", async () => {
    const clock = manualClock();
    const name = opName();
    const gate = barrier(ORDERS.length);
    const handler = makeIdempotent(
      async (event: OrderEvent, context: Context) => {
        await gate.arrive();
        // A checkpoint and a downstream key of this invocation's own execution, after the others interleaved.
        const charged = await step('charge', async () => `charged ${event.orderId}`);
        return { orderId: event.orderId, requestId: context.awsRequestId, charged, downstreamKey: downstreamKey('psp') };
      },
      { store, key: 'orderId', name, clock },
    );

    const calls = ORDERS.map((orderId) => {
      const { event, context } = invocation(clock, orderId, STARTED_AGO_MS[orderId]);
      return handler(event, context);
    });
    await gate.allArrived; // all four hold their claims at once
    const held = await Promise.all(ORDERS.map((orderId) => record(name, orderId)));
    gate.open();
    const results = await Promise.all(calls);

    expect(held.map((r) => [r.status, r.leaseUntil])).toEqual(ORDERS.map((orderId) => ['INPROGRESS', expectedLease(clock(), orderId)]));
    expect(new Set(held.map((r) => r.token)).size).toBe(ORDERS.length);
    expect(results.map(({ orderId, requestId, charged }) => ({ orderId, requestId, charged }))).toEqual(
      ORDERS.map((orderId) => ({ orderId, requestId: `request-${orderId}`, charged: `charged ${orderId}` })),
    );
    expect(new Set(results.map((r) => r.downstreamKey)).size).toBe(ORDERS.length);
    const completed = await Promise.all(ORDERS.map((orderId) => record(name, orderId)));
    expect(completed.map((r) => r.status)).toEqual(ORDERS.map(() => 'COMPLETED'));
  });

  it("answers a concurrent duplicate from the holder's lease, not from the duplicate's own context", async () => {
    const clock = manualClock();
    const name = opName();
    const gate = barrier(1);
    let runs = 0;
    const handler = makeIdempotent(
      async (event: OrderEvent, _context: Context) => {
        runs += 1;
        await gate.arrive();
        return event.orderId;
      },
      { store, key: 'orderId', name, clock },
    );
    const holder = invocation(clock, 'dup', 840_000, 'holder'); // 60 s left: a 59 s lease
    const duplicate = invocation(clock, 'dup', 1_000, 'duplicate'); // 899 s left
    const first = handler(holder.event, holder.context);
    await gate.allArrived;

    const rejection = await handler(duplicate.event, duplicate.context).catch((error: unknown) => error);
    gate.open();

    expect(rejection).toBeInstanceOf(IdempotencyInProgressError);
    // The holder's lease end plus the default clockSkewMs (1 s), measured on the frozen clock.
    expect((rejection as IdempotencyInProgressError).retryAfterMs).toBe(60_000 - LEASE_MARGIN_MS + 1_000);
    await expect(first).resolves.toBe('dup');
    expect(runs).toBe(1);
  });

  it('bounds each waiting duplicate by its own deadline: the one with little time left gives up, the other gets the result', async () => {
    const name = opName();
    const gate = barrier(1);
    const handler = makeIdempotent(
      async (event: OrderEvent, _context: Context) => {
        await gate.arrive();
        return `done ${event.orderId}`;
      },
      { store, key: 'orderId', name, onInProgress: 'wait' },
    );
    const first = handler({ orderId: 'w' }, createLambdaContext({ timeoutMs: 60_000, awsRequestId: 'holder' }));
    await gate.allArrived;
    // 1.5 s left: its wait ends 1 s before its deadline, about 0.5 s from now, while the holder still runs.
    const short = handler({ orderId: 'w' }, createLambdaContext({ timeoutMs: 1_500, awsRequestId: 'short' }));
    const long = handler({ orderId: 'w' }, createLambdaContext({ timeoutMs: 60_000, awsRequestId: 'long' }));

    await expect(short).rejects.toThrow(IdempotencyInProgressError);
    await expect(short).rejects.toThrow('still held by another invocation when the wait ran out of time');
    gate.open();
    await expect(first).resolves.toBe('done w');
    await expect(long).resolves.toBe('done w');
  });
});

describe('one middy handler with idempotencyMiddleware serving concurrent invocations', () => {
  it("writes each claim's lease from its own context, and steps and results stay with their own invocation", async () => {
    const clock = manualClock();
    const name = opName();
    const gate = barrier(ORDERS.length);
    const handler = middy(async (event: OrderEvent, context: Context) => {
      await gate.arrive();
      const charged = await step('charge', async () => `charged ${event.orderId}`);
      return { orderId: event.orderId, requestId: context.awsRequestId, charged, downstreamKey: downstreamKey('psp') };
    }).use(idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name, clock }));

    const calls = ORDERS.map((orderId) => {
      const { event, context } = invocation(clock, orderId, STARTED_AGO_MS[orderId]);
      return handler(event, context);
    });
    await gate.allArrived;
    const held = await Promise.all(ORDERS.map((orderId) => record(name, orderId)));
    gate.open();
    const results = await Promise.all(calls);

    expect(held.map((r) => [r.status, r.leaseUntil])).toEqual(ORDERS.map((orderId) => ['INPROGRESS', expectedLease(clock(), orderId)]));
    expect(results.map(({ orderId, requestId, charged }) => ({ orderId, requestId, charged }))).toEqual(
      ORDERS.map((orderId) => ({ orderId, requestId: `request-${orderId}`, charged: `charged ${orderId}` })),
    );
    expect(new Set(results.map((r) => r.downstreamKey)).size).toBe(ORDERS.length);
    const completed = await Promise.all(ORDERS.map((orderId) => record(name, orderId)));
    expect(completed.map((r) => r.status)).toEqual(ORDERS.map(() => 'COMPLETED'));
  });
  // middy calls the middleware's `before` synchronously inside its caller's call, and no middleware can run
  // the handler in a context of its own: while an invocation runs, the caller's own async context (in Lambda,
  // the runtime's dispatch loop, which calls neither step nor commitWith) can reach its execution. What is
  // guaranteed: no other invocation ever does, and nothing does once the invocation has ended.
  it("empties an invocation's execution from its caller's context when it ends: a later step outside gets IdempotencyContextError", async () => {
    const name = opName();
    const handler = middy(async (event: OrderEvent) => event.orderId).use(
      idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name }),
    );

    // Dispatched from this context, as a runtime serving several invocations at once does.
    await handler({ orderId: 'ended' }, createLambdaContext({ timeoutMs: 60_000 }));
    const outside = await step('outside', async () => 'ran outside').catch((error: unknown) => error);

    expect(outside).toBeInstanceOf(IdempotencyContextError);
    expect((await record(name, 'ended')).steps).toEqual([]);
  });
});

describe('processSqsBatch with one set of options serving concurrent batches', () => {
  it("writes each record's lease from its own batch's context and reports failures to the right batch", async () => {
    const clock = manualClock();
    const name = opName();
    const gate = barrier(4);
    const options = { store, key: 'body.orderId', name, clock }; // module scope in a real handler
    const batches = [
      { startedAgoMs: 1_000, orders: ['b1-ok', 'b1-fail'] },
      { startedAgoMs: 600_000, orders: ['b2-ok', 'b2-fail'] },
    ];

    const calls = batches.map(({ startedAgoMs, orders }, index) => {
      const event = sqsEvent(orders.map((orderId) => jsonRecord({ orderId }, { messageId: orderId })));
      const context = createLambdaContext({ timeoutMs: FUNCTION_TIMEOUT_MS - startedAgoMs, now: clock, awsRequestId: `batch-${index}` });
      return processSqsBatch<OrderEvent>(
        event,
        async (_record, { body: { orderId } }) => {
          await gate.arrive();
          if (orderId.endsWith('fail')) throw new Error(`${orderId} failed`);
        },
        { ...options, context },
      );
    });
    await gate.allArrived;
    const held = await Promise.all(batches.flatMap(({ orders }) => orders.map((orderId) => record(name, orderId))));
    gate.open();
    const responses = await Promise.all(calls);

    expect(held.map((r) => r.leaseUntil)).toEqual(
      batches.flatMap(({ startedAgoMs, orders }) => orders.map(() => clock() + FUNCTION_TIMEOUT_MS - startedAgoMs - LEASE_MARGIN_MS)),
    );
    expect(responses).toEqual([
      { batchItemFailures: [{ itemIdentifier: 'b1-fail' }] },
      { batchItemFailures: [{ itemIdentifier: 'b2-fail' }] },
    ]);
  });
});
