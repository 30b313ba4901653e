/**
 * Optimistic mode in batches: the completed records that the records of one SQS or stream batch write at the
 * same time share PartiQL BatchExecuteStatement requests (one INSERT each), with every rule of the single
 * conditional PutItem kept: a live record wins, an expired one is replaced, a lost response is recognised.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { commitWith, DynamoDBStore, IdempotencyInProgressError, makeIdempotent, type IdempotencyLogger } from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { withWriteBatching } from '../../lib/persistence/coalesce';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient, newDynamoClient } from '../helpers/local';
import { countRequests, loseNextResponse } from '../helpers/request-counter';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events';

interface Job {
  id: string;
}

let tableName: string;
let store: DynamoDBStore;
let sequence = 0;
const opName = (): string => `ob${(sequence += 1)}`;
const ids = (prefix: string, n: number): Job[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }));

beforeAll(async () => {
  tableName = await createTestTable('optimistic-batched');
  store = new DynamoDBStore({ tableName, client: dynamoClient() });
});

/** Runs `work` and returns the requests it sent through the shared client, by command. */
async function counting<T>(work: () => Promise<T>): Promise<{ result: T; counts: Record<string, number> }> {
  const counter = countRequests(dynamoClient());
  try {
    const result = await work();
    return { result, counts: { ...counter.counts } };
  } finally {
    counter.remove();
  }
}

describe('optimistic mode inside a write-batching scope', () => {
  it('writes the completed records of 10 concurrent fresh keys with one request', async () => {
    let runs = 0;
    const handler = makeIdempotent(async (job: Job) => `done ${job.id} ${(runs += 1)}`, {
      store,
      key: 'id',
      name: opName(),
      mode: 'optimistic',
    });
    const { result, counts } = await counting(() => withWriteBatching(() => Promise.all(ids('fresh', 10).map((job) => handler(job)))));
    expect(runs).toBe(10);
    expect(new Set(result).size).toBe(10);
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1 });
  });

  it('stores each record as the single put does: completed, with its result, which wins over a later run', async () => {
    const name = opName();
    let runs = 0;
    const handler = makeIdempotent(async (job: Job) => ({ id: job.id, run: (runs += 1) }), { store, key: 'id', name, mode: 'optimistic' });
    const jobs = ids('stored', 3);
    const first = await withWriteBatching(() => Promise.all(jobs.map((job) => handler(job))));
    const { result: again, counts } = await counting(() => Promise.all(jobs.map((job) => handler(job))));
    // Outside a scope, each later call runs (optimistic mode claims nothing first), then its own conditional
    // PutItem meets the stored record, whose result it returns.
    expect(counts).toEqual({ PutItemCommand: 3 });
    expect(runs).toBe(6);
    expect(again).toEqual(first);
  });

  it('returns the records of keys completed earlier, read by one BatchGetItem, and their results win', async () => {
    const name = opName();
    const jobs = ids('won', 4);
    const earlier = makeIdempotent(async (job: Job) => `earlier ${job.id}`, { store, key: 'id', name, mode: 'optimistic' });
    await withWriteBatching(() => Promise.all(jobs.map((job) => earlier(job))));
    let runs = 0;
    const later = makeIdempotent(
      async (job: Job) => {
        runs += 1;
        return `later ${job.id}`;
      },
      { store, key: 'id', name, mode: 'optimistic' },
    );
    const { result, counts } = await counting(() => withWriteBatching(() => Promise.all(jobs.map((job) => later(job)))));
    // Optimistic mode runs the work before it writes: the runs happened, their outcomes lost to the stored ones.
    expect(runs).toBe(4);
    expect(result).toEqual(jobs.map((job) => `earlier ${job.id}`));
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, BatchGetItemCommand: 1 });
  });

  it('replaces an expired record with the single conditional put', async () => {
    const clock = manualClock();
    const name = opName();
    let runs = 0;
    const handler = makeIdempotent(async (job: Job) => `${job.id} run ${(runs += 1)}`, {
      store,
      key: 'id',
      name,
      mode: 'optimistic',
      expiresAfterSeconds: 5,
      clock,
    });
    const jobs = ids('expired', 3);
    await withWriteBatching(() => Promise.all(jobs.map((job) => handler(job))));
    clock.advance(6_000);
    const { result, counts } = await counting(() => withWriteBatching(() => Promise.all(jobs.map((job) => handler(job)))));
    expect(result).toEqual(['expired-0 run 4', 'expired-1 run 5', 'expired-2 run 6']);
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, BatchGetItemCommand: 1, PutItemCommand: 3 });
  });

  it('recognises its own records when the batch response was lost and the SDK retried it', async () => {
    const lose = loseNextResponse(dynamoClient(), 'BatchExecuteStatementCommand');
    let runs = 0;
    let results: string[];
    try {
      const handler = makeIdempotent(async (job: Job) => `once ${job.id} ${(runs += 1)}`, {
        store,
        key: 'id',
        name: opName(),
        mode: 'optimistic',
      });
      results = await withWriteBatching(() => Promise.all(ids('lost', 5).map((job) => handler(job))));
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
    expect(runs).toBe(5);
    expect(results).toEqual(['once lost-0 1', 'once lost-1 2', 'once lost-2 3', 'once lost-3 4', 'once lost-4 5']);
  });

  it('gives a record held by a lease-mode invocation IdempotencyInProgressError, and writes the others', async () => {
    const name = opName();
    const jobs = ids('held', 3);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const leaseHolder = makeIdempotent(
      async (_job: Job) => {
        started();
        await gate;
        return 'lease';
      },
      { store, key: 'id', name },
    );
    const holding = leaseHolder(jobs[0] as Job);
    await running;
    const optimistic = makeIdempotent(async (job: Job) => `optimistic ${job.id}`, { store, key: 'id', name, mode: 'optimistic' });
    const settled = await withWriteBatching(() => Promise.allSettled(jobs.map((job) => optimistic(job))));
    release();
    await expect(holding).resolves.toBe('lease');
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyInProgressError) as unknown });
    expect(settled.slice(1)).toEqual([
      { status: 'fulfilled', value: 'optimistic held-1' },
      { status: 'fulfilled', value: 'optimistic held-2' },
    ]);
  });

  it('commits a record with commitWith writes in its own transaction, and batches the others', async () => {
    const name = opName();
    const handler = makeIdempotent(
      async (job: Job) => {
        if (job.id.endsWith('-0')) commitWith({ Put: { TableName: tableName, Item: { id: `business#${job.id}`, done: true } } });
        return job.id;
      },
      { store, key: 'id', name, mode: 'optimistic' },
    );
    const { counts } = await counting(() => withWriteBatching(() => Promise.all(ids('commit', 4).map((job) => handler(job)))));
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, TransactWriteItemsCommand: 1 });
    const business = await dynamoClient().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: 'business#commit-0' } } }));
    expect(business.Item?.['done']).toEqual({ BOOL: true });
  });

  it('falls back to single puts, and warns once, when PartiQL inserts are not allowed', async () => {
    const client = newDynamoClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchExecuteStatementCommand') {
          throw Object.assign(new Error('not authorized to perform: dynamodb:PartiQLInsert'), {
            name: 'AccessDeniedException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyPartiQL' },
    );
    const warnings: string[] = [];
    const logger: IdempotencyLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => warnings.push(String(m)),
      error: () => undefined,
    };
    const denied = new DynamoDBStore({ tableName, client, logger });
    const handler = makeIdempotent(async (job: Job) => job.id, { store: denied, key: 'id', name: opName(), mode: 'optimistic' });
    await expect(withWriteBatching(() => Promise.all(ids('denied', 4).map((job) => handler(job))))).resolves.toHaveLength(4);
    await expect(withWriteBatching(() => Promise.all(ids('denied-again', 4).map((job) => handler(job))))).resolves.toHaveLength(4);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Grant dynamodb:PartiQLInsert and dynamodb:PartiQLUpdate, or set batchWrites: false/);
  });
});

