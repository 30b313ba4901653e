/**
 * Work that ran is never run again because a completion write failed or its answer was lost. Each
 * schedule below is one of the measurements of the durable-completions issue, replayed on DynamoDB Local
 * with `withFaults` around a client that keeps the AWS SDK's default retry settings.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDBStore,
  IdempotencyInProgressError,
  IdempotencyStepInterruptedError,
  IdempotencyStoreError,
  commitWith,
  makeIdempotent,
  step,
  type IdempotencyLogger,
} from '../../lib';
import { processSqsBatch, releaseSqsRecord, type SqsBatchOptions } from '../../lib/sqs';
import { createLambdaContext, withFaults } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, newDynamoClient } from '../helpers/local';
import { failedIds, jsonRecord, recordingLogger } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

const clients: DynamoDBClient[] = [];
/** A client with the SDK's default retry settings, of its own (faults are added to its middleware stack). */
function client(): DynamoDBClient {
  const made = newDynamoClient();
  clients.push(made);
  return made;
}
afterAll(() => {
  for (const made of clients) made.destroy();
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let sequence = 0;
const opName = (): string => `durable${(sequence += 1)}`;

/** Counts how often each event's effect ran. */
function effectCounter(): { run(id: string): void; repeats(): string[]; count(id: string): number } {
  const runs = new Map<string, number>();
  return {
    run: (id) => void runs.set(id, (runs.get(id) ?? 0) + 1),
    repeats: () => [...runs].filter(([, n]) => n > 1).map(([id]) => id),
    count: (id) => runs.get(id) ?? 0,
  };
}

/**
 * Calls `call` until it resolves, as a client (or an event source) retries a failed delivery; after
 * `attempts` failures it fails with the last error, so a record that can never succeed fails the test
 * instead of retrying until the test times out.
 */
async function untilSucceeds<T>(call: () => Promise<T>, attempts = 25): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      lastError = error; // delivered again
    }
  }
  throw new Error(`Still failing after ${attempts} deliveries: ${String(lastError)}`);
}

/**
 * Loses the answer of every request of `commands` that `client` sends, until the library's own retry of
 * the completion begins (it logs that at debug level): the SDK's attempts have all failed by then.
 */
function loseAnswersUntilTheLibraryRetries(
  ddb: DynamoDBClient,
  seed: number,
  commands: string[],
): { logger: IdempotencyLogger; lost(): number; stop(): void } {
  const faults = withFaults(ddb, { seed, commands, lostResponseRate: 1 });
  return {
    logger: {
      ...quiet,
      debug: (message: string) => {
        if (message.startsWith('Retrying store the result')) faults.remove();
      },
    },
    lost: () => faults.injected().lostResponses,
    stop: () => faults.remove(),
  };
}

/** The outcome of a call, value or error, as a retrying client sees it before it retries. */
function outcome(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => value,
    (error: unknown) => error,
  );
}

