/**
 * A store declares what it can hold, and nothing the store cannot write makes the work run twice: a
 * `maxResultBytes` beyond the store's limit is refused at wrap time, a staged write beyond it when staged,
 * and a completion the store refuses for its size keeps the record with a typed error (DynamoDB Local).
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStore,
  IdempotencyConfigError,
  IdempotencyContextError,
  IdempotencyResultTooLargeError,
  InMemoryStore,
  commitWith,
  makeIdempotent,
  type IdempotencyStore,
} from '../../lib';
import { storeError } from '../../lib/persistence/dynamodb/table';
import { createTestTable, dynamoClient } from '../helpers/local';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let sequence = 0;
const opName = (): string => `limits${(sequence += 1)}`;
const MiB = 1024 * 1024;

let store: DynamoDBStore;
let ledger: string;

beforeAll(async () => {
  const [records, business] = await Promise.all([createTestTable('limits'), createTestTable('limits-ledger')]);
  store = new DynamoDBStore({ tableName: records, client: dynamoClient() });
  ledger = business;
});

/** Calls `fn` `times` times and returns what each call threw (or returned). */
async function attempts(times: number, fn: () => Promise<unknown>): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < times; i += 1) outcomes.push(await fn().catch((error: unknown) => error));
  return outcomes;
}

/** The same DynamoDB store behind an object that declares no limits, as a custom store might. */
function withoutLimits(inner: DynamoDBStore): IdempotencyStore {
  return {
    claim: (input) => inner.claim(input),
    takeOver: (input) => inner.takeOver(input),
    checkpoint: (input) => inner.checkpoint(input),
    extendLease: (input) => inner.extendLease(input),
    complete: (input) => inner.complete(input),
    putCompleted: (input) => inner.putCompleted(input),
    release: (input) => inner.release(input),
    get: (key, now) => inner.get(key, now),
  };
}

async function ledgerEntry(id: string): Promise<unknown> {
  const out = await dynamoClient().send(new GetItemCommand({ TableName: ledger, Key: { id: { S: id } }, ConsistentRead: true }));
  return out.Item;
}

describe('DynamoDBStore declares its limits', () => {
  it('one item of 400 KB, one transaction of 4 MB, and the largest result that always fits one completion', () => {
    expect(store.limits).toEqual({
      maxResultBytes: expect.any(Number) as number,
      maxCheckpointBytes: 256 * 1024,
      maxStagedWriteBytes: 400 * 1024,
      maxCommitBytes: 4 * MiB,
    });
    expect(store.limits.maxResultBytes).toBeGreaterThan(4 * MiB - 64 * 1024);
    expect(store.limits.maxResultBytes).toBeLessThan(4 * MiB);
  });
});

describe('maxResultBytes beyond what the store can write', () => {
  it('16 MiB on a DynamoDBStore is refused at wrap time with the largest size it can write', () => {
    expect(() => makeIdempotent(async () => 'x', { store, maxResultBytes: 16 * MiB })).toThrow(IdempotencyConfigError);
    expect(() => makeIdempotent(async () => 'x', { store, maxResultBytes: 16 * MiB })).toThrow(
      new RegExp(
        `Expected \`maxResultBytes\` to be at most ${store.limits.maxResultBytes ?? 0}, the largest result DynamoDBStore can always write .*got 16777216`,
      ),
    );
  });

  it('the largest size the store declares is accepted', () => {
    expect(() => makeIdempotent(async () => 'x', { store, maxResultBytes: store.limits.maxResultBytes })).not.toThrow();
  });

  it('1e12 bytes is refused on any store, one without limits too', () => {
    expect(() => makeIdempotent(async () => 'x', { store: new InMemoryStore(), maxResultBytes: 1e12 })).toThrow(
      /Expected `maxResultBytes` to be at most 67108864 \(64 MiB\), got 1000000000000/,
    );
  });

  it('a store whose declared limits are not byte counts is refused', () => {
    const broken = Object.assign(withoutLimits(store), { limits: { maxResultBytes: -1 } });
    expect(() => makeIdempotent(async () => 'x', { store: broken })).toThrow(
      /Expected `store.limits.maxResultBytes` to be a positive whole number, got -1/,
    );
  });
});

