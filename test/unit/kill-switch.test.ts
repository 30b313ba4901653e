/**
 * The kill switch: `EFFECTIVELY_ONCE_DISABLED=true`, read on every invocation, runs the work without touching the
 * store, in every adapter (it is decided in the engine), with one warning per process through the configured
 * logger. `step` runs its function, `downstreamKey` keeps its value, `commitWith` writes are committed alone by
 * a store that can (DynamoDBStore: test/integration/kill-switch-commit.test.ts) and refused by one that cannot.
 */
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import {
  IdempotencyConfigError,
  commitWith,
  downstreamKey,
  IdempotencyContextError,
  idempotencyMiddleware,
  InMemoryStore,
  makeIdempotent,
  step,
  type IdempotencyStore,
} from '../../lib';
import { makeIdempotentHttpHandler } from '../../lib/http';
import { processSqsBatch } from '../../lib/sqs';
import { processStreamBatch } from '../../lib/streams';
import { restApiEvent } from '../helpers/http-events';
import { jsonRecord, recordingLogger } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';
import { kinesisEvent, kinesisRecords } from '../helpers/stream-events';

// @middy/core is ESM-only; jest transpiles it to CommonJS (see jest.config.js), so require it here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

const ENV = 'EFFECTIVELY_ONCE_DISABLED';

interface OrderEvent {
  readonly orderId: string;
}

/** An InMemoryStore that counts every call of the store contract. */
function countingStore(): IdempotencyStore & { calls: () => number } {
  const inner = new InMemoryStore();
  let calls = 0;
  const count =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      calls += 1;
      return method.apply(inner, args);
    };
  return {
    claim: count(inner.claim),
    takeOver: count(inner.takeOver),
    checkpoint: count(inner.checkpoint),
    extendLease: count(inner.extendLease),
    complete: count(inner.complete),
    putCompleted: count(inner.putCompleted),
    release: count(inner.release),
    get: count(inner.get),
    calls: () => calls,
  };
}

let sequence = 0;
const opName = (): string => `kill-switch${(sequence += 1)}`;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

afterEach(() => {
  delete process.env[ENV];
});

describe('EFFECTIVELY_ONCE_DISABLED=true with makeIdempotent', () => {
  function setup() {
    const store = countingStore();
    let runs = 0;
    const charge = makeIdempotent(async (event: OrderEvent) => `charged ${event.orderId} (run ${(runs += 1)})`, {
      store,
      key: 'orderId',
      name: opName(),
      logger: silent,
    });
    return { store, charge, runs: () => runs };
  }

  it('runs the work for every duplicate without touching the store', async () => {
    const { store, charge } = setup();
    process.env[ENV] = 'true';

    await expect(charge({ orderId: 'o-1' })).resolves.toBe('charged o-1 (run 1)');
    await expect(charge({ orderId: 'o-1' })).resolves.toBe('charged o-1 (run 2)');
    expect(store.calls()).toBe(0);
  });

  it('is read on every invocation: set after the wrap, then unset', async () => {
    const { store, charge } = setup();
    await expect(charge({ orderId: 'o-2' })).resolves.toBe('charged o-2 (run 1)');
    process.env[ENV] = 'TRUE';
    await expect(charge({ orderId: 'o-2' })).resolves.toBe('charged o-2 (run 2)');
    const callsWhileDisabled = store.calls();
    delete process.env[ENV];

    await expect(charge({ orderId: 'o-2' })).resolves.toBe('charged o-2 (run 1)');
    expect(callsWhileDisabled).toBe(2); // the first invocation's claim and completion
    expect(store.calls()).toBe(3); // and the replay's claim
  });

  it('does not derive the key: an event without one runs too', async () => {
    const { store, charge } = setup();
    process.env[ENV] = 'true';

    await expect(charge({} as OrderEvent)).resolves.toBe('charged undefined (run 1)');
    expect(store.calls()).toBe(0);
  });

  it.each(['false', '', '1', 'yes'])('leaves idempotency on for %p', async (value) => {
    const { charge } = setup();
    process.env[ENV] = value;

    await charge({ orderId: 'o-3' });
    await expect(charge({ orderId: 'o-3' })).resolves.toBe('charged o-3 (run 1)');
  });
});