describe("measurement 1: every answer of the SDK's attempts at the completion is lost", () => {
  it('a plain handler runs its effect once: the retried completion finds its own completed record', async () => {
    const ddb = client();
    const store = new DynamoDBStore({ tableName: await createTestTable('lost'), client: ddb });
    const effects = effectCounter();
    const lose = loseAnswersUntilTheLibraryRetries(ddb, 1, ['UpdateItemCommand']);
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        effects.run(event.id);
        return `done ${event.id}`;
      },
      { store, key: 'id', name: opName(), logger: lose.logger },
    );
    const first = await outcome(handler({ id: 'e1' }));
    lose.stop();
    await expect(handler({ id: 'e1' })).resolves.toBe('done e1');
    expect(effects.count('e1')).toBe(1);
    expect(first).toBe('done e1');
    expect(lose.lost()).toBeGreaterThanOrEqual(3);
  });

  it('a commitWith transfer is applied once (balances 90/10, not 80/20)', async () => {
    const ddb = client();
    const [records, accounts] = await Promise.all([createTestTable('lost-tx'), createTestTable('accounts')]);
    const documents = DynamoDBDocumentClient.from(ddb);
    await Promise.all([
      documents.send(new PutCommand({ TableName: accounts, Item: { id: 'alice', balance: 100 } })),
      documents.send(new PutCommand({ TableName: accounts, Item: { id: 'bob', balance: 0 } })),
    ]);
    const lose = loseAnswersUntilTheLibraryRetries(ddb, 2, ['TransactWriteItemsCommand']);
    const transfer = makeIdempotent(
      async (event: { transferId: string; amount: number }) => {
        const move = (id: string, delta: number) => ({
          Update: { TableName: accounts, Key: { id }, UpdateExpression: 'ADD balance :d', ExpressionAttributeValues: { ':d': delta } },
        });
        commitWith(move('alice', -event.amount), move('bob', event.amount));
        return 'moved';
      },
      { store: new DynamoDBStore({ tableName: records, client: ddb }), key: 'transferId', name: opName(), logger: lose.logger },
    );
    const first = await outcome(transfer({ transferId: 't1', amount: 10 }));
    lose.stop();
    await expect(transfer({ transferId: 't1', amount: 10 })).resolves.toBe('moved');
    expect(first).toBe('moved');
    expect(lose.lost()).toBeGreaterThanOrEqual(3);
    const balance = async (id: string): Promise<unknown> =>
      (await documents.send(new GetCommand({ TableName: accounts, Key: { id }, ConsistentRead: true }))).Item?.['balance'];
    expect([await balance('alice'), await balance('bob')]).toEqual([90, 10]);
  });

  it("an order consumer of the example app's shape books each order once through processSqsBatch", async () => {
    const ddb = client();
    const [tableName, totalsTable] = await Promise.all([createTestTable('lost-orders'), createTestTable('totals')]);
    const lose = loseAnswersUntilTheLibraryRetries(ddb, 3, ['TransactWriteItemsCommand']);
    const options: SqsBatchOptions<{ orderId: string; customerId: string; amountCents: number }> = {
      store: new DynamoDBStore({ tableName, client: ddb }),
      name: opName(),
      key: (_record, { body }) => body.orderId,
      logger: lose.logger,
    };
    const book = (_record: unknown, { body }: { body: { orderId: string; customerId: string; amountCents: number } }) => {
      commitWith({
        Update: {
          TableName: totalsTable,
          Key: { id: `customer#${body.customerId}` },
          UpdateExpression: 'ADD orderCount :one, totalCents :amount',
          ExpressionAttributeValues: { ':one': 1, ':amount': body.amountCents },
        },
      });
      return { orderId: body.orderId };
    };
    const orders = ['o1', 'o2', 'o3'].map((orderId) => jsonRecord({ orderId, customerId: 'c1', amountCents: 100 }));
    const context = createLambdaContext({ timeoutMs: 30_000 });
    const first = await processSqsBatch(sqsEvent(orders), book, { ...options, context });
    lose.stop();
    expect(first).toEqual({ batchItemFailures: [] });
    expect(lose.lost()).toBeGreaterThanOrEqual(3);
    // Every order delivered again: all replayed.
    await expect(processSqsBatch(sqsEvent(orders), book, { ...options, context })).resolves.toEqual({ batchItemFailures: [] });
    const totals = await DynamoDBDocumentClient.from(ddb).send(
      new GetCommand({ TableName: totalsTable, Key: { id: 'customer#c1' }, ConsistentRead: true }),
    );
    expect(totals.Item).toMatchObject({ orderCount: 3, totalCents: 300 });
  });
});

