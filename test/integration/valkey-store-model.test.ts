/**
 * ValkeyStore against the reference implementation of the store contract (InMemoryStore): random sequences of
 * claims, take-overs, checkpoints, extensions, completions, optimistic puts, releases and reads on a few keys
 * and tokens, on a clock that moves forward across leases and expiries, give the same outcome on both, call by
 * call. The server expires records on its own (wall) clock; here time is the test's, so before each call both
 * stores drop the records expired by then: the reference by a read, the server by deleting them, as its
 * expiry at that time would have.
 */
import fc from 'fast-check';
import Valkey from 'iovalkey';
import { InMemoryStore } from '../../lib';
import type { IdempotencyStore } from '../../lib/store';
import { startLocalValkey, type LocalValkey } from '../../lib/testing';
import { ValkeyStore } from '../../lib/valkey';

// Far enough ahead of the real clock that the server's own expiry never fires during the test.
const T0 = 1_900_000_000_000;

let server: LocalValkey;
let client: Valkey;
let run = 0;

beforeAll(async () => {
  server = await startLocalValkey();
  client = new Valkey(server.url);
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

const keyArb = fc.constantFrom('a', 'b');
const tokenArb = fc.constantFrom('t1', 't2', 't3');
const ownerArb = fc.option(fc.constantFrom('arn:x', 'arn:y'), { nil: undefined });
/** Milliseconds from the current time, so that leases (ms) and expiries (s) end inside the sequence. */
const timeArb = fc.integer({ min: 0, max: 8_000 });

const opArb = fc.oneof(
  fc.record({ op: fc.constant('claim'), key: keyArb, token: tokenArb, lease: timeArb, ttl: timeArb, owner: ownerArb }),
  fc.record({
    op: fc.constant('takeOver'),
    key: keyArb,
    token: tokenArb,
    previous: tokenArb,

    lease: timeArb,
    ttl: timeArb,
    owner: ownerArb,
  }),
  fc.record({ op: fc.constant('checkpoint'), key: keyArb, token: tokenArb, step: fc.constantFrom('s1', 's2') }),
  fc.record({ op: fc.constant('extend'), key: keyArb, token: tokenArb, lease: timeArb, ttl: timeArb }),
  fc.record({ op: fc.constant('complete'), key: keyArb, token: tokenArb, ttl: timeArb }),
  fc.record({ op: fc.constant('put'), key: keyArb, token: tokenArb, ttl: timeArb }),
  fc.record({ op: fc.constant('release'), key: keyArb, token: tokenArb, keep: fc.boolean() }),
  fc.record({ op: fc.constant('get'), key: keyArb, now: timeArb }),
);
type Op = (typeof opArb extends fc.Arbitrary<infer T> ? T : never) & { readonly advance?: number };

async function apply(store: IdempotencyStore, op: Op, clock: number): Promise<unknown> {
  const seconds = (offset: number): number => Math.floor((clock + offset) / 1000);
  const outcome = async (): Promise<unknown> => {
    switch (op.op) {
      case 'claim':
        return store.claim({
          key: op.key,
          token: op.token,
          leaseUntil: clock + op.lease,
          expiresAt: seconds(op.ttl),
          now: clock,
          ...(op.owner === undefined ? {} : { owner: op.owner }),
        });
      case 'takeOver':
        return store.takeOver({
          key: op.key,
          token: op.token,
          previousToken: op.previous,
          leaseUntil: clock + op.lease,
          expiresAt: seconds(op.ttl),
          now: clock,
          ...(op.owner === undefined ? {} : { owner: op.owner }),
        });
      case 'checkpoint':
        return store.checkpoint({ key: op.key, token: op.token, step: op.step, checkpoint: { state: 'done', result: `"${op.token}"` } });
      case 'extend':
        return store.extendLease({ key: op.key, token: op.token, leaseUntil: clock + op.lease, expiresAt: seconds(op.ttl) });
      case 'complete':
        return store.complete({
          key: op.key,
          token: op.token,
          result: `"${op.token}"`,
          outcome: 'value',
          expiresAt: seconds(op.ttl),
          writes: [],
          now: clock,
        });
      case 'put':
        return store.putCompleted({
          key: op.key,
          token: op.token,
          result: `"${op.token}"`,
          outcome: 'value',
          expiresAt: seconds(op.ttl),
          writes: [],
          now: clock,
        });
      case 'release':
        return store.release({ key: op.key, token: op.token, keepCheckpoints: op.keep });
      case 'get':
        return store.get(op.key, clock);
    }
  };
  try {
    return { ok: await outcome() };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

it('gives the outcome of the reference store for every call of random sequences', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(opArb, fc.integer({ min: 0, max: 3_000 })).map(([op, advance]) => ({ ...op, advance })),
        { minLength: 1, maxLength: 25 },
      ),
      async (ops) => {
        const reference = new InMemoryStore();
        const prefix = `model-${(run += 1)}:`;
        const valkey = new ValkeyStore({ client, keyPrefix: prefix });
        let clock = T0;
        for (const op of ops) {
          clock += op.advance ?? 0;
          for (const key of ['a', 'b']) {
            await reference.get(key, clock);
            const expiresAt = Number(await client.call('HGET', `${prefix}${key}`, 'expiresAt'));
            if (expiresAt * 1000 <= clock) await client.call('DEL', `${prefix}${key}`);
          }
          expect(await apply(valkey, op, clock)).toEqual(await apply(reference, op, clock));
        }
      },
    ),
    { numRuns: 150, seed: 27 },
  );
});
