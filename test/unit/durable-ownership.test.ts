/**
 * How long a Lambda durable execution owns its record, with an injected clock: the engine recognises the
 * `DurableContext` that `withDurableExecution` passes as the second argument (its
 * `executionContext.durableExecutionArn` and `lambdaContext`), and the execution's timeout, not the lease,
 * bounds the ownership. The real SDK runs in test/integration/durable-functions.test.ts.
 */
import { IdempotencyConfigError, IdempotencyInProgressError, InMemoryStore, makeIdempotent } from '../../lib';
import { describe as describeValue } from '../../lib/describe';
import { invocationInfo } from '../../lib/engine';
import { createLambdaContext } from '../../lib/testing';
import { manualClock, type ManualClock } from '../helpers/clock';

interface OrderEvent {
  readonly orderId: string;
}

const ARN_A = 'arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-a/3f0e9c2a';
const ARN_B = 'arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-b/77b1d4e0';

/** The part of the SDK's DurableContext the library reads, as `withDurableExecution` passes it to a handler. */
function durableContext(durableExecutionArn: string, clock: ManualClock, timeoutMs = 900_000) {
  return { executionContext: { durableExecutionArn }, lambdaContext: createLambdaContext({ timeoutMs, now: clock }) };
}

let sequence = 0;
const opName = (): string => `durable-unit${(sequence += 1)}`;

describe('invocationInfo of a DurableContext', () => {
  it('takes the execution ARN and the remaining time of its Lambda context', () => {
    const clock = manualClock();
    expect(invocationInfo(durableContext(ARN_A, clock, 120_000))).toEqual({ durableExecutionArn: ARN_A, remainingMs: 120_000 });
  });

  it('takes the ARN when the context has no Lambda context', () => {
    expect(invocationInfo({ executionContext: { durableExecutionArn: ARN_A } })).toEqual({ durableExecutionArn: ARN_A });
  });

  it('ignores an empty ARN', () => {
    expect(invocationInfo({ executionContext: { durableExecutionArn: '' } })).toEqual({});
  });
});