describe('measurement 2: half of the completions are throttled', () => {
  it('makeIdempotent: 100 events, each retried until it succeeds, run their effect once each', async () => {
    const ddb = client();
    const store = new DynamoDBStore({ tableName: await createTestTable('throttled'), client: ddb });
    const effects = effectCounter();
    const handler = makeIdempotent(
      async (event: { id: string }, _context: unknown) => {
        effects.run(event.id);
        return event.id;
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const faults = withFaults(ddb, { seed: 4, commands: ['UpdateItemCommand'], throttleRate: 0.5 });
    const ids = Array.from({ length: 100 }, (_, i) => `ev-${i}`);
    await Promise.all(ids.map((id) => untilSucceeds(() => handler({ id }, createLambdaContext({ timeoutMs: 30_000 })))));
    faults.remove();
    expect(faults.injected().throttled).toBeGreaterThan(50);
    expect(effects.repeats()).toEqual([]);
    expect(ids.every((id) => effects.count(id) === 1)).toBe(true);
  }, 60_000);

  it('processSqsBatch: 200 records whose failed records are redelivered run once each', async () => {
    const ddb = client();
    const store = new DynamoDBStore({ tableName: await createTestTable('throttled-sqs'), client: ddb });
    const effects = effectCounter();
    const options: SqsBatchOptions<{ id: string }> = { store, key: (_record, { body }) => body.id, name: opName(), logger: quiet };
    const faults = withFaults(ddb, { seed: 5, commands: ['BatchExecuteStatementCommand', 'UpdateItemCommand'], throttleRate: 0.5 });
    const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 10 }, (_, i) => jsonRecord({ id: `r-${b}-${i}` })));
    await Promise.all(
      batches.map(async (batch) => {
        let pending = batch;
        while (pending.length > 0) {
          const response = await processSqsBatch(sqsEvent(pending), (_record, { body }) => effects.run(body.id), {
            ...options,
            context: createLambdaContext({ timeoutMs: 30_000 }),
          });
          const failed = new Set(failedIds(response));
          pending = pending.filter((record) => failed.has(record.messageId));
        }
      }),
    );
    faults.remove();
    expect(faults.injected().throttled).toBeGreaterThan(10);
    expect(effects.repeats()).toEqual([]);
    expect(batches.flat().every((record) => effects.count(JSON.parse(record.body).id as string) === 1)).toBe(true);
  }, 60_000);
});

describe('measurement 3: a renewed lease renews the record expiry', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('a duplicate arriving after the claimed expiry, while the renewed lease runs, does not run', async () => {
    // The renewals are timers: jest fakes them (and nothing else), the clock is moved by hand, and each
    // renewal's write to DynamoDB Local is awaited before time moves on, so no real second passes.
    jest.useFakeTimers({ doNotFake: ['Date', 'hrtime', 'performance', 'nextTick', 'setImmediate', 'queueMicrotask'] });
    const ddb = client();
    const renewals: Promise<void>[] = [];
    class RenewalsObserved extends DynamoDBStore {
      public override extendLease(input: Parameters<DynamoDBStore['extendLease']>[0]): Promise<void> {
        const renewal = super.extendLease(input);
        renewals.push(renewal.catch(() => undefined));
        return renewal;
      }
    }
    const store = new RenewalsObserved({ tableName: await createTestTable('renewed'), client: ddb });
    const clock = manualClock();
    const runs: string[] = [];
    const options: SqsBatchOptions<{ orderId: string }> = {
      store,
      key: (_record, { body }) => body.orderId,
      name: opName(),
      leaseSeconds: 1,
      expiresAfterSeconds: 1,
      clock,
      logger: quiet,
      // Renewals of the SQS visibility fail here (these records come from no queue); the lease is renewed all the same.
      visibility: { client: { send: () => Promise.resolve({}) }, extendBySeconds: 2, extendWhenRemainingSeconds: 1 },
    };
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstStarted!: () => void;
    const firstRuns = new Promise<void>((resolve) => (firstStarted = resolve));
    const original = jsonRecord({ orderId: 'slow' });
    const first = processSqsBatch(
      sqsEvent([original]),
      async (record) => {
        runs.push(record.messageId);
        firstStarted();
        await firstMayEnd;
      },
      { ...options, context: createLambdaContext({ timeoutMs: 30_000, now: clock }) },
    );
    await firstRuns;
    // The claim's own expiry (1 s, or its 1 s lease plus the 1 s skew margin) has passed by 4.5 s.
    for (let elapsed = 0; elapsed < 4_500; elapsed += 100) {
      clock.advance(100);
      await jest.advanceTimersByTimeAsync(100);
      await Promise.all(renewals);
    }
    expect(renewals.length).toBeGreaterThanOrEqual(4);
    const duplicate = jsonRecord({ orderId: 'slow' });
    const response = await processSqsBatch(sqsEvent([duplicate]), async (record) => void runs.push(record.messageId), {
      ...options,
      context: createLambdaContext({ timeoutMs: 30_000, now: clock }),
    });
    releaseFirst();
    await expect(first).resolves.toEqual({ batchItemFailures: [] });
    expect(failedIds(response)).toEqual([duplicate.messageId]);
    expect(runs).toEqual([original.messageId]);
  });
});

