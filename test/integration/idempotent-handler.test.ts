/**
 * The foundation's semantics, each a test, against DynamoDB Local (started by jest's globalSetup).
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStore,
  IdempotencyConfigError,
  IdempotencyInProgressError,
  IdempotencyKeyError,
  IdempotencyLeaseLostError,
  IdempotencyPayloadMismatchError,
  makeIdempotent,
} from '../../lib';
import { createLambdaContext } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests, loseNextResponse } from '../helpers/request-counter';

interface Order {
  orderId: string;
  amount?: number;
  items?: string[];
}

let tableName: string;
let store: DynamoDBStore;

beforeAll(async () => {
  tableName = await createTestTable('handler');
  store = new DynamoDBStore({ tableName, client: dynamoClient() });
});

let sequence = 0;
/** A unique operation name per test, so tests never share records. */
const opName = (): string => `op${(sequence += 1)}`;

/** A promise resolved by hand: lets a test wait for an event instead of sleeping. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Runs `call` and returns the record ids its claims wrote (the namespaced, hashed keys). */
async function claimedIds(call: () => Promise<unknown>): Promise<string[]> {
  const ids: string[] = [];
  const name = `captureClaims${(sequence += 1)}`;
  dynamoClient().middlewareStack.add(
    (next) => async (args) => {
      const id = (args as { input: { Item?: { id?: { S?: string } } } }).input.Item?.id?.S;
      if (id) ids.push(id);
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await call();
  } finally {
    dynamoClient().middlewareStack.remove(name);
  }
  return ids;
}

async function rawItem(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamoClient().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
  return out.Item;
}

describe('claim', () => {
  it('runs the work once and replays the stored result to a sequential duplicate', async () => {
    let runs = 0;
    const handler = makeIdempotent(async (event: Order) => ({ charged: event.orderId, run: (runs += 1) }), {
      store,
      key: 'orderId',
      name: opName(),
    });
    const first = await handler({ orderId: 'o-1', amount: 5 });
    const second = await handler({ orderId: 'o-1', amount: 5 });
    expect(first).toEqual({ charged: 'o-1', run: 1 });
    expect(second).toEqual(first);
    expect(runs).toBe(1);
  });

  it('treats a record whose TTL passed (but is not yet deleted) as absent', async () => {
    const clock = manualClock();
    let runs = 0;
    const handler = makeIdempotent(async (_event: Order) => (runs += 1), {
      store,
      key: 'orderId',
      name: opName(),
      expiresAfterSeconds: 10,
      clock,
    });
    await handler({ orderId: 'ttl' });
    clock.advance(11_000);
    await expect(handler({ orderId: 'ttl' })).resolves.toBe(2);
    expect(runs).toBe(2);
  });

  it('stores only hashed, namespaced keys: no raw payload in the table', async () => {
    const name = opName();
    const seen = await claimedIds(() =>
      makeIdempotent(async (_event: Order) => 'ok', { store, key: 'orderId', name })({ orderId: 'secret-card-4242' }),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(new RegExp(`^${name}#[0-9a-f]{64}$`));
    expect(seen[0]).not.toContain('secret');
  });
});

describe('keys', () => {
  it('ignores the order of object keys', async () => {
    let runs = 0;
    const handler = makeIdempotent(async (_event: Order) => (runs += 1), { store, name: opName() });
    await handler({ orderId: 'k', amount: 1, items: ['a'] });
    await handler({ items: ['a'], amount: 1, orderId: 'k' });
    expect(runs).toBe(1);
  });

  it('computes the key once, so a handler that mutates its input cannot strand its record', async () => {
    let runs = 0;
    const handler = makeIdempotent(
      async (event: Order) => {
        runs += 1;
        event.orderId = 'mutated';
        return 'done';
      },
      { store, key: 'orderId', name: opName() },
    );
    await handler({ orderId: 'original' });
    await expect(handler({ orderId: 'original' })).resolves.toBe('done');
    expect(runs).toBe(1);
  });

  it.each([
    ['null', { orderId: null }],
    ['undefined', {}],
    ['an empty string', { orderId: '' }],
  ])('rejects a missing key (%s) with IdempotencyKeyError and runs nothing', async (_label, event) => {
    let runs = 0;
    const handler = makeIdempotent(async (_event: Order) => (runs += 1), { store, key: 'orderId', name: opName() });
    const error = await handler(event as Order).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyError);
    expect((error as Error).message).toMatch(/No idempotency key found/);
    expect(runs).toBe(0);
  });

  it('treats an all-null JMESPath multi-select as a missing key', async () => {
    const handler = makeIdempotent(async (_event: Order) => 'ran', { store, key: '[orderId, customerId]', name: opName() });
    await expect(handler({ orderId: undefined } as unknown as Order)).rejects.toThrow(IdempotencyKeyError);
  });

  it("runs unprotected on a missing key with onMissingKey: 'run', every time", async () => {
    let runs = 0;
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
    const handler = makeIdempotent(async (_event: Order) => (runs += 1), {
      store,
      key: 'orderId',
      name: opName(),
      onMissingKey: 'run',
      logger,
    });
    await handler({} as Order);
    await handler({} as Order);
    expect(runs).toBe(2);
    expect(warnings[0]).toMatch(/running without idempotency/);
  });

  it('keeps two operations with different names apart for the same key', async () => {
    const a = makeIdempotent(async (_event: Order) => 'a', { store, key: 'orderId', name: opName() });
    const b = makeIdempotent(async (_event: Order) => 'b', { store, key: 'orderId', name: opName() });
    await expect(a({ orderId: 'same' })).resolves.toBe('a');
    await expect(b({ orderId: 'same' })).resolves.toBe('b');
  });
});

describe('fingerprint', () => {
  it('rejects a duplicate key with a different payload with IdempotencyPayloadMismatchError', async () => {
    const handler = makeIdempotent(async (event: Order) => event.amount, {
      store,
      key: 'orderId',
      fingerprint: 'amount',
      name: opName(),
    });
    await handler({ orderId: 'fp', amount: 10 });
    const error = await handler({ orderId: 'fp', amount: 99 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyPayloadMismatchError);
    expect((error as IdempotencyPayloadMismatchError).key).toMatch(/#[0-9a-f]{64}$/);
    expect((error as Error).message).toMatch(/different payload/);
  });
});

describe('leases and fencing tokens', () => {
  it('gives a duplicate during the lease IdempotencyInProgressError with retryAfterMs', async () => {
    const gate = deferred();
    const started = deferred();
    const handler = makeIdempotent(
      async (_event: Order) => {
        started.resolve();
        await gate.promise;
        return 'first';
      },
      { store, key: 'orderId', name: opName(), leaseSeconds: 30 },
    );
    const first = handler({ orderId: 'busy' });
    await started.promise;
    const error = await handler({ orderId: 'busy' }).catch((e: unknown) => e);
    gate.resolve();
    await expect(first).resolves.toBe('first');
    expect(error).toBeInstanceOf(IdempotencyInProgressError);
    expect((error as IdempotencyInProgressError).retryAfterMs).toBeGreaterThan(20_000);
    expect((error as IdempotencyInProgressError).retryAfterMs).toBeLessThanOrEqual(31_000);
  });

  it('lets another invocation take over an expired lease; the late one gets IdempotencyLeaseLostError and cannot overwrite', async () => {
    const clock = manualClock();
    const gate = deferred();
    const started = deferred();
    const name = opName();
    const slow = makeIdempotent(
      async (_event: Order) => {
        started.resolve();
        await gate.promise;
        return 'late';
      },
      { store, key: 'orderId', name, leaseSeconds: 5, clock },
    );
    const fast = makeIdempotent(async (_event: Order) => 'new owner', { store, key: 'orderId', name, leaseSeconds: 5, clock });
    const late = slow({ orderId: 'takeover' });
    await started.promise;
    clock.advance(7_000); // the 5 s lease and the 1 s clock-skew margin
    await expect(fast({ orderId: 'takeover' })).resolves.toBe('new owner');
    gate.resolve();
    const error = await late.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyLeaseLostError);
    expect((error as Error).message).toMatch(/lease was taken over/);
    await expect(fast({ orderId: 'takeover' })).resolves.toBe('new owner');
  });

  it("does not let a late failing invocation delete the new owner's record", async () => {
    const clock = manualClock();
    const gate = deferred();
    const started = deferred();
    const name = opName();
    let runs = 0;
    const slow = makeIdempotent(
      async (_event: Order) => {
        started.resolve();
        await gate.promise;
        throw new Error('late failure');
      },
      { store, key: 'orderId', name, leaseSeconds: 5, clock },
    );
    const owner = makeIdempotent(async (_event: Order) => `owner ${(runs += 1)}`, { store, key: 'orderId', name, leaseSeconds: 5, clock });
    const late = slow({ orderId: 'no-delete' });
    await started.promise;
    clock.advance(7_000);
    await owner({ orderId: 'no-delete' });
    gate.resolve();
    await expect(late).rejects.toThrow('late failure');
    await expect(owner({ orderId: 'no-delete' })).resolves.toBe('owner 1');
    expect(runs).toBe(1);
  });

  it('takes the lease from the Lambda context remaining time by default', async () => {
    const clock = manualClock();
    const name = opName();
    const gate = deferred();
    const started = deferred();
    const handler = makeIdempotent(
      async (_event: Order, _context: unknown) => {
        started.resolve();
        await gate.promise;
        return 'ok';
      },
      { store, key: 'orderId', name, clock },
    );
    const context = createLambdaContext({ timeoutMs: 20_000 });
    const running = handler({ orderId: 'ctx' }, context);
    await started.promise;
    const error = (await handler({ orderId: 'ctx' }, context).catch((e: unknown) => e)) as IdempotencyInProgressError;
    gate.resolve();
    await running;
    expect(error).toBeInstanceOf(IdempotencyInProgressError);
    expect(error.retryAfterMs).toBeGreaterThan(15_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(20_000);
  });
});

describe('ambiguous writes (a response lost after the write was applied)', () => {
  it('recognises a retried claim as its own: the work runs once, never "in progress" against itself', async () => {
    const lose = loseNextResponse(dynamoClient(), 'PutItemCommand');
    let runs = 0;
    try {
      const handler = makeIdempotent(async (_event: Order) => (runs += 1), { store, key: 'orderId', name: opName() });
      await expect(handler({ orderId: 'lost-claim' })).resolves.toBe(1);
      await expect(handler({ orderId: 'lost-claim' })).resolves.toBe(1);
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
    expect(runs).toBe(1);
  });

  it('counts a retried completion as done', async () => {
    const lose = loseNextResponse(dynamoClient(), 'UpdateItemCommand');
    try {
      const handler = makeIdempotent(async (_event: Order) => 'stored', { store, key: 'orderId', name: opName() });
      await expect(handler({ orderId: 'lost-complete' })).resolves.toBe('stored');
      await expect(handler({ orderId: 'lost-complete' })).resolves.toBe('stored');
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
  });

  it('counts a retried release as released, so a retry runs at once', async () => {
    const lose = loseNextResponse(dynamoClient(), 'DeleteItemCommand');
    let runs = 0;
    try {
      const handler = makeIdempotent(
        async (_event: Order) => {
          runs += 1;
          if (runs === 1) throw new Error('first attempt fails');
          return 'second attempt';
        },
        { store, key: 'orderId', name: opName() },
      );
      await expect(handler({ orderId: 'lost-release' })).rejects.toThrow('first attempt fails');
      await expect(handler({ orderId: 'lost-release' })).resolves.toBe('second attempt');
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
  });
});

describe('handler errors', () => {
  it('releases the lease at once and rethrows the error unchanged', async () => {
    const failure = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Order) => {
        runs += 1;
        if (runs === 1) throw failure;
        return 'retried';
      },
      { store, key: 'orderId', name: opName(), leaseSeconds: 300 },
    );
    const error = await handler({ orderId: 'err' }).catch((e: unknown) => e);
    expect(error).toBe(failure);
    await expect(handler({ orderId: 'err' })).resolves.toBe('retried');
  });

  it('never leaves a record held beyond its lease when storing the result fails', async () => {
    const clock = manualClock();
    const name = opName();
    const brokenClient = dynamoClient();
    const failing = 'failCompletion';
    brokenClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' || context.commandName === 'DeleteItemCommand') {
          throw Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: failing },
    );
    let runs = 0;
    const handler = makeIdempotent(async (_event: Order) => (runs += 1), {
      store,
      key: 'orderId',
      name,
      leaseSeconds: 5,
      clock,
      completionRetrySeconds: 1,
    });
    let error: unknown;
    try {
      error = await handler({ orderId: 'store-fails' }).catch((e: unknown) => e);
    } finally {
      brokenClient.middlewareStack.remove(failing);
    }
    expect((error as Error).name).toBe('IdempotencyStoreError');
    expect((error as Error).message).toMatch(/DynamoDB failed to store the result/);
    clock.advance(7_000);
    await expect(handler({ orderId: 'store-fails' })).resolves.toBe(2);
  });
});

describe('replays', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['zero', 0],
    ['an empty string', ''],
    ['false', false],
    ['a nested object', { a: [1, { b: 'c' }], d: null }],
  ])('return the stored result exactly: %s', async (_label, value) => {
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Order) => {
        runs += 1;
        return value;
      },
      { store, key: 'orderId', name: opName() },
    );
    await handler({ orderId: 'replay' });
    await expect(handler({ orderId: 'replay' })).resolves.toEqual(value);
    expect(runs).toBe(1);
  });
});

