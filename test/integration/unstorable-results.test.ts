/**
 * After the work ran, every failure path keeps or releases the record deliberately: a result (or a step's
 * result) that cannot be stored never makes a retry run the work again, and an error that cannot be
 * cached still reaches the caller and releases the lease. The same in both stores.
 */
import {
  DynamoDBStore,
  IdempotencyResultNotStorableError,
  IdempotencyResultTooLargeError,
  InMemoryStore,
  makeIdempotent,
  step,
  type IdempotencyStore,
} from '../../lib';
import { createTestTable, dynamoClient } from '../helpers/local';
import { recordingLogger } from '../helpers/sqs-batches';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let sequence = 0;
const opName = (): string => `unstorable${(sequence += 1)}`;

/** Calls `fn` `times` times and returns what each call threw (or returned). */
async function attempts(times: number, fn: () => Promise<unknown>): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < times; i += 1) outcomes.push(await fn().catch((error: unknown) => error));
  return outcomes;
}

describe.each([
  ['InMemoryStore', (): IdempotencyStore => new InMemoryStore()],
  [
    'DynamoDBStore',
    async (): Promise<IdempotencyStore> => new DynamoDBStore({ tableName: await createTestTable('unstorable'), client: dynamoClient() }),
  ],
])('%s', (_label, makeStore) => {
  let store: IdempotencyStore;
  beforeAll(async () => {
    store = await makeStore();
  });

  it('a step result too large for a record (600 KB) runs its effect once over three attempts', async () => {
    let effects = 0;
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        await step('fetch-report', () => {
          effects += 1;
          return 'r'.repeat(600 * 1024);
        });
        return 'done';
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const outcomes = await attempts(3, () => handler({ id: 'big-step' }));
    expect(effects).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect((outcomes[0] as Error).message).toMatch(
      /step "fetch-report" .* above the 262144 a record holds; the step ran, so it is marked and does not run again/,
    );
    for (const later of outcomes.slice(1)) {
      expect(later).toBeInstanceOf(IdempotencyResultNotStorableError);
      expect((later as Error).message).toMatch(
        /Step "fetch-report" .* ran in an earlier attempt, but its result could not be checkpointed/,
      );
    }
  });

  it('two steps whose results together (~290 KB) do not fit: the second is marked, and neither runs twice', async () => {
    const effects: string[] = [];
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        await step('first', () => {
          effects.push('first');
          return 'a'.repeat(140 * 1024);
        });
        await step('second', () => {
          effects.push('second');
          return 'b'.repeat(150 * 1024);
        });
        return 'done';
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const outcomes = await attempts(3, () => handler({ id: 'two-steps' }));
    expect(effects).toEqual(['first', 'second']);
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect((outcomes[2] as Error).message).toMatch(/Step "second" .* ran in an earlier attempt/);
  });

  it('a result above maxResultBytes with no staged writes is kept as a typed error: retries do not run the work again', async () => {
    let orders = 0;
    const handler = makeIdempotent(
      async (_event: { key: string }) => {
        orders += 1;
        return { body: 'x'.repeat(3_000) };
      },
      { store, key: 'key', name: opName(), maxResultBytes: 1_000, logger: quiet },
    );
    const outcomes = await attempts(3, () => handler({ key: 'client-key-1' }));
    expect(orders).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultTooLargeError);
    expect(outcomes[0]).toMatchObject({ bytes: 3_011, maxBytes: 1_000 });
    expect((outcomes[0] as Error).message).toMatch(/the work ran, so the record keeps this error as its outcome/);
    for (const later of outcomes.slice(1)) {
      expect(later).toBeInstanceOf(IdempotencyResultTooLargeError);
      expect(later).toMatchObject({ replayed: true, bytes: 3_011, maxBytes: 1_000, message: (outcomes[0] as Error).message });
    }
  });

  it('a result holding a class instance is refused with the path, and kept so that the work does not run again', async () => {
    class Money {
      public constructor(public readonly cents: number) {}
    }
    let runs = 0;
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        runs += 1;
        return { total: new Money(500) };
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const outcomes = await attempts(2, () => handler({ id: 'money' }));
    expect(runs).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(IdempotencyResultNotStorableError);
    expect(outcomes[0]).toMatchObject({ path: '$.total' });
    expect(outcomes[1]).toMatchObject({ name: 'IdempotencyResultNotStorableError', replayed: true, path: '$.total' });
  });

  it('cacheErrors on an error with a circular request caches what can be stored; the caller gets its own error', async () => {
    let calls = 0;
    const request: Record<string, unknown> = { method: 'POST' };
    request['self'] = request;
    const failure = Object.assign(new Error('Request failed with status code 409'), {
      name: 'AxiosError',
      code: 'ERR_BAD_REQUEST',
      status: 409,
      request,
    });
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        calls += 1;
        throw failure;
      },
      { store, key: 'id', name: opName(), cacheErrors: () => true, logger: quiet },
    );
    const [first, second] = await attempts(2, () => handler({ id: 'axios' }));
    expect(first).toBe(failure);
    expect(second).toMatchObject({
      name: 'AxiosError',
      message: 'Request failed with status code 409',
      code: 'ERR_BAD_REQUEST',
      status: 409,
      replayed: true,
    });
    expect(calls).toBe(1);
  });

  it('a cacheErrors predicate that throws: the caller gets its own error, the lease is released and the retry runs', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        calls += 1;
        throw new Error(`attempt ${calls}`);
      },
      {
        store,
        key: 'id',
        name: opName(),
        logger,
        cacheErrors: () => {
          throw new TypeError('predicate bug');
        },
      },
    );
    const outcomes = await attempts(2, () => handler({ id: 'predicate' }));
    expect(outcomes.map((e) => (e as Error).message)).toEqual(['attempt 1', 'attempt 2']);
    expect(logger.messages('warn')[0]).toMatch(/cacheErrors threw for .*; the error is not cached and the lease is released/);
  });
});