describe('measurement 4: clocks that disagree', () => {
  const T = Date.now();

  it('with clockSkewMs covering the skew, a duplicate whose clock runs 4 s ahead never takes over a live 5 s lease', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('skew'), client: client() });
    const name = opName();
    let real = 0;
    const clockA = () => T + real;
    const clockB = () => T + real + 4_000;
    let releaseA!: () => void;
    const aMayEnd = new Promise<void>((resolve) => (releaseA = resolve));
    let started!: () => void;
    const aStarted = new Promise<void>((resolve) => (started = resolve));
    let runs = 0;
    const options = { store, key: 'id', name, leaseSeconds: 5, clockSkewMs: 5_000, logger: quiet } as const;
    const a = makeIdempotent(
      async (_event: { id: string }) => {
        runs += 1;
        started();
        await aMayEnd;
        return 'a';
      },
      { ...options, clock: clockA },
    );
    const b = makeIdempotent(async (_event: { id: string }) => (runs += 1), { ...options, clock: clockB });
    const pending = a({ id: 'x' });
    await aStarted;
    for (const at of [1_500, 3_000, 4_900]) {
      real = at;
      await expect(b({ id: 'x' })).rejects.toBeInstanceOf(IdempotencyInProgressError);
    }
    releaseA();
    await expect(pending).resolves.toBe('a');
    expect(runs).toBe(1);
  });

  it('the default margin (1 s) covers a duplicate whose clock runs 900 ms ahead until the lease ends', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('skew-default'), client: client() });
    const clock = manualClock(T);
    const ahead = () => clock() + 900;
    let releaseA!: () => void;
    const aMayEnd = new Promise<void>((resolve) => (releaseA = resolve));
    let started!: () => void;
    const aStarted = new Promise<void>((resolve) => (started = resolve));
    let runs = 0;
    const name = opName();
    const a = makeIdempotent(
      async (_event: { id: string }) => {
        runs += 1;
        started();
        await aMayEnd;
        return 'a';
      },
      { store, key: 'id', name, leaseSeconds: 5, clock, logger: quiet },
    );
    const b = makeIdempotent(async (_event: { id: string }) => (runs += 1), {
      store,
      key: 'id',
      name,
      leaseSeconds: 5,
      clock: ahead,
      logger: quiet,
    });
    const pending = a({ id: 'y' });
    await aStarted;
    clock.advance(4_999);
    await expect(b({ id: 'y' })).rejects.toBeInstanceOf(IdempotencyInProgressError);
    releaseA();
    await pending;
    expect(runs).toBe(1);
  });
});

