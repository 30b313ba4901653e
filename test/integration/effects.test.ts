/**
 * Exactly-once effects on DynamoDB Local: step checkpoints, downstream keys, commitWith, optimistic
 * mode, rich and large results, cached errors.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStore,
  IdempotencyCommitConditionError,
  IdempotencyContextError,
  IdempotencyLeaseLostError,
  IdempotencyResultTooLargeError,
  IdempotencyStepInterruptedError,
  commitWith,
  downstreamKey,
  makeIdempotent,
  step,
} from '../../lib';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests, loseNextResponse } from '../helpers/request-counter';

interface Payment {
  paymentId: string;
  amount?: number;
}

let store: DynamoDBStore;
let ledger: string;
let sequence = 0;
const opName = (): string => `fx${(sequence += 1)}`;

beforeAll(async () => {
  const [records, business] = await Promise.all([createTestTable('effects'), createTestTable('ledger')]);
  store = new DynamoDBStore({ tableName: records, client: dynamoClient() });
  ledger = business;
});

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const never = new Promise<never>(() => {});

async function ledgerEntry(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamoClient().send(new GetItemCommand({ TableName: ledger, Key: { id: { S: id } }, ConsistentRead: true }));
  return out.Item;
}

const ledgerPut = (id: string, amount: number): Record<string, unknown> => ({
  Put: { TableName: ledger, Item: { id, amount }, ConditionExpression: 'attribute_not_exists(id)' },
});

describe('step checkpoints', () => {
  it('after a crash by throwing between two steps, the retry skips the first step and runs the second', async () => {
    const calls: string[] = [];
    let attempt = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        attempt += 1;
        const charge = await step('charge', async () => {
          calls.push(`charge#${attempt}`);
          return { chargeId: `ch_${attempt}` };
        });
        if (attempt === 1) throw new Error('crash between steps');
        const receipt = await step('receipt', async () => {
          calls.push(`receipt#${attempt}`);
          return `receipt for ${charge.chargeId}`;
        });
        return receipt;
      },
      { store, key: 'paymentId', name: opName() },
    );
    await expect(handler({ paymentId: 'p-throw' })).rejects.toThrow('crash between steps');
    await expect(handler({ paymentId: 'p-throw' })).resolves.toBe('receipt for ch_1');
    expect(calls).toEqual(['charge#1', 'receipt#2']);
  });

  it('after an attempt abandoned past its short lease, the next attempt takes over and skips the finished step', async () => {
    const clock = manualClock();
    const calls: string[] = [];
    const firstCharged = deferred();
    let attempt = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        attempt += 1;
        const mine = attempt;
        await step('charge', async () => {
          calls.push(`charge#${mine}`);
          return mine;
        });
        if (mine === 1) {
          firstCharged.resolve();
          return never; // the attempt hangs: its lease runs out
        }
        return step('email', async () => {
          calls.push(`email#${mine}`);
          return 'sent';
        });
      },
      { store, key: 'paymentId', name: opName(), leaseSeconds: 2, clock },
    );
    void handler({ paymentId: 'p-abandon' });
    await firstCharged.promise;
    clock.advance(4_000); // the 2 s lease and the 1 s clock-skew margin
    await expect(handler({ paymentId: 'p-abandon' })).resolves.toBe('sent');
    expect(calls).toEqual(['charge#1', 'email#2']);
  });

  it('returns the stored result of a finished step exactly (rich types)', async () => {
    let attempt = 0;
    const value = { at: new Date('2026-01-01T00:00:00Z'), big: 12345678901234567890n, tags: new Set(['a']), bytes: Buffer.from('x') };
    const handler = makeIdempotent(
      async (_event: Payment) => {
        attempt += 1;
        const stored = await step('rich', async () => value);
        if (attempt === 1) throw new Error('crash');
        return stored;
      },
      { store, key: 'paymentId', name: opName() },
    );
    await expect(handler({ paymentId: 'p-rich' })).rejects.toThrow('crash');
    await expect(handler({ paymentId: 'p-rich' })).resolves.toStrictEqual(value);
  });

  it('with atMostOnce, a later attempt that finds the step started but unfinished throws IdempotencyStepInterruptedError', async () => {
    const clock = manualClock();
    const entered = deferred();
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Payment) =>
        step(
          'send-money',
          async () => {
            runs += 1;
            entered.resolve();
            return never;
          },
          { atMostOnce: true },
        ),
      { store, key: 'paymentId', name: opName(), leaseSeconds: 2, clock },
    );
    void handler({ paymentId: 'p-amo' });
    await entered.promise;
    clock.advance(4_000);
    const error = await handler({ paymentId: 'p-amo' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyStepInterruptedError);
    expect((error as IdempotencyStepInterruptedError).step).toBe('send-money');
    expect((error as Error).message).toMatch(/started by an earlier attempt that did not finish it/);
    expect(runs).toBe(1);
  });

  it('refuses a step name used twice in one execution', async () => {
    const handler = makeIdempotent(
      async (_event: Payment) => {
        await step('same', async () => 1);
        await step('same', async () => 2);
      },
      { store, key: 'paymentId', name: opName() },
    );
    const error = await handler({ paymentId: 'p-twice' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyContextError);
    expect((error as Error).message).toMatch(/step\("same"\) was already used in this execution/);
  });

  it('never reuses the checkpoints of an earlier, completed-and-expired execution', async () => {
    const clock = manualClock();
    let runs = 0;
    const handler = makeIdempotent(async (_event: Payment) => step('count', async () => (runs += 1)), {
      store,
      key: 'paymentId',
      name: opName(),
      expiresAfterSeconds: 5,
      clock,
    });
    await expect(handler({ paymentId: 'p-expired' })).resolves.toBe(1);
    clock.advance(6_000);
    await expect(handler({ paymentId: 'p-expired' })).resolves.toBe(2);
  });

  it('throws IdempotencyContextError when step, downstreamKey or commitWith is called outside an execution', async () => {
    await expect(step('x', async () => 1)).rejects.toThrow(IdempotencyContextError);
    expect(() => downstreamKey()).toThrow(/downstreamKey\(\) was called outside an idempotent execution/);
    expect(() => commitWith(ledgerPut('x', 1))).toThrow(/commitWith\(\) was called outside an idempotent execution/);
  });
});

describe('downstream keys', () => {
  it('are identical on every attempt of one execution, and differ between labels and records', async () => {
    const seen: string[] = [];
    let attempt = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        attempt += 1;
        seen.push(downstreamKey('charge'), downstreamKey('email'));
        if (attempt === 1) throw new Error('retry me');
        return 'ok';
      },
      { store, key: 'paymentId', name: opName() },
    );
    await expect(handler({ paymentId: 'dk-1' })).rejects.toThrow('retry me');
    await handler({ paymentId: 'dk-1' });
    await handler({ paymentId: 'dk-2' });
    const [charge1, email1, charge2, email2, otherCharge] = seen;
    expect(charge2).toBe(charge1);
    expect(email2).toBe(email1);
    expect(email1).not.toBe(charge1);
    expect(otherCharge).not.toBe(charge1);
  });
});

describe('commitWith', () => {
  it('commits the business writes together with the result, in one transaction', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const handler = makeIdempotent(
        async (event: Payment) => {
          commitWith(ledgerPut(`entry-${event.paymentId}`, event.amount ?? 0));
          return 'booked';
        },
        { store, key: 'paymentId', name: opName() },
      );
      counter.reset();
      await expect(handler({ paymentId: 'c-1', amount: 42 })).resolves.toBe('booked');
      expect(counter.counts).toEqual({ PutItemCommand: 1, TransactWriteItemsCommand: 1 });
      expect(await ledgerEntry('entry-c-1')).toEqual({ id: { S: 'entry-c-1' }, amount: { N: '42' } });
      counter.reset();
      await expect(handler({ paymentId: 'c-1', amount: 42 })).resolves.toBe('booked');
      expect(counter.counts).toEqual({ PutItemCommand: 1 });
    } finally {
      counter.remove();
    }
  });

  it('writes nothing and throws IdempotencyLeaseLostError when the lease was lost before the commit', async () => {
    const clock = manualClock();
    const gate = deferred();
    const staged = deferred();
    const name = opName();
    const late = makeIdempotent(
      async (_event: Payment) => {
        commitWith(ledgerPut('entry-late', 1));
        staged.resolve();
        await gate.promise;
        return 'late';
      },
      { store, key: 'paymentId', name, leaseSeconds: 2, clock },
    );
    const owner = makeIdempotent(async (_event: Payment) => 'owner (no writes)', { store, key: 'paymentId', name, leaseSeconds: 2, clock });
    const pending = late({ paymentId: 'c-lost' });
    await staged.promise;
    clock.advance(4_000);
    await expect(owner({ paymentId: 'c-lost' })).resolves.toBe('owner (no writes)');
    gate.resolve();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyLeaseLostError);
    expect(await ledgerEntry('entry-late')).toBeUndefined();
  });

  it('names the staged write whose own condition failed, writes nothing, and releases the lease', async () => {
    let attempt = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        attempt += 1;
        commitWith(ledgerPut(`fresh-${attempt}`, 1), {
          ConditionCheck: { TableName: ledger, Key: { id: 'account-must-exist' }, ConditionExpression: 'attribute_exists(id)' },
        });
        return 'booked';
      },
      { store, key: 'paymentId', name: opName() },
    );
    const error = await handler({ paymentId: 'c-cond' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyCommitConditionError);
    expect((error as IdempotencyCommitConditionError).itemIndex).toBe(1);
    expect((error as IdempotencyCommitConditionError).tableName).toBe(ledger);
    expect((error as Error).message).toMatch(/staged write #1/);
    expect(await ledgerEntry('fresh-1')).toBeUndefined();
    // Released: the retry runs (and fails the same way) instead of meeting a held lease.
    await expect(handler({ paymentId: 'c-cond' })).rejects.toThrow(IdempotencyCommitConditionError);
    expect(attempt).toBe(2);
  });

  it('applies the business writes once when the transaction response is lost and the SDK retries it', async () => {
    const lose = loseNextResponse(dynamoClient(), 'TransactWriteItemsCommand');
    try {
      const handler = makeIdempotent(
        async (event: Payment) => {
          commitWith({
            Update: {
              TableName: ledger,
              Key: { id: `balance-${event.paymentId}` },
              UpdateExpression: 'ADD amount :amount',
              ExpressionAttributeValues: { ':amount': event.amount },
            },
          });
          return 'booked once';
        },
        { store, key: 'paymentId', name: opName() },
      );
      await expect(handler({ paymentId: 'c-lost', amount: 7 })).resolves.toBe('booked once');
      await expect(handler({ paymentId: 'c-lost', amount: 7 })).resolves.toBe('booked once');
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
    expect(await ledgerEntry('balance-c-lost')).toEqual({ id: { S: 'balance-c-lost' }, amount: { N: '7' } });
  });

  it('refuses more writes than one transaction holds before sending anything', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const handler = makeIdempotent(
        async (_event: Payment) => {
          commitWith(...Array.from({ length: 100 }, (_, i) => ledgerPut(`too-many-${i}`, i)));
          return 'never';
        },
        { store, key: 'paymentId', name: opName() },
      );
      const error = await handler({ paymentId: 'c-many' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IdempotencyContextError);
      expect((error as Error).message).toMatch(/100 staged writes exceed the 99 that fit in one DynamoDB transaction/);
      expect(counter.counts['TransactWriteItemsCommand']).toBeUndefined();
    } finally {
      counter.remove();
    }
  });

  it("refuses, before sending anything, staged writes that leave no room in the transaction for the result's chunks", async () => {
    const big = randomBytes(400 * 1024).toString('hex'); // about 800 KB: compressed, it needs several chunk items
    let runs = 0;
    const counter = countRequests(dynamoClient());
    try {
      const handler = makeIdempotent(
        async (_event: Payment) => {
          runs += 1;
          commitWith(...Array.from({ length: 99 }, (_, i) => ledgerPut(`crowded-${runs}-${i}`, i)));
          return { big };
        },
        { store, key: 'paymentId', name: opName() },
      );
      const error = await handler({ paymentId: 'c-crowded' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IdempotencyContextError);
      expect((error as Error).message).toMatch(
        /chunk item\(s\), which with the record and 99 staged write\(s\) exceed the 100 items of one DynamoDB transaction; nothing was sent/,
      );
      expect(counter.counts['TransactWriteItemsCommand']).toBeUndefined();
      expect(await ledgerEntry('crowded-1-0')).toBeUndefined();
      // The lease was released: a retry runs at once (and meets the same refusal).
      await expect(handler({ paymentId: 'c-crowded' })).rejects.toThrow(IdempotencyContextError);
      expect(runs).toBe(2);
    } finally {
      counter.remove();
    }
  });

  it('refuses an item that is not one of Put, Update, Delete or ConditionCheck', async () => {
    const handler = makeIdempotent(
      async (_event: Payment) => {
        commitWith({ Upsert: { TableName: ledger } });
      },
      { store, key: 'paymentId', name: opName() },
    );
    await expect(handler({ paymentId: 'c-bad' })).rejects.toThrow(
      /must have exactly one of Put, Update, Delete or ConditionCheck, got keys \[Upsert\]/,
    );
  });
});

describe("optimistic mode (mode: 'optimistic')", () => {
  it('costs one request on a first call', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const handler = makeIdempotent(async (_event: Payment) => 'one write', {
        store,
        key: 'paymentId',
        name: opName(),
        mode: 'optimistic',
      });
      counter.reset();
      await handler({ paymentId: 'o-1' });
      expect(counter.counts).toEqual({ PutItemCommand: 1 });
    } finally {
      counter.remove();
    }
  });

  it('applies the staged writes once under 20 concurrent duplicates, and every caller gets the same result', async () => {
    let runs = 0;
    const handler = makeIdempotent(
      async (event: Payment) => {
        runs += 1;
        const mine = runs;
        commitWith({
          Update: {
            TableName: ledger,
            Key: { id: `balance-${event.paymentId}` },
            UpdateExpression: 'ADD amount :amount',
            ExpressionAttributeValues: { ':amount': event.amount },
          },
        });
        await new Promise((r) => setImmediate(r));
        return `computed by run ${mine}`;
      },
      { store, key: 'paymentId', name: opName(), mode: 'optimistic' },
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => handler({ paymentId: 'o-storm', amount: 10 })));
    expect(new Set(results).size).toBe(1);
    expect(await ledgerEntry('balance-o-storm')).toEqual({ id: { S: 'balance-o-storm' }, amount: { N: '10' } });
    expect(runs).toBeGreaterThanOrEqual(1);
  });

  it('refuses step', async () => {
    const handler = makeIdempotent(async (_event: Payment) => step('s', async () => 1), {
      store,
      key: 'paymentId',
      name: opName(),
      mode: 'optimistic',
    });
    await expect(handler({ paymentId: 'o-step' })).rejects.toThrow(/cannot be used in optimistic mode/);
  });
});

describe('results', () => {
  it('round-trip every supported type through a replay, and the first call returns the value as returned', async () => {
    const value = {
      nothing: undefined,
      when: new Date('2026-11-26T12:00:00.000Z'),
      lookup: new Map<string, unknown>([
        ['a', 1],
        ['b', [new Date(0)]],
      ]),
      tags: new Set(['x', 'y']),
      big: 2n ** 70n,
      bytes: new Uint8Array([0, 255, 7]),
      buffer: Buffer.from('buffer'),
      list: [1, undefined, null],
    };
    const handler = makeIdempotent(async (_event: Payment) => value, { store, key: 'paymentId', name: opName() });
    await expect(handler({ paymentId: 'r-types' })).resolves.toBe(value);
    await expect(handler({ paymentId: 'r-types' })).resolves.toStrictEqual(value);
  });

  it('stores and replays a 1 MB result exactly (compressed and split over several items)', async () => {
    const big = randomBytes(512 * 1024).toString('hex'); // 1 MiB of incompressible-ish text
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        runs += 1;
        return { big };
      },
      { store, key: 'paymentId', name: opName() },
    );
    await handler({ paymentId: 'r-1mb' });
    const replay = await handler({ paymentId: 'r-1mb' });
    expect(replay.big).toBe(big);
    expect(runs).toBe(1);
  });

  it('raises IdempotencyResultTooLargeError above maxResultBytes, commits nothing and leaves no record held', async () => {
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        runs += 1;
        commitWith(ledgerPut(`oversize-${runs}`, 1));
        return 'x'.repeat(2_000);
      },
      { store, key: 'paymentId', name: opName(), maxResultBytes: 1_000 },
    );
    const error = await handler({ paymentId: 'r-big' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect((error as IdempotencyResultTooLargeError).bytes).toBe(2_002);
    expect((error as Error).message).toMatch(/above maxResultBytes \(1000\)/);
    expect(await ledgerEntry('oversize-1')).toBeUndefined();
    await expect(handler({ paymentId: 'r-big' })).rejects.toThrow(IdempotencyResultTooLargeError);
    expect(runs).toBe(2);
  });

  it('with cacheErrors, stores a matching error and rethrows it on replay with name, message, properties and replayed: true', async () => {
    class CardDeclined extends Error {
      public readonly code = 'card_declined';
      public constructor() {
        super('Your card was declined');
        this.name = 'CardDeclined';
      }
    }
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: Payment) => {
        runs += 1;
        throw new CardDeclined();
      },
      { store, key: 'paymentId', name: opName(), cacheErrors: (e) => e instanceof CardDeclined },
    );
    const first = await handler({ paymentId: 'r-err' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CardDeclined);
    const replayed = (await handler({ paymentId: 'r-err' }).catch((e: unknown) => e)) as Error & Record<string, unknown>;
    expect(replayed.name).toBe('CardDeclined');
    expect(replayed.message).toBe('Your card was declined');
    expect(replayed['code']).toBe('card_declined');
    expect(replayed['replayed']).toBe(true);
    expect(runs).toBe(1);
  });
});

describe('request counts per mode', () => {
  it('lease mode first call = 2, optimistic first call = 1', async () => {
    const counter = countRequests(dynamoClient());
    try {
      const lease = makeIdempotent(async (_event: Payment) => 1, { store, key: 'paymentId', name: opName() });
      const optimistic = makeIdempotent(async (_event: Payment) => 1, { store, key: 'paymentId', name: opName(), mode: 'optimistic' });
      counter.reset();
      await lease({ paymentId: 'n-1' });
      expect(counter.total()).toBe(2);
      counter.reset();
      await optimistic({ paymentId: 'n-1' });
      expect(counter.total()).toBe(1);
    } finally {
      counter.remove();
    }
  });
});