describe('concurrency', () => {
  it('runs the work exactly once for 20 simultaneous calls with one key', async () => {
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Order) => {
        runs += 1;
        await new Promise((r) => setTimeout(r, 50));
        return 'once';
      },
      { store, key: 'orderId', name: opName(), onInProgress: 'wait' },
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => handler({ orderId: 'storm' })));
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['once']));
  });

  it("with onInProgress: 'throw', lets exactly one of 20 simultaneous calls run and refuses the others", async () => {
    let runs = 0;
    let settled = 0;
    const othersSettled = deferred();
    const handler = makeIdempotent(
      async (_event: Order) => {
        runs += 1;
        // Hold the lease until every other call has been answered, so none can arrive after completion.
        await othersSettled.promise;
        return 'once';
      },
      { store, key: 'orderId', name: opName() },
    );
    const calls = Array.from({ length: 20 }, () =>
      handler({ orderId: 'storm-throw' }).finally(() => {
        settled += 1;
        if (settled === 19) othersSettled.resolve();
      }),
    );
    const results = await Promise.allSettled(calls);
    expect(runs).toBe(1);
    expect(results.filter((s) => s.status === 'fulfilled')).toEqual([{ status: 'fulfilled', value: 'once' }]);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.reason).toBeInstanceOf(IdempotencyInProgressError);
  });
});

