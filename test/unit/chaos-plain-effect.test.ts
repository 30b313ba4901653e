/**
 * The chaos suite's plain-effect accounting: the fake notifier, the invocation log that tells how each
 * delivery that sent a notification ended, the invariant built on it, and the per-command fault tally.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { CompleteInput, IdempotencyStore } from '../../lib/store';
import { createLambdaContext, withFaults } from '../../lib/testing';
import { FakeNotifier, NotifierRefusedError } from '../../scripts/chaos/fake-notifier';
import { sumFaults, tallyFaults } from '../../scripts/chaos/fault-tally';
import { InvocationLog } from '../../scripts/chaos/invocations';
import { checkPlainEffect, PLAIN_EFFECT_INVARIANT } from '../../scripts/chaos/plain-effect';

const T0 = 1_700_000_000_000;
const TIMEOUT_MS = 1_000;

function context(): Context {
  return createLambdaContext({ timeoutMs: TIMEOUT_MS });
}

/** A completion as the engine hands it to the store, with the chaos consumer's ledger entry staged. */
function completion(eventId: string): CompleteInput {
  return {
    key: `key-${eventId}`,
    token: 'token',
    result: '{}',
    outcome: 'value',
    expiresAt: 0,
    writes: [{ Put: { TableName: 'ledger', Item: { id: 'entry#1', eventId } } }, { Update: { TableName: 'ledger' } }],
    now: T0,
  };
}

/** A store whose completions settle when the test says so; its other members only need to exist. */
class ControlledStore {
  readonly #name = 'controlled';
  public readonly pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  public complete(): Promise<void> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  public name(): string {
    return this.#name; // only callable with `this` bound to the store itself
  }
}

function observed(log: InvocationLog): { store: IdempotencyStore; controlled: ControlledStore } {
  const controlled = new ControlledStore();
  return { store: log.observe(controlled as unknown as IdempotencyStore), controlled };
}