describe('the warning', () => {
  /** The library loaded afresh (a new process, as far as the kill switch's memory goes). */
  function freshLibrary(): typeof import('../../lib') {
    let library: typeof import('../../lib') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      library = require('../../lib') as typeof import('../../lib');
    });
    return library as typeof import('../../lib');
  }

  it('is logged once per process, through the configured logger', async () => {
    const fresh = freshLibrary();
    const first = recordingLogger();
    const second = recordingLogger();
    const a = fresh.makeIdempotent(async (_event: { id: number }) => 'a', {
      store: new fresh.InMemoryStore(),
      name: opName(),
      logger: first,
    });
    const b = fresh.makeIdempotent(async (_event: { id: number }) => 'b', {
      store: new fresh.InMemoryStore(),
      name: opName(),
      logger: second,
    });
    process.env[ENV] = 'true';

    await a({ id: 1 });
    await a({ id: 1 });
    await b({ id: 1 });

    expect(first.messages('warn')).toEqual([
      'EFFECTIVELY_ONCE_DISABLED=true: idempotency is OFF in this process. Every invocation runs its work without claiming, replaying or storing anything, so duplicates run again. For local debugging only: never set it in production',
    ]);
    expect(second.messages('warn')).toEqual([]);
  });

  it('names a value other than true or false, once, and idempotency stays on', async () => {
    const fresh = freshLibrary();
    const logger = recordingLogger();
    const f = fresh.makeIdempotent(async (_event: { id: number }) => 'a', { store: new fresh.InMemoryStore(), name: opName(), logger });
    process.env[ENV] = '1';

    await f({ id: 1 });
    await f({ id: 1 });

    expect(logger.messages('warn')).toEqual(['EFFECTIVELY_ONCE_DISABLED is "1", not "true": idempotency stays on']);
  });
});

describe('step, downstreamKey and commitWith in a disabled invocation', () => {
  it('runs every step, checkpointing nothing', async () => {
    const store = countingStore();
    const charges: string[] = [];
    const charge = makeIdempotent(
      async (event: OrderEvent) => {
        const id = await step('charge', () => {
          charges.push(event.orderId);
          return `ch-${charges.length}`;
        });
        return step('receipt', () => `receipt for ${id}`, { atMostOnce: true });
      },
      { store, key: 'orderId', name: opName(), logger: silent },
    );
    process.env[ENV] = 'true';

    await expect(charge({ orderId: 'o-4' })).resolves.toBe('receipt for ch-1');
    await expect(charge({ orderId: 'o-4' })).resolves.toBe('receipt for ch-2');
    expect(store.calls()).toBe(0);
  });

  it('refuses a step name used twice, as with idempotency on', async () => {
    const twice = makeIdempotent(
      async (_event: { id: number }) => {
        await step('charge', () => 1);
        return step('charge', () => 2);
      },
      { store: new InMemoryStore(), name: opName(), logger: silent },
    );
    process.env[ENV] = 'true';

    await expect(twice({ id: 1 })).rejects.toThrow(
      new IdempotencyContextError('step("charge") was already used in this execution; step names identify checkpoints and must be unique'),
    );
  });

  it('gives the same downstreamKey as with idempotency on', async () => {
    const keyOf = makeIdempotent(async (_event: OrderEvent) => downstreamKey('payment'), {
      store: new InMemoryStore(),
      key: 'orderId',
      name: opName(),
      logger: silent,
    });
    const enabled = await keyOf({ orderId: 'o-5' });
    process.env[ENV] = 'true';

    await expect(keyOf({ orderId: 'o-5' })).resolves.toBe(enabled);
  });

  it('refuses a malformed commitWith item with IdempotencyContextError, as with idempotency on', async () => {
    const store = countingStore();
    const save = makeIdempotent(
      async (event: OrderEvent) => {
        commitWith({ Put: { TableName: 'orders', Item: { pk: event.orderId } }, Delete: { TableName: 'orders', Key: { pk: 'x' } } });
        return 'saved';
      },
      { store, key: 'orderId', name: opName(), logger: silent },
    );
    process.env[ENV] = 'true';

    await expect(save({ orderId: 'o-7' })).rejects.toThrow(
      new IdempotencyContextError(
        'commitWith: item #0 must have exactly one of Put, Update, Delete or ConditionCheck, got keys [Put, Delete]',
      ),
    );
    expect(store.calls()).toBe(0);
  });

  it('refuses commitWith writes with IdempotencyConfigError when the store cannot commit them without a record', async () => {
    const store = countingStore();
    const save = makeIdempotent(
      async (event: OrderEvent) => {
        commitWith({ Put: { TableName: 'orders', Item: { pk: event.orderId } } });
        return 'saved';
      },
      { store, key: 'orderId', name: opName(), logger: silent },
    );
    process.env[ENV] = 'true';

    await expect(save({ orderId: 'o-6' })).rejects.toThrow(
      new IdempotencyConfigError(
        'commitWith staged 1 write(s) while EFFECTIVELY_ONCE_DISABLED=true, but this store has no commitWrites to commit them without an idempotency record (DynamoDBStore has); nothing was written. Unset EFFECTIVELY_ONCE_DISABLED, or use DynamoDBStore',
      ),
    );
    expect(store.calls()).toBe(0);
  });
});

