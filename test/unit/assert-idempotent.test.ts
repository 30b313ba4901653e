import fc from 'fast-check';
import { InMemoryStore, downstreamKey, makeIdempotent, step } from '../../lib';
import {
  IdempotencyAssertionError,
  SimulatedCrashError,
  TestKitConfigError,
  assertIdempotent,
  crashPoint,
  type IdempotencyTrial,
} from '../../lib/testing';

/** Logs nothing: the handlers below fail on purpose. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Order {
  readonly orderId: string;
  readonly amount: number;
}

const orders = fc.record({ orderId: fc.string({ minLength: 1, maxLength: 8 }), amount: fc.integer({ min: 1, max: 10_000 }) });

/** A fake payment API that, like real ones, applies a request once per idempotency key. */
class FakePayments {
  readonly charges = new Map<string, { orderId: string; amount: number }>();
  requests = 0;

  public async charge(order: Order, idempotencyKey: string): Promise<{ chargeId: string }> {
    this.requests += 1;
    await Promise.resolve();
    if (!this.charges.has(idempotencyKey)) this.charges.set(idempotencyKey, { orderId: order.orderId, amount: order.amount });
    await crashPoint('payments: charged, response on its way');
    return { chargeId: `ch_${order.orderId}` };
  }

  /** What a snapshot compares: the charges per order, independent of keys. */
  public chargedAmounts(): Array<[string, number]> {
    return [...this.charges.values()].map((c): [string, number] => [c.orderId, c.amount]).sort();
  }

  public clear(): void {
    this.charges.clear();
    this.requests = 0;
  }
}

/** A clock the tests advance past leases (what `recover` does). */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let now = Date.now();
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** An idempotent order handler, rebuilt with a fresh store on each reset. */
function idempotentOrders(): {
  handle: (order: Order) => Promise<{ chargeId: string; amount: number }>;
  payments: FakePayments;
  reset: () => void;
  recover: () => void;
} {
  const payments = new FakePayments();
  const clock = manualClock();
  let store = new InMemoryStore();
  let handler = build();
  function build(): (order: Order) => Promise<{ chargeId: string; amount: number }> {
    return makeIdempotent(
      async (order: Order) => {
        await crashPoint('handler: claimed');
        const { chargeId } = await step('charge', () => payments.charge(order, downstreamKey('charge')));
        await crashPoint('handler: charged');
        return { chargeId, amount: order.amount };
      },
      { store, name: 'orders', key: 'orderId', leaseSeconds: 30, clock: clock.now, logger: quiet },
    );
  }
  return {
    handle: (order) => handler(order),
    payments,
    reset: () => {
      store = new InMemoryStore();
      handler = build();
      payments.clear();
    },
    recover: () => clock.advance(31_000),
  };
}

/**
 * A store whose completion is a crash point: a crash there leaves the record in progress (the completion
 * never reached the store), as a crash before a DynamoDB completion request does.
 */
class CompletionCrashStore extends InMemoryStore {
  public override async complete(input: Parameters<InMemoryStore['complete']>[0]): Promise<void> {
    await crashPoint('store: before the completion');
    return super.complete(input);
  }
}

/** A handler on a {@link CompletionCrashStore}; each scenario's calls share a key in its own namespace. */
function completionCrashes(): (order: Order, trial: IdempotencyTrial) => Promise<unknown> {
  const handler = makeIdempotent(async (order: Order) => ({ charged: order.amount }), {
    store: new CompletionCrashStore(),
    name: 'completion-crash',
    key: 'orderId',
    leaseSeconds: 30,
    logger: quiet,
  });
  return (order, { namespace }) => handler({ ...order, orderId: `${namespace}/${order.orderId}` });
}

async function failure(run: Promise<unknown>): Promise<IdempotencyAssertionError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdempotencyAssertionError);
  return error as IdempotencyAssertionError;
}

