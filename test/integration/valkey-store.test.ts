/**
 * What ValkeyStore adds to the store contract, against a real redis-server: the server's own expiry, the
 * scripts loaded again after a flush, its own writes recognised after lost answers, batched writes inside
 * SQS batches, commitWith refused and never stored as done, WAIT for replicas, option checks.
 */
import Valkey from 'iovalkey';
import { commitWith, IdempotencyConfigError, IdempotencyStoreError, makeIdempotent } from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { startLocalValkey, type LocalValkey } from '../../lib/testing';
import { ValkeyStore, type ValkeyCallClient } from '../../lib/valkey';
import { SCRIPTS, type Script } from '../../lib/valkey/scripts';
import { jsonRecord } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

let server: LocalValkey;
let redis: Valkey;
let sequence = 0;
const name = (): string => `vs${(sequence += 1)}`;

beforeAll(async () => {
  server = await startLocalValkey();
  redis = new Valkey(server.url);
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

/** The real client, counting the commands sent and losing the answer of the first run of each script in `lose`. */
function wrapped(lose: Script[] = []): { client: ValkeyCallClient; sent: string[]; ran: string[] } {
  const sent: string[] = [];
  const ran: string[] = [];
  const pending = new Set(lose.map((script) => script.sha));
  return {
    sent,
    ran,
    client: {
      call: async (command, ...args) => {
        sent.push(command);
        const reply = await redis.call(command, ...args);
        // EVALSHA names its script by its SHA-1; EVAL (after NOSCRIPT) by its source.
        const script = Object.values(SCRIPTS).find((s) => (command === 'EVALSHA' ? s.sha : s.source) === args[0]);
        if (script !== undefined) ran.push(script.name);
        if (script !== undefined && pending.delete(script.sha)) {
          throw Object.assign(new Error('read ECONNRESET (the command was applied, its answer lost)'), { code: 'ECONNRESET' });
        }
        return reply;
      },
    },
  };
}

describe('ValkeyStore on redis-server', () => {
  it('has the server expire a record at its expiresAt', async () => {
    const store = new ValkeyStore({ client: redis, keyPrefix: 'ttl:' });
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    await store.claim({ key: 'k1', token: 't', leaseUntil: Date.now() + 10_000, expiresAt, now: Date.now() });
    await expect(redis.call('PEXPIRETIME', 'ttl:k1')).resolves.toBe(expiresAt * 1000);
  });

  it('loads its scripts again when the server has lost them (NOSCRIPT)', async () => {
    const store = new ValkeyStore({ client: redis, keyPrefix: 'flush:' });
    const input = {
      key: 'k1',
      token: 't',
      leaseUntil: Date.now() + 10_000,
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      now: Date.now(),
    };
    await store.claim(input);
    await redis.call('SCRIPT', 'FLUSH');
    await expect(store.claim({ ...input, key: 'k2' })).resolves.toEqual({ claimed: true, steps: {} });
  });

  it('runs the work once when the answers of its claim and its completion are lost', async () => {
    const faulty = wrapped([SCRIPTS.claim, SCRIPTS.complete]);
    let runs = 0;
    const handler = makeIdempotent(async (order: { id: string }) => `charged ${order.id} (run ${(runs += 1)})`, {
      store: new ValkeyStore({ client: faulty.client, keyPrefix: 'lost:' }),
      key: 'id',
      name: name(),
    });
    await expect(handler({ id: 'o-1' })).resolves.toBe('charged o-1 (run 1)');
    await expect(handler({ id: 'o-1' })).resolves.toBe('charged o-1 (run 1)');
    expect(runs).toBe(1);
    // Claim, claim again (its own record), complete, complete again (its own completed record); the second
    // delivery's claim meets the completed record and replays it.
    expect(faulty.ran).toEqual(['claim', 'claim', 'complete', 'complete', 'claim']);
  });

  it('claims and completes the records of an SQS batch with one script call each way', async () => {
    const counting = wrapped();
    const store = new ValkeyStore({ client: counting.client, keyPrefix: 'batch:' });
    const options = { store, key: 'body.orderId', name: name() };
    let runs = 0;
    const run = async (): Promise<void> => {
      runs += 1;
    };
    const batch = (from: number) => sqsEvent(Array.from({ length: 10 }, (_, i) => jsonRecord({ orderId: `b-${from + i}` })));
    // The first batch loads the batch scripts on the server (NOSCRIPT, then EVAL).
    await processSqsBatch(batch(0), run, options);
    counting.sent.length = 0;
    const response = await processSqsBatch(batch(10), run, options);
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toBe(20);
    expect(counting.sent).toEqual(['EVALSHA', 'EVALSHA']);
    // Delivered again: every record is replayed from the one batched claim's answer.
    counting.sent.length = 0;
    await processSqsBatch(batch(10), run, options);
    expect(runs).toBe(20);
    expect(counting.sent).toEqual(['EVALSHA']);
  });

  it('refuses commitWith at the call with IdempotencyConfigError naming the reason, and stores nothing as done', async () => {
    const store = new ValkeyStore({ client: redis, keyPrefix: 'commit:' });
    let runs = 0;
    let afterCommitWith = 0;
    const handler = makeIdempotent(
      async (order: { id: string }) => {
        runs += 1;
        commitWith({ Put: { TableName: 'orders', Item: { id: order.id } } });
        afterCommitWith += 1;
        return 'ok';
      },
      { store, key: 'id', name: 'commit' },
    );
    const error = await handler({ id: 'c-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'commitWith cannot be used here: ValkeyStore cannot commit DynamoDB writes (no transaction spans Valkey and DynamoDB). Use DynamoDBStore for commitWith, or make the writes idempotent steps; nothing was staged',
    );
    // Released after the failure: the next delivery runs again, and is refused again; nothing is completed.
    await expect(handler({ id: 'c-1' })).rejects.toThrow(IdempotencyConfigError);
    expect(runs).toBe(2);
    expect(afterCommitWith).toBe(0);
    await expect(redis.call('KEYS', 'commit:*')).resolves.toEqual([]);
  });

  it('refuses staged writes handed to complete and putCompleted directly (a store contract caller), writing nothing', async () => {
    const store = new ValkeyStore({ client: redis, keyPrefix: 'direct:' });
    const input = {
      key: 'k',
      token: 't',
      result: '1',
      outcome: 'value' as const,
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      writes: [{ Put: { TableName: 'orders', Item: { id: 'k' } } }],
      now: Date.now(),
    };
    await expect(store.putCompleted(input)).rejects.toThrow(/no transaction spans Valkey and DynamoDB, so nothing was written/);
    await expect(store.complete(input)).rejects.toThrow(IdempotencyConfigError);
    await expect(redis.call('KEYS', 'direct:*')).resolves.toEqual([]);
  });

  it('fails a write that fewer replicas than asked acknowledged (waitForReplicas), as retryable', async () => {
    const store = new ValkeyStore({ client: redis, keyPrefix: 'wait:', waitForReplicas: { replicas: 1, timeoutMs: 20 } });
    const error = await store
      .claim({ key: 'k', token: 't', leaseUntil: Date.now() + 10_000, expiresAt: Math.floor(Date.now() / 1000) + 600, now: Date.now() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as IdempotencyStoreError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/only 0 of the 1 replica\(s\) asked for acknowledged it within 20 ms/);
  });
});

describe('ValkeyStore options', () => {
  it('refuses a client with neither call nor sendCommand', () => {
    expect(() => new ValkeyStore({ client: {} as never })).toThrow(
      /Expected `client` to be a Valkey \/ Redis client with call\(command, \.\.\.args\) \(iovalkey, ioredis\) or sendCommand\(args\) \(redis\)/,
    );
  });

  it('refuses an unknown option, naming the known ones', () => {
    expect(() => new ValkeyStore({ client: redis, tableName: 't' } as never)).toThrow(
      'Unknown option `tableName` of ValkeyStore (known options: client, keyPrefix, logger, waitForReplicas)',
    );
  });

  it('refuses a malformed waitForReplicas', () => {
    expect(() => new ValkeyStore({ client: redis, waitForReplicas: { replicas: 0, timeoutMs: 100 } })).toThrow(IdempotencyConfigError);
  });

  it('refuses waitForReplicas with a cluster client', () => {
    const cluster = { isCluster: true, call: redis.call.bind(redis) } as ValkeyCallClient;
    expect(() => new ValkeyStore({ client: cluster, waitForReplicas: { replicas: 1, timeoutMs: 100 } })).toThrow(
      /`waitForReplicas` cannot be used with a cluster client/,
    );
  });
});
