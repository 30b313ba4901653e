/**
 * A custom store that answers wrongly, or not at all, gives a typed error naming its method: never a raw
 * TypeError from inside the engine, and never a call pending forever.
 */
import { IdempotencyStoreError, InMemoryStore, makeIdempotent, type IdempotencyStore } from '../../lib';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** An InMemoryStore whose methods in `overrides` are replaced. */
function storeWith(overrides: Partial<Record<keyof IdempotencyStore, (...args: never[]) => unknown>>): IdempotencyStore {
  const inner = new InMemoryStore();
  return {
    claim: (input) => inner.claim(input),
    takeOver: (input) => inner.takeOver(input),
    checkpoint: (input) => inner.checkpoint(input),
    extendLease: (input) => inner.extendLease(input),
    complete: (input) => inner.complete(input),
    putCompleted: (input) => inner.putCompleted(input),
    release: (input) => inner.release(input),
    get: (key, now) => inner.get(key, now),
    ...(overrides as Partial<IdempotencyStore>),
  };
}

async function firstCall(
  store: IdempotencyStore,
  options: { mode?: 'lease' | 'optimistic'; completionRetrySeconds?: number } = {},
): Promise<unknown> {
  let runs = 0;
  const handler = makeIdempotent(
    async (_event: { id: string }) => {
      runs += 1;
      return 'done';
    },
    { store, key: 'id', name: 'custom-store', logger: quiet, ...options },
  );
  const outcome = await handler({ id: 'o-1' }).catch((error: unknown) => error);
  return { outcome, runs };
}

describe('a custom store whose claim() answers something that is not a claim result', () => {
  it.each([
    ['undefined', undefined],
    ['{}', {}],
    ['{ claimed: false } without the record', { claimed: false }],
    ['a malformed record', { claimed: false, existing: { status: 'DONE', token: 1 } }],
  ])('%s: IdempotencyStoreError naming claim(), and the work does not run', async (_label, answer) => {
    const { outcome, runs } = (await firstCall(storeWith({ claim: async () => answer }))) as { outcome: unknown; runs: number };
    expect(runs).toBe(0);
    expect(outcome).toBeInstanceOf(IdempotencyStoreError);
    expect((outcome as Error).message).toMatch(
      /^The store's claim\(\) answered .* for idempotency record custom-store#[0-9a-f]{64}, which is not \{ claimed: true, steps \} or \{ claimed: false, existing: an IdempotencyRecord/,
    );
  });

  it('optimistic mode: putCompleted() answering undefined is named too', async () => {
    const { outcome } = (await firstCall(storeWith({ putCompleted: async () => undefined }), { mode: 'optimistic' })) as {
      outcome: unknown;
    };
    expect(outcome).toBeInstanceOf(IdempotencyStoreError);
    expect(((outcome as Error).cause as Error).message).toMatch(/^The store's putCompleted\(\) answered undefined/);
  });
});

describe('a custom store whose call never settles', () => {
  it('without a Lambda context, claim() is given up (completionRetrySeconds, at least 2 s) with a retryable IdempotencyStoreError', async () => {
    const started = performance.now();
    const { outcome, runs } = (await firstCall(storeWith({ claim: () => new Promise(() => {}) }), { completionRetrySeconds: 1 })) as {
      outcome: unknown;
      runs: number;
    };
    const elapsed = performance.now() - started;
    expect(runs).toBe(0);
    expect(outcome).toBeInstanceOf(IdempotencyStoreError);
    expect(outcome).toMatchObject({ retryable: true });
    expect((outcome as Error).message).toMatch(/The store's claim of idempotency record .* did not answer within 2000 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('with a Lambda context, by the invocation deadline', async () => {
    const handler = makeIdempotent(async (_event: { id: string }, _context: { getRemainingTimeInMillis(): number }) => 'done', {
      store: storeWith({ claim: () => new Promise(() => {}) }),
      key: 'id',
      name: 'custom-store-ctx',
      logger: quiet,
    });
    const started = performance.now();
    const outcome = await handler({ id: 'o-2' }, { getRemainingTimeInMillis: () => 4_000 }).catch((error: unknown) => error);
    const elapsed = performance.now() - started;
    expect(outcome).toBeInstanceOf(IdempotencyStoreError);
    // The bound is what was left of the deadline (4 s less the 1 s margin) when the claim started: 3000 ms,
    // or a millisecond or two less when the clock ticked between the invocation's start and the claim.
    const boundMs = Number(/did not answer within (\d+) ms/.exec((outcome as Error).message)?.[1]);
    expect(boundMs).toBeGreaterThanOrEqual(2_950);
    expect(boundMs).toBeLessThanOrEqual(3_000);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(8_000);
  });
});