describe('assertIdempotent: an idempotent handler', () => {
  it('passes, and reports the seed, the number of runs and the crash points it met', async () => {
    const orders$ = idempotentOrders();

    const report = await assertIdempotent((order: Order) => orders$.handle(order), {
      inputs: orders,
      snapshot: () => orders$.payments.chargedAmounts(),
      reset: orders$.reset,
      recover: orders$.recover,
      numRuns: 30,
      seed: 7,
    });

    expect(report).toEqual({
      seed: 7,
      numRuns: 30,
      crashPoints: ['handler: claimed', 'payments: charged, response on its way', 'handler: charged'],
    });
  });

  it('passes with the trial namespace isolating the scenarios instead of a reset', async () => {
    const payments = new FakePayments();
    const handler = makeIdempotent(async (order: Order) => step('charge', () => payments.charge(order, downstreamKey('charge'))), {
      store: new InMemoryStore(),
      name: 'orders-by-namespace',
      key: 'orderId',
      logger: quiet,
    });

    await expect(
      assertIdempotent(
        async (order: Order, trial) => {
          const { chargeId } = await handler({ ...order, orderId: `${trial.namespace}/${order.orderId}` });
          return chargeId.replace(`${trial.namespace}/`, '');
        },
        {
          inputs: orders,
          snapshot: (order, { namespace }) =>
            [...payments.charges.values()].filter((c) => c.orderId === `${namespace}/${order.orderId}`).map((c) => c.amount),
          numRuns: 20,
        },
      ),
    ).resolves.toMatchObject({ numRuns: 20 });
  });

  it('runs 50 inputs by default', async () => {
    const report = await assertIdempotent((n: number) => n * 2, { inputs: fc.integer(), snapshot: () => null });

    expect(report.numRuns).toBe(50);
  });
});

describe('assertIdempotent: the scenarios', () => {
  it('calls reset before each of the four scenarios of every input', async () => {
    let resets = 0;

    await assertIdempotent((n: number) => n, { inputs: fc.integer(), snapshot: () => null, reset: () => void (resets += 1), numRuns: 5 });

    expect(resets).toBe(4 * 5);
  });

  it('gives each scenario its own namespace and tells the function which call and attempt it runs', async () => {
    const trials: IdempotencyTrial[] = [];

    await assertIdempotent(
      (_n: number, trial) => {
        trials.push(trial);
        return 1;
      },
      { inputs: fc.constant(0), snapshot: () => null, numRuns: 1, maxConcurrency: 2 },
    );

    expect(trials.map((t) => [t.scenario, t.call, t.attempt])).toEqual([
      ['once', 0, 1],
      ['twice', 0, 1],
      ['twice', 1, 1],
      ['concurrent', 0, 1],
      ['concurrent', 1, 1],
      ['crash-and-retry', 0, 1],
      ['crash-and-retry', 0, 2],
    ]);
    const namespaces = new Map(trials.map((t) => [t.scenario, t.namespace]));
    expect(new Set(namespaces.values()).size).toBe(4);
    for (const namespace of namespaces.values()) expect(namespace).toMatch(/^[a-z0-9-]+$/);
  });

  it('delivers up to maxConcurrency calls at once, 3 by default', async () => {
    let running = 0;
    let most = 0;

    await assertIdempotent(
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
      { inputs: fc.constant(0), snapshot: () => null, numRuns: 40 },
    );

    expect(most).toBe(3);
  });

  it('delivers a call that met another call in progress again, up to maxRedeliveries times (3 by default)', async () => {
    const attempts: number[] = [];
    const inProgress = Object.assign(new Error('held by another invocation'), { name: 'IdempotencyInProgressError' });

    await failure(
      assertIdempotent(
        async (_n: number, trial) => {
          if (trial.scenario !== 'concurrent' || trial.call === 0) return 'done';
          attempts.push(trial.attempt);
          throw inProgress;
        },
        { inputs: fc.constant(0), snapshot: () => null, numRuns: 1, maxConcurrency: 2 },
      ),
    );

    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(Math.max(...attempts)).toBe(4);
  });

  it('delivers again only the errors redeliverWhen accepts', async () => {
    const attempts: number[] = [];

    await assertIdempotent(
      async (_n: number, trial) => {
        if (trial.scenario !== 'concurrent' || trial.call === 0) return 'done';
        attempts.push(trial.attempt);
        if (trial.attempt === 1) throw new Error('record reported failed');
        return 'done';
      },
      {
        inputs: fc.constant(0),
        snapshot: () => null,
        numRuns: 1,
        maxConcurrency: 2,
        redeliverWhen: (error) => (error as Error).message === 'record reported failed',
      },
    );

    expect(attempts).toEqual([1, 2]);
  });

  it('does not deliver again a call that failed with any other error than IdempotencyInProgressError by default', async () => {
    const attempts: number[] = [];

    const error = await failure(
      assertIdempotent(
        async (_n: number, trial) => {
          if (trial.scenario !== 'concurrent' || trial.call === 0) return 'done';
          attempts.push(trial.attempt);
          throw new Error('record reported failed');
        },
        { inputs: fc.constant(0), snapshot: () => null, numRuns: 1, maxConcurrency: 2 },
      ),
    );

    expect(error.message).toContain(
      "concurrent (2 calls at once): call 1 threw Error: record reported failed, but one call returned 'done'",
    );
    expect(attempts.every((attempt) => attempt === 1)).toBe(true);
  });

  it('crashes only by throwing when no recover is given', async () => {
    const kinds = new Set<string>();

    await assertIdempotent(
      async () => {
        try {
          await crashPoint('a');
          await crashPoint('b');
        } catch (error) {
          kinds.add((error as SimulatedCrashError).kind);
        }
      },
      { inputs: fc.constant(0), snapshot: () => null, numRuns: 40 },
    );

    expect([...kinds]).toEqual(['throw']);
  });

  it('also kills calls when recover is given: every crash point after the crash throws, and recover runs before the retry', async () => {
    const events: string[] = [];

    await assertIdempotent(
      async (_n: number, trial) => {
        for (const label of ['a', 'b']) {
          try {
            await crashPoint(label);
          } catch (error) {
            if (error instanceof SimulatedCrashError) events.push(`${trial.attempt}:${label}:${error.kind}`);
          }
        }
      },
      { inputs: fc.constant(0), snapshot: () => null, recover: () => void events.push('recover'), numRuns: 60, seed: 3 },
    );

    // A call killed at "a" fails at "b" too, then recovers before the retry.
    expect(events.join(' ')).toContain('1:a:die 1:b:die recover');
    expect(events).toContain('1:b:throw');
  });
});

