/**
 * Batched writes: inside an SQS or stream batch, the claims and completions that records make at the same
 * time share PartiQL BatchExecuteStatement requests, with every rule of the single requests kept.
 */
import { DynamoDBStore, IdempotencyLeaseLostError, makeIdempotent, type IdempotencyLogger } from '../../lib';
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
const opName = (): string => `bw${(sequence += 1)}`;

beforeAll(async () => {
  tableName = await createTestTable('batched');
  store = new DynamoDBStore({ tableName, client: dynamoClient() });
});

const ids = (prefix: string, n: number): Job[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }));

describe('inside a write-batching scope', () => {
  it('claims and completes 10 concurrent fresh keys with one request each way', async () => {
    let runs = 0;
    const handler = makeIdempotent(async (job: Job) => `done ${job.id} ${(runs += 1)}`, { store, key: 'id', name: opName() });
    const counter = countRequests(dynamoClient());
    let results: string[];
    try {
      results = await withWriteBatching(() => Promise.all(ids('fresh', 10).map((job) => handler(job))));
    } finally {
      counter.remove();
    }
    expect(runs).toBe(10);
    expect(new Set(results).size).toBe(10);
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 2 });
  });

  it('replays completed keys found by one BatchGetItem, without running them again', async () => {
    let runs = 0;
    const counted = makeIdempotent(
      async (job: Job) => {
        runs += 1;
        return `result of ${job.id}`;
      },
      { store, key: 'id', name: opName() },
    );
    const jobs = ids('replay', 6);
    await withWriteBatching(() => Promise.all(jobs.map((job) => counted(job))));
    const counter = countRequests(dynamoClient());
    let replays: string[];
    try {
      replays = await withWriteBatching(() => Promise.all(jobs.map((job) => counted(job))));
    } finally {
      counter.remove();
    }
    expect(runs).toBe(6);
    expect(replays).toEqual(jobs.map((job) => `result of ${job.id}`));
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 1, BatchGetItemCommand: 1 });
  });

  it('claims a key whose record expired through the single conditional request', async () => {
    const clock = manualClock();
    let runs = 0;
    const handler = makeIdempotent(async (_job: Job) => (runs += 1), { store, key: 'id', name: opName(), expiresAfterSeconds: 5, clock });
    const jobs = ids('expired', 3);
    await withWriteBatching(() => Promise.all(jobs.map((job) => handler(job))));
    clock.advance(6_000);
    await expect(withWriteBatching(() => Promise.all(jobs.map((job) => handler(job))))).resolves.toHaveLength(3);
    expect(runs).toBe(6);
  });

  it('recognises its own claims when the batch response was lost and the SDK retried it', async () => {
    const lose = loseNextResponse(dynamoClient(), 'BatchExecuteStatementCommand');
    let runs = 0;
    try {
      const handler = makeIdempotent(async (job: Job) => `once ${job.id} ${(runs += 1)}`, { store, key: 'id', name: opName() });
      const results = await withWriteBatching(() => Promise.all(ids('lost', 5).map((job) => handler(job))));
      expect(results).toHaveLength(5);
    } finally {
      lose.remove();
    }
    expect(lose.lost()).toBe(1);
    expect(runs).toBe(5);
  });

  it('gives a completion whose lease was taken over IdempotencyLeaseLostError, and completes the others', async () => {
    const clock = manualClock();
    const name = opName();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let allStarted!: () => void;
    const running = new Promise<void>((r) => (allStarted = r));
    const handler = makeIdempotent(
      async (job: Job) => {
        started += 1;
        if (started === 3) allStarted();
        await gate;
        return job.id;
      },
      { store, key: 'id', name, leaseSeconds: 2, clock },
    );
    const jobs = ids('lease', 3);
    const pending = withWriteBatching(() => Promise.allSettled(jobs.map((job) => handler(job))));
    await running;
    clock.advance(4_000);
    // Another invocation takes the first job over (outside the batch).
    const other = makeIdempotent(async (_job: Job) => 'new owner', { store, key: 'id', name, leaseSeconds: 2, clock });
    await expect(other(jobs[0] as Job)).resolves.toBe('new owner');
    release();
    const settled = await pending;
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyLeaseLostError) });
    expect(settled.slice(1)).toEqual([
      { status: 'fulfilled', value: 'lease-1' },
      { status: 'fulfilled', value: 'lease-2' },
    ]);
  });

  it('falls back to single requests, and warns once, when PartiQL is not allowed', async () => {
    const client = newDynamoClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchExecuteStatementCommand') {
          throw Object.assign(new Error('not authorized to perform: dynamodb:PartiQLInsert'), {
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyPartiQL' },
    );
    const warnings: string[] = [];
    const logger: IdempotencyLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => void warnings.push(m) };
    const denied = new DynamoDBStore({ tableName, client, logger });
    const handler = makeIdempotent(async (job: Job) => job.id, { store: denied, key: 'id', name: opName() });
    await expect(withWriteBatching(() => Promise.all(ids('denied', 4).map((job) => handler(job))))).resolves.toEqual(
      ids('denied', 4).map((job) => job.id),
    );
    await withWriteBatching(() => Promise.all(ids('denied-again', 4).map((job) => handler(job))));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/BatchExecuteStatement .* was refused \(AccessDeniedException\); sending single requests/);
  });

  it('keeps batching after a request DynamoDB refuses for its values (ValidationException): that group alone goes single', async () => {
    const client = newDynamoClient();
    let refused = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchExecuteStatementCommand' && refused === 0) {
          refused += 1;
          throw Object.assign(new Error('One or more parameter values were invalid'), {
            name: 'ValidationException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuseOnce' },
    );
    const warnings: string[] = [];
    const logger: IdempotencyLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => void warnings.push(m) };
    const refusing = new DynamoDBStore({ tableName, client, logger });
    const handler = makeIdempotent(async (job: Job) => job.id, { store: refusing, key: 'id', name: opName() });
    await expect(withWriteBatching(() => Promise.all(ids('refused', 4).map((job) => handler(job))))).resolves.toEqual(
      ids('refused', 4).map((job) => job.id),
    );
    const counter = countRequests(client);
    try {
      await withWriteBatching(() => Promise.all(ids('refused-later', 4).map((job) => handler(job))));
    } finally {
      counter.remove();
    }
    expect(refused).toBe(1);
    expect(warnings).toEqual([]);
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 2 });
  });
});