describe('processSqsBatch in optimistic mode', () => {
  it('writes a batch of 10 fresh messages with one request', async () => {
    const event = sqsEvent(ids('sqs', 10).map((job) => sqsRecord({ body: JSON.stringify(job) })));
    const { result, counts } = await counting(() =>
      processSqsBatch(event, async () => 'ok', { store, name: opName(), mode: 'optimistic', key: (_r, { body }) => (body as Job).id }),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1 });
  });

  it('with batchWrites: false, sends one conditional PutItem per message', async () => {
    const singleStore = new DynamoDBStore({ tableName, client: dynamoClient(), batchWrites: false });
    const event = sqsEvent(ids('sqs-single', 10).map((job) => sqsRecord({ body: JSON.stringify(job) })));
    const { counts } = await counting(() =>
      processSqsBatch(event, async () => 'ok', {
        store: singleStore,
        name: opName(),
        mode: 'optimistic',
        key: (_r, { body }) => (body as Job).id,
      }),
    );
    expect(counts).toEqual({ PutItemCommand: 10 });
  });

  it('writes 30 messages run at once in two requests (25 statements at most in one)', async () => {
    const event = sqsEvent(ids('sqs-30', 30).map((job) => sqsRecord({ body: JSON.stringify(job) })));
    const { result, counts } = await counting(() =>
      processSqsBatch(event, async () => 'ok', {
        store,
        name: opName(),
        mode: 'optimistic',
        concurrency: 30,
        key: (_r, { body }) => (body as Job).id,
      }),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ BatchExecuteStatementCommand: 2 });
  });
});