/** Lets pending promise callbacks run (the clock is fake; setImmediate is real). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InvocationLog', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('calls a delivery completed when its record completed within the function timeout', async () => {
    const log = new InvocationLog();
    const { store, controlled } = observed(log);
    await log.run(context(), async () => {
      log.notified('evt-1');
      const done = store.complete(completion('evt-1'));
      await turn();
      controlled.pending[0]?.resolve();
      await done;
    });
    expect(log.plainEffectDeliveries()).toEqual([{ eventId: 'evt-1', invocation: 0, fate: { kind: 'completed' } }]);
  });

  it('calls it crashed when an injected crash landed after the effect, whatever the clock says', async () => {
    const log = new InvocationLog();
    await log
      .run(context(), async () => {
        log.notified('evt-1');
        log.crashedAfterEffect('evt-1');
        jest.setSystemTime(T0 + TIMEOUT_MS + 500);
        throw new Error('crash');
      })
      .catch(() => undefined);
    expect(log.plainEffectDeliveries()[0]?.fate).toEqual({ kind: 'crashed' });
  });

  it('calls it timed out, during its completion, when the completion returned past the function timeout', async () => {
    const log = new InvocationLog();
    const { store, controlled } = observed(log);
    await log.run(context(), async () => {
      log.notified('evt-1');
      const done = store.complete(completion('evt-1'));
      await turn();
      jest.setSystemTime(T0 + TIMEOUT_MS + 1);
      controlled.pending[0]?.resolve();
      await done;
    });
    expect(log.plainEffectDeliveries()[0]?.fate).toEqual({ kind: 'timed-out', duringCompletion: true });
  });

  it('calls it not stored when the invocation returned in time with the completion failed, and records the failure', async () => {
    const log = new InvocationLog();
    const { store, controlled } = observed(log);
    await log.run(context(), async () => {
      log.notified('evt-1');
      const done = store.complete(completion('evt-1'));
      await turn();
      controlled.pending[0]?.reject(Object.assign(new Error('throttled'), { name: 'IdempotencyStoreError' }));
      await expect(done).rejects.toThrow('throttled');
    });
    expect(log.plainEffectDeliveries()[0]?.fate).toEqual({ kind: 'not-stored', completionErrors: ['IdempotencyStoreError'] });
    expect(log.traces()[0]?.completionFailures).toEqual([{ eventId: 'evt-1', at: T0, error: 'IdempotencyStoreError' }]);
  });

  it('says an invocation past its function timeout is stopped, and nothing outside an invocation', async () => {
    const log = new InvocationLog();
    expect(log.stoppedReason()).toBeUndefined();
    const reasons: Array<string | undefined> = [];
    await log.run(context(), async () => {
      reasons.push(log.stoppedReason());
      jest.setSystemTime(T0 + TIMEOUT_MS + 250);
      reasons.push(log.stoppedReason());
    });
    expect(reasons[0]).toBeUndefined();
    expect(reasons[1]).toBe('invocation 0 is 250 ms past its function timeout (Lambda has stopped it)');
  });

  it('leaves every other member of the observed store its own, bound to it', () => {
    const log = new InvocationLog();
    const { store } = observed(log);
    const { name } = store as unknown as ControlledStore;
    expect(name()).toBe('controlled');
  });
});

describe('FakeNotifier', () => {
  const input = { eventId: 'evt-1', account: 'a', amountCents: 100, chargeId: 'ch_1' };

  it('counts every notification per business event (no idempotency key: a repeat is sent again)', async () => {
    const sent: string[] = [];
    const notifier = new FakeNotifier({ onSent: (eventId) => sent.push(eventId) });
    await notifier.notify(input);
    await notifier.notify(input);
    await notifier.notify({ ...input, eventId: 'evt-2' });
    expect(Object.fromEntries(notifier.sent)).toEqual({ 'evt-1': 2, 'evt-2': 1 });
    expect(notifier.total).toBe(3);
    expect(sent).toEqual(['evt-1', 'evt-1', 'evt-2']);
  });

  it('refuses, without sending, a call its refuse option gives a reason for', async () => {
    const notifier = new FakeNotifier({ refuse: () => 'stopped' });
    await expect(notifier.notify(input)).rejects.toThrow(new NotifierRefusedError('evt-1', 'stopped'));
    expect(notifier.refused).toBe(1);
    expect(notifier.total).toBe(0);
  });
});

describe('checkPlainEffect', () => {
  it('accepts repeats up to the crashes between the effect and the completion, and counts the rest', () => {
    const sent = new Map([
      ['once', 1],
      ['crashed-once', 2],
      ['repeated', 3],
    ]);
    const crashed = new Map([
      ['crashed-once', 1],
      ['repeated', 1],
    ]);
    const { result, counts } = checkPlainEffect(sent, crashed, (eventId) => `about ${eventId}`);
    expect(result).toEqual({
      name: PLAIN_EFFECT_INVARIANT,
      violations: 1,
      examples: ['repeated: sent 3 times, 1 crash(es) between it and the completion (about repeated)'],
    });
    expect(counts).toEqual({ sent: 6, repeats: 3, eventsRepeated: 2, crashedAfterEffect: 2, unexplainedRepeats: 1 });
  });
});

describe('tallyFaults', () => {
  it("counts each attempt of a command and the faults withFaults injected into it, under the SDK's default retries", async () => {
    // Nothing listens on port 9: an attempt that gets through fails to connect (a real error, not counted).
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const faults = withFaults(client, { seed: 1, throttleRate: 1, lostResponseRate: 1, maxFaults: 2 });
    const tally = tallyFaults(client);
    try {
      await expect(client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }))).rejects.toThrow();
      const counts = tally.counts();
      // The SDK's default attempts; the first two throttled (throttles are drawn first), the others refused.
      const attempts = await client.config.maxAttempts();
      expect(attempts).toBeGreaterThan(2);
      expect(counts).toEqual({ GetItemCommand: { attempts, throttled: 2, lostResponses: 0 } });
      expect(sumFaults(counts, ['PutItemCommand'])).toEqual({ attempts: 0, throttled: 0, lostResponses: 0 });
    } finally {
      tally.remove();
      faults.remove();
      client.destroy();
    }
  });

  it('counts lost responses apart from throttles', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const faults = withFaults(client, { seed: 1, lostResponseRate: 1, maxFaults: 1 });
    const tally = tallyFaults(client);
    try {
      await expect(client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }))).rejects.toThrow();
      expect(sumFaults(tally.counts())).toEqual({ attempts: await client.config.maxAttempts(), throttled: 0, lostResponses: 1 });
    } finally {
      tally.remove();
      faults.remove();
      client.destroy();
    }
  });
});