describe('EFFECTIVELY_ONCE_DISABLED=true in the other adapters', () => {
  beforeEach(() => {
    process.env[ENV] = 'true';
  });

  it('idempotencyMiddleware runs the handler for every duplicate, with step, and stores nothing', async () => {
    const store = countingStore();
    let runs = 0;
    const handler = middy(async (event: OrderEvent) => step('charge', () => `charged ${event.orderId} (run ${(runs += 1)})`)).use(
      idempotencyMiddleware<OrderEvent>({ store, key: 'orderId', name: opName(), logger: silent }),
    );

    await expect(handler({ orderId: 'o-7' }, lambdaContext())).resolves.toBe('charged o-7 (run 1)');
    await expect(handler({ orderId: 'o-7' }, lambdaContext())).resolves.toBe('charged o-7 (run 2)');
    expect(store.calls()).toBe(0);
  });

  it('processSqsBatch runs every record, a redelivery again, and stores nothing', async () => {
    const store = countingStore();
    const handled: string[] = [];
    const event = sqsEvent([jsonRecord({ orderId: 'a' }), jsonRecord({ orderId: 'b' })]);
    const options = { store, key: 'body.orderId', name: opName(), logger: silent };
    const consume = async (_record: unknown, { body }: { body: unknown }): Promise<void> => {
      handled.push((body as OrderEvent).orderId);
    };

    await expect(processSqsBatch(event, consume, options)).resolves.toEqual({ batchItemFailures: [] });
    await expect(processSqsBatch(event, consume, options)).resolves.toEqual({ batchItemFailures: [] });
    expect(handled.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(store.calls()).toBe(0);
  });

  it('processStreamBatch runs every record, a redelivery again, and stores nothing', async () => {
    const store = countingStore();
    const handled: unknown[] = [];
    const event = kinesisEvent(kinesisRecords([{ orderId: 'a' }, { orderId: 'b' }]));
    const options = { store, name: opName(), logger: silent };
    const consume = async (data: unknown): Promise<void> => {
      handled.push(data);
    };

    await processStreamBatch(event, consume, options);
    await processStreamBatch(event, consume, options);
    expect(handled).toHaveLength(4);
    expect(store.calls()).toBe(0);
  });

  it('makeIdempotentHttpHandler answers every retry afresh, never marked as a replay, and stores nothing', async () => {
    const store = countingStore();
    let calls = 0;
    const handler = makeIdempotentHttpHandler(async () => ({ statusCode: 201, body: JSON.stringify({ order: (calls += 1) }) }), {
      store,
      name: opName(),
      logger: silent,
    });
    const event = () => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': '0b8f6a0e-7c1e-4d8a-9a57-2f4f0f3c1d11' } });

    const first = await handler(event(), lambdaContext());
    const retry = await handler(event(), lambdaContext());

    expect(first).toMatchObject({ statusCode: 201, body: '{"order":1}' });
    expect(retry).toMatchObject({ statusCode: 201, body: '{"order":2}' });
    expect(JSON.stringify(retry)).not.toContain('Idempotent-Replayed');
    expect(store.calls()).toBe(0);
  });
});