describe('batched releases', () => {
  /** Claims `jobs` directly on the store, as records that ran nothing yet; returns each claim's token. */
  async function claimAll(on: DynamoDBStore, jobs: readonly Job[], name: string): Promise<string[]> {
    const now = Date.now();
    return Promise.all(
      jobs.map(async (job) => {
        const token = `token-${job.id}`;
        const key = `${name}#${job.id}`;
        const result = await on.claim({ key, token, leaseUntil: now + 60_000, expiresAt: Math.floor(now / 1000) + 3600, now });
        expect(result.claimed).toBe(true);
        return token;
      }),
    );
  }

  it('releases 10 unrun claims with one request, deleting their records', async () => {
    const name = opName();
    const jobs = ids('release', 10);
    const tokens = await claimAll(store, jobs, name);
    const counter = countRequests(dynamoClient());
    try {
      await withWriteBatching(() =>
        Promise.all(jobs.map((job, i) => store.release({ key: `${name}#${job.id}`, token: tokens[i] as string, keepCheckpoints: false }))),
      );
    } finally {
      counter.remove();
    }
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 1 });
    const left = await Promise.all(jobs.map((job) => store.get(`${name}#${job.id}`, Date.now())));
    expect(left).toEqual(jobs.map(() => undefined));
  });

  it('never deletes a record another invocation took over: that release gets IdempotencyLeaseLostError, the others apply', async () => {
    const name = opName();
    const jobs = ids('release-lost', 3);
    const tokens = await claimAll(store, jobs, name);
    const stolen = `${name}#${(jobs[0] as Job).id}`;
    const later = Date.now() + 120_000;
    await store.takeOver({
      key: stolen,
      token: 'other-owner',
      previousToken: tokens[0] as string,
      leaseUntil: later + 60_000,
      expiresAt: Math.floor(later / 1000) + 3600,
      now: later,
    });
    const settled = await withWriteBatching(() =>
      Promise.allSettled(
        jobs.map((job, i) => store.release({ key: `${name}#${job.id}`, token: tokens[i] as string, keepCheckpoints: false })),
      ),
    );
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyLeaseLostError) });
    expect(settled.slice(1).map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await store.get(stolen, Date.now())).toMatchObject({ token: 'other-owner' });
  });

  it('sends single deletes, and warns once naming dynamodb:PartiQLDelete, when only PartiQL deletes are refused', async () => {
    const client = newDynamoClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Statements?: { Statement: string }[] };
        if (context.commandName === 'BatchExecuteStatementCommand' && input.Statements?.[0]?.Statement.startsWith('DELETE')) {
          throw Object.assign(new Error('not authorized to perform: dynamodb:PartiQLDelete'), {
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyPartiQLDelete' },
    );
    const warnings: string[] = [];
    const logger: IdempotencyLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => void warnings.push(m) };
    const denied = new DynamoDBStore({ tableName, client, logger });
    const name = opName();
    for (const round of ['first', 'second']) {
      const jobs = ids(`denied-delete-${round}`, 4);
      const tokens = await claimAll(denied, jobs, name);
      await withWriteBatching(() =>
        Promise.all(jobs.map((job, i) => denied.release({ key: `${name}#${job.id}`, token: tokens[i] as string, keepCheckpoints: false }))),
      );
      const left = await Promise.all(jobs.map((job) => denied.get(`${name}#${job.id}`, Date.now())));
      expect(left).toEqual(jobs.map(() => undefined));
    }
    expect(warnings).toEqual([
      expect.stringMatching(
        /refused \(AccessDeniedException\); sending single requests for DELETE statements .* Grant dynamodb:PartiQLDelete/,
      ),
    ]);
  });
});