describe('assertIdempotent: what it catches', () => {
  it('a handler that repeats its effect on a second call, in the twice scenario', async () => {
    let charges = 0;

    const error = await failure(
      assertIdempotent(
        async () => {
          charges += 1;
          return 'ok';
        },
        { inputs: orders, snapshot: () => charges, reset: () => void (charges = 0), numRuns: 10, seed: 1 },
      ),
    );

    expect(error.scenario).toBe('twice');
    expect(error.message).toContain('assertIdempotent: twice (two sequential calls) ended in a different state than one call:');
    expect(error.message).toContain('after one call: 1');
    expect(error.message).toContain('after twice: 2');
  });

  it('a handler that returns something else to a duplicate', async () => {
    let calls = 0;

    const error = await failure(
      assertIdempotent(async () => (calls += 1), {
        inputs: fc.constant('x'),
        snapshot: () => null,
        reset: () => void (calls = 0),
        numRuns: 1,
      }),
    );

    expect(error.message).toContain('twice (two sequential calls): call 1 returned 2, but one call returned 1');
  });

  it('a check-then-act handler that double-charges under concurrent duplicates only', async () => {
    const done = new Set<string>();
    let charges = 0;

    const error = await failure(
      assertIdempotent(
        async (order: Order) => {
          if (done.has(order.orderId)) return 'ok';
          await new Promise((resolve) => setImmediate(resolve));
          charges += 1;
          done.add(order.orderId);
          return 'ok';
        },
        {
          inputs: orders,
          snapshot: () => charges,
          reset: () => {
            done.clear();
            charges = 0;
          },
          numRuns: 10,
        },
      ),
    );

    expect(error.scenario).toBe('concurrent');
    expect(error.message).toMatch(/concurrent \([23] calls at once\) ended in a different state than one call/);
  });

  it('a handler whose charge is not a step keyed by downstreamKey: a crash after the charge charges again', async () => {
    const payments = new FakePayments();
    const handler = makeIdempotent(
      async (order: Order) => {
        // The bug: the charge is not a step and its key changes on every attempt.
        await payments.charge(order, `${Math.random()}`);
        return 'charged';
      },
      { store: new InMemoryStore(), name: 'charge-then-crash', key: 'orderId', logger: quiet },
    );

    const error = await failure(
      assertIdempotent((order: Order, { namespace }) => handler({ ...order, orderId: `${namespace}/${order.orderId}` }), {
        inputs: orders,
        snapshot: (order, { namespace }) =>
          [...payments.charges.values()].filter((c) => c.orderId === `${namespace}/${order.orderId}`).length,
        numRuns: 10,
        seed: 11,
      }),
    );

    expect(error.scenario).toBe('crash-and-retry');
    expect(error.message).toContain(
      'crash-and-retry (thrown at crash point 1 of 1, "payments: charged, response on its way", then retried) ended in a different state than one call',
    );
  });

  it('prints the shrunk counterexample and the seed that reproduces it', async () => {
    let charges = 0;
    const runOnce = (seed: number): Promise<IdempotencyAssertionError> =>
      failure(
        assertIdempotent(
          async (n: number) => {
            if (n >= 100) charges += 1; // idempotent for small inputs only
            return 'ok';
          },
          { inputs: fc.integer({ min: 0, max: 1_000_000 }), snapshot: () => charges, reset: () => void (charges = 0), seed },
        ),
      );

    const error = await runOnce(42);

    expect(error.counterexample).toBe(100);
    expect(error.seed).toBe(42);
    expect(error.message).toMatch(/Counterexample \(shrunk \d+ times\): input 100; [23] concurrent calls; crash by throwing\n/);
    expect(error.message).toContain('Seed: 42 (path "');
    expect(error.message).toContain('pass { seed: 42 } to reproduce');
    const again = await runOnce(42);
    expect(again.message).toBe(error.message);
  });

  it('prints as IdempotencyAssertionError, its documented name', async () => {
    const error = await failure(assertIdempotent(() => Math.random(), { inputs: fc.constant(0), snapshot: () => 0, numRuns: 1 }));
    expect(error.name).toBe('IdempotencyAssertionError');
    expect(String(error)).toMatch(/^IdempotencyAssertionError: assertIdempotent: /);
  });

  it('a lease a crash left held: tells to pass `recover` and a `clock`', async () => {
    const error = await failure(
      assertIdempotent(completionCrashes(), {
        inputs: orders,
        snapshot: () => 0,
        numRuns: 10,
        seed: 7,
      }),
    );

    expect(error.scenario).toBe('crash-and-retry');
    expect(error.message).toContain('threw IdempotencyInProgressError');
    expect(error.message).toContain('A lease was still held after every redelivery');
    expect(error.message).toContain('Pass `recover` and a `clock`');
    expect(error.message).toContain('the `clock` option of makeIdempotent');
  });

  it('a lease still held although `recover` was given: tells `recover` to advance the injected `clock` past the lease', async () => {
    const error = await failure(
      assertIdempotent(completionCrashes(), {
        inputs: orders,
        snapshot: () => 0,
        recover: () => {}, // makes no lease expire
        numRuns: 10,
        seed: 7,
      }),
    );

    expect(error.message).toContain('threw IdempotencyInProgressError');
    expect(error.message).toContain('`recover` must make leases expire. Advance the `clock` you inject into the handler');
  });

  it('names an error thrown by snapshot or reset', async () => {
    const error = await failure(
      assertIdempotent(() => 1, {
        inputs: fc.constant(0),
        snapshot: () => {
          throw new RangeError('table not found');
        },
        numRuns: 1,
      }),
    );

    expect(error.scenario).toBeUndefined();
    expect(error.message).toContain('assertIdempotent: the check threw RangeError: table not found');
  });
});