describe('request counts', () => {
  it('first call = 2 requests, replay = 1, replay from the local cache = 0', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const handler = makeIdempotent(async (_event: Order) => 'counted', {
        store,
        key: 'orderId',
        name: opName(),
        localCache: { maxItems: 10 },
      });
      const uncached = makeIdempotent(async (_event: Order) => 'counted', { store, key: 'orderId', name: opName() });

      counter.reset();
      await handler({ orderId: 'count' });
      expect(counter.counts).toEqual({ PutItemCommand: 1, UpdateItemCommand: 1 });

      counter.reset();
      await handler({ orderId: 'count' });
      expect(counter.total()).toBe(0);

      await uncached({ orderId: 'count-2' });
      counter.reset();
      await uncached({ orderId: 'count-2' });
      expect(counter.counts).toEqual({ PutItemCommand: 1 });
    } finally {
      counter.remove();
    }
  });
});

describe('options', () => {
  it.each([
    [{ expiresAfterSeconds: -1 }, /Expected `expiresAfterSeconds` to be a positive number, got -1/],
    [{ leaseSeconds: 0 }, /Expected `leaseSeconds` to be a positive number, got 0/],
    [{ onInProgress: 'block' }, /Expected `onInProgress` to be one of 'throw', 'wait', got "block"/],
    [{ localCache: { maxItems: 1.5 } }, /Expected `localCache.maxItems` to be a positive whole number, got 1.5/],
    [{ expiresAfterSecs: 10 }, /Unknown option `expiresAfterSecs`/],
    [{ key: 'orders[' }, /Expected `key` to be a valid JMESPath expression, got "orders\["/],
  ])('rejects %p at wrap time naming the option and the value', (bad, message) => {
    const wrap = (): unknown => makeIdempotent(async (_event: Order) => 1, { store, name: opName(), ...(bad as object) });
    expect(wrap).toThrow(IdempotencyConfigError);
    expect(wrap).toThrow(message);
  });

  it('rejects a missing store at wrap time', () => {
    const wrap = (): unknown => makeIdempotent(async (_event: Order) => 1, {} as never);
    expect(wrap).toThrow(IdempotencyConfigError);
    expect(wrap).toThrow(/Expected `store` to be an IdempotencyStore .*got undefined/);
  });

  it('refuses two different functions that would share a default name', () => {
    makeIdempotent(
      async function chargeCard() {
        return 1;
      },
      { store },
    );
    expect(() =>
      makeIdempotent(
        async function chargeCard() {
          return 2;
        },
        { store },
      ),
    ).toThrow(/share the default name "local.chargeCard"/);
  });
});