describe('outside a write-batching scope', () => {
  it('sends single requests, even for concurrent calls', async () => {
    const handler = makeIdempotent(async (job: Job) => job.id, { store, key: 'id', name: opName() });
    const counter = countRequests(dynamoClient());
    try {
      await Promise.all(ids('single', 4).map((job) => handler(job)));
    } finally {
      counter.remove();
    }
    expect(counter.counts).toEqual({ PutItemCommand: 4, UpdateItemCommand: 4 });
  });
});

describe('processSqsBatch', () => {
  it('claims and completes a batch of 10 fresh messages with two requests', async () => {
    const batchStore = new DynamoDBStore({ tableName, client: dynamoClient() });
    const event = sqsEvent(ids('sqs', 10).map((job) => sqsRecord({ body: JSON.stringify(job) })));
    const counter = countRequests(dynamoClient());
    let result;
    try {
      result = await processSqsBatch(event, async () => 'ok', {
        store: batchStore,
        name: opName(),
        key: (_r, { body }) => (body as Job).id,
      });
    } finally {
      counter.remove();
    }
    expect(result).toEqual({ batchItemFailures: [] });
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 2 });
  });

  it('with batchWrites: false, sends one claim and one completion per message', async () => {
    const singleStore = new DynamoDBStore({ tableName, client: dynamoClient(), batchWrites: false });
    const event = sqsEvent(ids('sqs-single', 10).map((job) => sqsRecord({ body: JSON.stringify(job) })));
    const counter = countRequests(dynamoClient());
    try {
      await processSqsBatch(event, async () => 'ok', { store: singleStore, name: opName(), key: (_r, { body }) => (body as Job).id });
    } finally {
      counter.remove();
    }
    expect(counter.counts).toEqual({ PutItemCommand: 10, UpdateItemCommand: 10 });
  });
});