describe('a durable execution owns its record', () => {
  /** The work of a suspended invocation: `withDurableExecution` ends the invocation and never settles it. */
  const suspended = (): Promise<never> => new Promise<never>(() => undefined);

  function setup(options: { durableExecutionTimeoutSeconds?: number; leaseSeconds?: number } = {}) {
    const clock = manualClock(1_800_000_000_000);
    let runs = 0;
    let suspend = true;
    let started = (): void => undefined;
    const charge = makeIdempotent(
      async (event: OrderEvent, _context: unknown): Promise<string> => {
        runs += 1;
        started();
        return suspend ? suspended() : `charged ${event.orderId} (run ${runs})`;
      },
      { store: new InMemoryStore(), key: 'orderId', name: opName(), clock, ...options },
    );
    return {
      clock,
      charge,
      runs: () => runs,
      /** Starts an invocation that suspends, and resolves once its work runs (its record claimed). */
      suspendedInvocation: (event: OrderEvent, context: unknown): Promise<void> => {
        const running = new Promise<void>((resolve) => (started = resolve));
        void charge(event, context);
        return running;
      },
      /** The next invocations finish their work instead of suspending. */
      finishFromNowOn: () => {
        suspend = false;
      },
    };
  }

  it('lets the next invocation of the same execution go on while the first is suspended', async () => {
    const { clock, charge, suspendedInvocation, finishFromNowOn } = setup({ leaseSeconds: 30 });
    await suspendedInvocation({ orderId: 'o-1' }, durableContext(ARN_A, clock));
    clock.advance(5_000);
    finishFromNowOn();

    await expect(charge({ orderId: 'o-1' }, durableContext(ARN_A, clock))).resolves.toBe('charged o-1 (run 2)');
  });

  it('refuses another execution while the first is suspended, long after leaseSeconds', async () => {
    const { clock, charge, suspendedInvocation, finishFromNowOn, runs } = setup({ durableExecutionTimeoutSeconds: 3600, leaseSeconds: 5 });
    await suspendedInvocation({ orderId: 'o-2' }, durableContext(ARN_A, clock));
    clock.advance(600_000);
    finishFromNowOn();

    const refused = charge({ orderId: 'o-2' }, durableContext(ARN_B, clock));
    await expect(refused).rejects.toThrow(IdempotencyInProgressError);
    await expect(refused).rejects.toMatchObject({ retryAfterMs: 3_000_000 + 1_000 });
    expect(runs()).toBe(1);
  });

  it('lets another execution take the record over once the durable execution timeout has passed', async () => {
    const { clock, charge, suspendedInvocation, finishFromNowOn } = setup({ durableExecutionTimeoutSeconds: 3600 });
    await suspendedInvocation({ orderId: 'o-3' }, durableContext(ARN_A, clock));
    clock.advance(3600_000 + 1_000 + 1); // the timeout and clockSkewMs
    finishFromNowOn();

    await expect(charge({ orderId: 'o-3' }, durableContext(ARN_B, clock))).resolves.toBe('charged o-3 (run 2)');
  });

  it("counts the timeout from the execution's first invocation: a resume does not prolong the ownership", async () => {
    const { clock, charge, suspendedInvocation, finishFromNowOn } = setup({ durableExecutionTimeoutSeconds: 3600 });
    await suspendedInvocation({ orderId: 'o-4' }, durableContext(ARN_A, clock));
    clock.advance(3000_000);
    await suspendedInvocation({ orderId: 'o-4' }, durableContext(ARN_A, clock)); // resumed, suspended again
    clock.advance(600_000 + 1_000 + 1);
    finishFromNowOn();

    await expect(charge({ orderId: 'o-4' }, durableContext(ARN_B, clock))).resolves.toBe('charged o-4 (run 3)');
  });

  it('replays the result to a late invocation of the execution once it completed', async () => {
    const { clock, charge, finishFromNowOn } = setup();
    finishFromNowOn();
    await charge({ orderId: 'o-5' }, durableContext(ARN_A, clock));

    await expect(charge({ orderId: 'o-5' }, durableContext(ARN_A, clock))).resolves.toBe('charged o-5 (run 1)');
    await expect(charge({ orderId: 'o-5' }, durableContext(ARN_B, clock))).resolves.toBe('charged o-5 (run 1)');
  });

  it('keeps leases for calls outside a durable execution', async () => {
    const { clock, charge, suspendedInvocation, finishFromNowOn } = setup({ durableExecutionTimeoutSeconds: 3600, leaseSeconds: 5 });
    await suspendedInvocation({ orderId: 'o-6' }, createLambdaContext({ now: clock }));
    clock.advance(5_000 + 1_000 + 1);
    finishFromNowOn();

    await expect(charge({ orderId: 'o-6' }, createLambdaContext({ now: clock }))).resolves.toBe('charged o-6 (run 2)');
  });
});

describe('durableExecutionTimeoutSeconds', () => {
  const store = new InMemoryStore();
  it.each([0, -1, Number.NaN, '3600'])('refuses %p', (value) => {
    expect(() => makeIdempotent(async () => 1, { store, name: opName(), durableExecutionTimeoutSeconds: value as number })).toThrow(
      new IdempotencyConfigError(`Expected \`durableExecutionTimeoutSeconds\` to be a positive number, got ${describeValue(value)}`),
    );
  });

  it('refuses more than 366 days, the longest ExecutionTimeout of a durable function', () => {
    expect(() => makeIdempotent(async () => 1, { store, name: opName(), durableExecutionTimeoutSeconds: 31_622_401 })).toThrow(
      'Expected `durableExecutionTimeoutSeconds` to be at most 31622400 (366 days), got 31622401',
    );
  });
});