describe('measurement 5: the way out of an interrupted atMostOnce step', () => {
  async function stuckTransfer(): Promise<{
    transfer: ReturnType<typeof makeTransfer>;
    sent: string[];
    clock: ReturnType<typeof manualClock>;
  }> {
    const store = new DynamoDBStore({ tableName: await createTestTable('stuck'), client: client() });
    const clock = manualClock();
    const sent: string[] = [];
    const transfer = makeTransfer(store, clock, sent);
    // The first attempt dies inside the step (its answer never came): the step stays "started".
    transfer.failNext = true;
    await expect(transfer.fn({ transferId: 't-1' })).rejects.toThrow('bank timed out');
    await expect(transfer.fn({ transferId: 't-1' })).rejects.toBeInstanceOf(IdempotencyStepInterruptedError);
    return { transfer, sent, clock };
  }

  function makeTransfer(store: DynamoDBStore, clock: ReturnType<typeof manualClock>, sent: string[]) {
    const state = {
      failNext: false,
      fn: makeIdempotent(
        async (event: { transferId: string }) => {
          const receipt = await step(
            'send-money',
            async () => {
              sent.push(event.transferId);
              if (state.failNext) {
                state.failNext = false;
                throw new Error('bank timed out');
              }
              return { receipt: `r-${event.transferId}` };
            },
            { atMostOnce: true },
          );
          return { ...receipt, notified: true };
        },
        { store, key: 'transferId', name: opName(), leaseSeconds: 10, clock, logger: quiet },
      ),
    };
    return state;
  }

  it('completeStep marks the step done with the reconciled result: the next call replays it and finishes', async () => {
    const { transfer, sent } = await stuckTransfer();
    await expect(transfer.fn.completeStep('send-money', { receipt: 'r-from-the-bank' }, { transferId: 't-1' })).resolves.toBe('stepDone');
    await expect(transfer.fn({ transferId: 't-1' })).resolves.toEqual({ receipt: 'r-from-the-bank', notified: true });
    expect(sent).toEqual(['t-1']);
  });

  it('release deletes the record: the next call runs the work afresh', async () => {
    const { transfer, sent } = await stuckTransfer();
    await expect(transfer.fn.release({ transferId: 't-1' })).resolves.toBe('released');
    await expect(transfer.fn({ transferId: 't-1' })).resolves.toEqual({ receipt: 'r-t-1', notified: true });
    expect(sent).toEqual(['t-1', 't-1']);
    await expect(transfer.fn.release({ transferId: 't-1' })).resolves.toBe('completed');
    await expect(transfer.fn.release({ transferId: 'never-seen' })).resolves.toBe('absent');
  });

  it('refuses to release a record whose lease is live', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('live'), client: client() });
    let releaseRun!: () => void;
    const mayEnd = new Promise<void>((resolve) => (releaseRun = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const fn = makeIdempotent(
      async (_event: { id: string }) => {
        started();
        await mayEnd;
        return 'ok';
      },
      { store, key: 'id', name: opName(), logger: quiet },
    );
    const pending = fn({ id: 'busy' });
    await running;
    await expect(fn.release({ id: 'busy' })).rejects.toBeInstanceOf(IdempotencyInProgressError);
    releaseRun();
    await expect(pending).resolves.toBe('ok');
  });

  it('releaseSqsRecord does the same for processSqsBatch records', async () => {
    const store = new DynamoDBStore({ tableName: await createTestTable('stuck-sqs'), client: client() });
    const sent: string[] = [];
    let fail = true;
    const options: SqsBatchOptions<{ id: string }> = { store, key: (_r, { body }) => body.id, name: opName(), logger: quiet };
    const handler = async (_record: unknown, { body }: { body: { id: string } }): Promise<void> => {
      await step(
        'ship',
        () => {
          sent.push(body.id);
          if (fail) {
            fail = false;
            throw new Error('carrier timed out');
          }
          return 'shipped';
        },
        { atMostOnce: true },
      );
    };
    const record = jsonRecord({ id: 'parcel-1' });
    expect(failedIds(await processSqsBatch(sqsEvent([record]), handler, options))).toEqual([record.messageId]);
    expect(failedIds(await processSqsBatch(sqsEvent([record]), handler, options))).toEqual([record.messageId]);
    await expect(releaseSqsRecord(record, options, { step: 'ship', result: 'shipped (reconciled)' })).resolves.toBe('stepDone');
    expect(failedIds(await processSqsBatch(sqsEvent([record]), handler, options))).toEqual([]);
    expect(sent).toEqual(['parcel-1']);
  });
});

describe('when the retries run out', () => {
  it('throws IdempotencyStoreError saying the work ran, keeps the record held for its lease and logs the key at error level', async () => {
    const ddb = client();
    const tableName = await createTestTable('exhausted');
    const store = new DynamoDBStore({ tableName, client: ddb });
    const logger = recordingLogger();
    const clock = manualClock();
    const effects = effectCounter();
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        effects.run(event.id);
        return 'ok';
      },
      { store, key: 'id', name: opName(), leaseSeconds: 30, completionRetrySeconds: 1, clock, logger },
    );
    const faults = withFaults(ddb, { seed: 6, commands: ['UpdateItemCommand'], throttleRate: 1 });
    const error = await handler({ id: 'z' }).catch((e: unknown) => e);
    faults.remove();
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(error).toMatchObject({ workRan: true, retryable: true });
    expect((error as Error).message).toMatch(/ran, but its outcome could not be stored .*stays held until its lease ends/);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([(error as Error).message]);
    // A prompt redelivery does not run the work again.
    await expect(handler({ id: 'z' })).rejects.toBeInstanceOf(IdempotencyInProgressError);
    const item = await ddb.send(
      new GetItemCommand({ TableName: tableName, Key: { id: { S: (error as IdempotencyStoreError).key ?? '' } }, ConsistentRead: true }),
    );
    expect(item.Item?.['status']?.S).toBe('INPROGRESS');
    expect(effects.count('z')).toBe(1);
  });
});