describe('a result at the largest declared size', () => {
  it('a result of maxResultBytes that compresses badly (random bytes, base64) is stored and replayed', async () => {
    let runs = 0;
    const max = store.limits.maxResultBytes ?? 0;
    // serialize() writes a Buffer as base64 inside a small tagged object: keep the text within the limit.
    const payload = randomBytes(Math.floor(((max - 100) * 3) / 4));
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        runs += 1;
        return payload;
      },
      { store, key: 'id', name: opName(), maxResultBytes: max, logger: quiet },
    );
    const first = await handler({ id: 'largest' });
    const again = await handler({ id: 'largest' });
    expect(runs).toBe(1);
    expect(Buffer.compare(first, payload)).toBe(0);
    expect(Buffer.compare(again, payload)).toBe(0);
  });
});

describe('a completion the store refuses for its size, after the work ran', () => {
  it('8 MB that does not compress, through a store that declares no limits: the record keeps a typed error and the work never runs again', async () => {
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        runs += 1;
        return randomBytes(6 * MiB).toString('base64');
      },
      { store: withoutLimits(store), key: 'id', name: opName(), maxResultBytes: 16 * MiB, logger: quiet },
    );
    const outcomes = await attempts(3, () => handler({ id: 'eight-megabytes' }));
    expect(runs).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect(outcomes[0]).toMatchObject({ maxBytes: 4 * MiB });
    expect((outcomes[0] as Error).message).toMatch(
      /could not be stored: The completion of .* needs a DynamoDB transaction of about \d+ bytes .* above the 4194304 bytes of one transaction; nothing was written.*the record keeps this error as its outcome/,
    );
    for (const later of outcomes.slice(1)) {
      expect(later).toBeInstanceOf(IdempotencyResultTooLargeError);
      expect(later).toMatchObject({ replayed: true, message: (outcomes[0] as Error).message });
    }
  });

  it('a 3 MB result with 1 MB of staged writes: nothing is committed, the lease is released and the error is typed', async () => {
    let runs = 0;
    const name = opName();
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        runs += 1;
        for (let i = 0; i < 3; i += 1) {
          commitWith({ Put: { TableName: ledger, Item: { id: `${event.id}-${i}`, blob: randomBytes(350 * 1024) } } });
        }
        return randomBytes(3 * MiB);
      },
      { store, key: 'id', name, logger: quiet, maxResultBytes: store.limits.maxResultBytes },
    );
    const outcomes = await attempts(2, () => handler({ id: 'staged-too-much' }));
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect((outcomes[0] as Error).message).toMatch(/nothing was committed and the lease was released/);
    // Every effect was staged and none was committed: the retry runs again (and is refused again).
    expect(runs).toBe(2);
    expect(outcomes[1]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect(await ledgerEntry('staged-too-much-0')).toBeUndefined();
  });

  it('DynamoDB refusing an item for its size becomes IdempotencyResultTooLargeError, not a retryable store error', async () => {
    const refusal = await dynamoClient()
      .send(new PutItemCommand({ TableName: ledger, Item: { id: { S: 'huge' }, blob: { B: randomBytes(500 * 1024) } } }))
      .catch((error: unknown) => error);
    expect(refusal).toMatchObject({ name: 'ValidationException' });
    const mapped = storeError(refusal, 'op#key', 'store the result');
    expect(mapped).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect(mapped.message).toMatch(/DynamoDB refused to store the result for idempotency record op#key for its size/);
  });
});

describe('staged writes beyond what the store can write', () => {
  it('one item above 400 KB is refused when staged, before anything is sent', async () => {
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        commitWith({ Put: { TableName: ledger, Item: { id: event.id, blob: randomBytes(450 * 1024) } } });
        return 'never stored';
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const error = await handler({ id: 'big-item' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyContextError);
    expect((error as Error).message).toMatch(
      /commitWith: item #0 is about \d+ bytes, above the 409600 bytes the store writes in one item; nothing was sent/,
    );
    expect(await ledgerEntry('big-item')).toBeUndefined();
  });

  it('items together above 4 MB are refused when staged', async () => {
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        for (let i = 0; i < 11; i += 1)
          commitWith({ Put: { TableName: ledger, Item: { id: `${event.id}-${i}`, blob: randomBytes(390 * 1024) } } });
        return 'never stored';
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const error = await handler({ id: 'many-items' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyContextError);
    expect((error as Error).message).toMatch(
      /commitWith: the staged writes are about \d+ bytes together, above the 4194304 bytes of one atomic commit/,
    );
  });
});