describe('crashPoint', () => {
  it('resolves at once outside assertIdempotent', async () => {
    await expect(crashPoint('anywhere')).resolves.toBeUndefined();
  });
});

describe('assertIdempotent: options', () => {
  const valid = { inputs: fc.integer(), snapshot: () => null };

  it.each([
    [
      'a first argument that is not a function',
      () => assertIdempotent('handler' as never, valid),
      'Expected the first argument of assertIdempotent to be a function, got "handler"',
    ],
    [
      'an unknown option',
      () => assertIdempotent(() => 1, { ...valid, runs: 3 } as never),
      'Unknown option `runs` of assertIdempotent (known options: inputs, snapshot, numRuns, seed, reset, clients, recover, maxConcurrency, maxRedeliveries, redeliverWhen)',
    ],
    [
      'inputs that are not an arbitrary',
      () => assertIdempotent(() => 1, { ...valid, inputs: [1, 2] as never }),
      'Expected `inputs` to be a fast-check arbitrary (e.g. fc.record({...})), got an array ([1,2])',
    ],
    [
      'a snapshot that is not a function',
      () => assertIdempotent(() => 1, { ...valid, snapshot: 'state' as never }),
      'Expected `snapshot` to be a function returning the observable state, got "state"',
    ],
    ['numRuns below 1', () => assertIdempotent(() => 1, { ...valid, numRuns: 0 }), 'Expected `numRuns` to be a whole number >= 1, got 0'],
    [
      'maxConcurrency below 2',
      () => assertIdempotent(() => 1, { ...valid, maxConcurrency: 1 }),
      'Expected `maxConcurrency` to be a whole number >= 2, got 1',
    ],
    [
      'a seed that is not an integer',
      () => assertIdempotent(() => 1, { ...valid, seed: 1.5 }),
      'Expected `seed` to be an integer, got 1.5',
    ],
    [
      'a recover that is not a function',
      () => assertIdempotent(() => 1, { ...valid, recover: true as never }),
      'Expected `recover` to be a function, got true',
    ],
    [
      'clients that are not SDK clients',
      () => assertIdempotent(() => 1, { ...valid, clients: [{}] as never }),
      'Expected `clients` to be a list of AWS SDK v3 clients, got an array ([{}])',
    ],
  ])('refuses %s, naming it and the value', async (_what, call, message) => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(TestKitConfigError);
    expect((error as Error).message).toBe(message);
  });
});