/**
 * Fault injection around the real client for what DynamoDB Local never answers: statements of a
 * BatchExecuteStatement that fail one by one. The chosen statements are taken out of the request (so they
 * are not applied) and answered with the per-statement error shape DynamoDB returns for them.
 */
function failStatements(
  ddb: DynamoDBClient,
  code: string,
  pick: (statement: string, index: number) => boolean,
): { failed(kind: 'INSERT' | 'UPDATE'): number; remove(): void } {
  const failed = { INSERT: 0, UPDATE: 0 };
  const name = `failStatements${(sequence += 1)}`;
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchExecuteStatementCommand') return next(args);
      const input = args.input as { Statements: { Statement: string }[] };
      const chosen = input.Statements.map((s, i) => pick(s.Statement, i));
      const kept = input.Statements.filter((_s, i) => !chosen[i]);
      const result =
        kept.length > 0 ? await next({ ...args, input: { ...input, Statements: kept } }) : { output: { Responses: [] }, response: {} };
      const answers = [...((result.output as { Responses?: unknown[] }).Responses ?? [])];
      const responses = chosen.map((isChosen, i) => {
        if (!isChosen) return answers.shift();
        failed[input.Statements[i]?.Statement.startsWith('INSERT') === true ? 'INSERT' : 'UPDATE'] += 1;
        return { Error: { Code: code, Message: 'Throughput exceeds the current capacity of your table or index.' } };
      });
      return { ...result, output: { ...(result.output as object), Responses: responses } } as never;
    },
    { step: 'initialize', name },
  );
  return { failed: (kind) => failed[kind], remove: () => void ddb.middlewareStack.remove(name) };
}

describe('batched claims and completions', () => {
  const run = async (ddb: DynamoDBClient, table: string, ids: string[], effects: ReturnType<typeof effectCounter>): Promise<string[]> => {
    const options: SqsBatchOptions<{ id: string }> = {
      store: new DynamoDBStore({ tableName: table, client: ddb }),
      key: (_r, { body }) => body.id,
      name: 'batched',
      logger: quiet,
    };
    const records = ids.map((id) => jsonRecord({ id }));
    const response = await processSqsBatch(sqsEvent(records), (_r, { body }) => effects.run(body.id), {
      ...options,
      context: createLambdaContext({ timeoutMs: 30_000 }),
    });
    return failedIds(response);
  };
  const ids = Array.from({ length: 10 }, (_, i) => `b-${i}`);

  it('statements throttled one by one (ThrottlingError) are completed alone, each record once', async () => {
    const ddb = client();
    const table = await createTestTable('per-statement');
    const effects = effectCounter();
    const throttle = failStatements(ddb, 'ThrottlingError', (_statement, index) => index % 3 === 0);
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    throttle.remove();
    expect(throttle.failed('INSERT')).toBeGreaterThan(0); // claims
    expect(throttle.failed('UPDATE')).toBeGreaterThan(0); // completions
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    expect(ids.map((id) => effects.count(id))).toEqual(ids.map(() => 1));
  });

  it('a whole BatchExecuteStatement throttled through all its attempts falls back to single requests', async () => {
    const ddb = client();
    const table = await createTestTable('whole-request');
    const effects = effectCounter();
    const faults = withFaults(ddb, { seed: 7, commands: ['BatchExecuteStatementCommand'], throttleRate: 1 });
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    faults.remove();
    expect(faults.injected().throttled).toBeGreaterThanOrEqual(2);
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    expect(ids.map((id) => effects.count(id))).toEqual(ids.map(() => 1));
  });

  it('a BatchExecuteStatement applied whose answers are all lost completes each record once', async () => {
    const ddb = client();
    const table = await createTestTable('lost-batch');
    const effects = effectCounter();
    const faults = withFaults(ddb, { seed: 8, commands: ['BatchExecuteStatementCommand'], lostResponseRate: 1 });
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    faults.remove();
    expect(faults.injected().lostResponses).toBeGreaterThanOrEqual(2);
    await expect(run(ddb, table, ids, effects)).resolves.toEqual([]);
    expect(ids.map((id) => effects.count(id))).toEqual(ids.map(() => 1));
  });
});