describe('DynamoDBStore', () => {
  it('reads the table name from IDEMPOTENCY_TABLE_NAME when tableName is omitted', () => {
    process.env['IDEMPOTENCY_TABLE_NAME'] = 'from-env';
    try {
      expect(new DynamoDBStore({ client: dynamoClient() }).tableName).toBe('from-env');
    } finally {
      delete process.env['IDEMPOTENCY_TABLE_NAME'];
    }
  });

  it('is created without a table name, so a store at module level never throws at import', () => {
    expect(process.env['IDEMPOTENCY_TABLE_NAME']).toBeUndefined();
    expect(() => new DynamoDBStore({ client: dynamoClient() })).not.toThrow();
  });

  it('fails the first call with IdempotencyConfigError naming IDEMPOTENCY_TABLE_NAME, without running the work', async () => {
    const work = jest.fn(async (_event: Order) => 'ran');
    const handler = makeIdempotent(work, { store: new DynamoDBStore({ client: dynamoClient() }), key: 'orderId', name: opName() });
    const failure = handler({ orderId: 'no-table' });
    await expect(failure).rejects.toThrow(IdempotencyConfigError);
    await expect(failure).rejects.toThrow(
      /DynamoDBStore has no table name: set the environment variable IDEMPOTENCY_TABLE_NAME .* or pass `tableName` to new DynamoDBStore\(\)/,
    );
    expect(work).not.toHaveBeenCalled();
  });

  it('reads IDEMPOTENCY_TABLE_NAME on first use when it was set after the store was created', async () => {
    const lateStore = new DynamoDBStore({ client: dynamoClient() });
    process.env['IDEMPOTENCY_TABLE_NAME'] = tableName;
    try {
      const handler = makeIdempotent(async (_event: Order) => 'ran', { store: lateStore, key: 'orderId', name: opName() });
      await expect(handler({ orderId: 'late-env' })).resolves.toBe('ran');
      expect(lateStore.tableName).toBe(tableName);
    } finally {
      delete process.env['IDEMPOTENCY_TABLE_NAME'];
    }
  });

  it('rejects an empty tableName option when it is created', () => {
    expect(() => new DynamoDBStore({ client: dynamoClient(), tableName: '' })).toThrow(
      new IdempotencyConfigError('Expected `tableName` to be a non-empty string, got ""'),
    );
  });

  it('leaves a stored record with status, token, TTL and the result, but no payload', async () => {
    const name = opName();
    const ids = await claimedIds(() =>
      makeIdempotent(async (_event: Order) => ({ ok: true }), { store, key: 'orderId', name })({ orderId: 'shape' }),
    );
    const item = await rawItem(ids[0] ?? '');
    expect(item).toMatchObject({
      status: { S: 'COMPLETED' },
      token: { S: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      expiration: { N: expect.stringMatching(/^\d+$/) },
      result: { S: '{"ok":true}' },
    });
  });

  it('does not count an in-progress record whose TTL passed as live', async () => {
    const clock = manualClock();
    const name = opName();
    const handler = makeIdempotent(async (_event: Order) => 'fresh', { store, key: 'orderId', name, clock, expiresAfterSeconds: 1 });
    const ids = await claimedIds(() => handler({ orderId: 'expired-in-progress' }));
    // Plant an in-progress record, held by someone else, that expired long ago under the same key.
    await dynamoClient().send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: ids[0] ?? '' },
          status: { S: 'INPROGRESS' },
          token: { S: 'someone-else' },
          leaseUntil: { N: String(clock() + 600_000) },
          expiration: { N: String(Math.floor(clock() / 1000) - 5) },
          steps: { M: {} },
        },
      }),
    );
    await expect(handler({ orderId: 'expired-in-progress' })).resolves.toBe('fresh');
  });
});
