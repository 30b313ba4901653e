/**
 * The chaos run over ValkeyStore at CI size, against a real redis-server (with an append-only file, so that
 * the restart mid-run keeps the records): throttled commands and lost answers injected at the client (its
 * default options kept), a server restart, record handlers failing before and after their effect; then each
 * invariant, one test each. `npm run chaos -- --store valkey` runs it at any size.
 */
import { startLocalValkey, type LocalValkey } from '../../lib/testing';
import {
  formatValkeyChaos,
  runValkeyChaos,
  VALKEY_INVARIANTS,
  VALKEY_THROTTLE_RATE,
  type ValkeyChaosSummary,
} from '../../scripts/chaos/valkey/run';
import { connectClient, type ClientKind } from '../helpers/valkey';

const MESSAGES = 600;
const SEED = 20_261_206;

let server: LocalValkey;
const summaries = new Map<ClientKind, ValkeyChaosSummary>();

beforeAll(async () => {
  server = await startLocalValkey({ appendOnly: true });
  // One client kind after the other: each run restarts the server once.
  for (const kind of ['iovalkey', 'redis'] as const) {
    const summary = await runValkeyChaos({ messages: MESSAGES, seed: SEED, server, connect: () => connectClient(kind, server.url) });
    summaries.set(kind, summary);
    console.log(`${kind}: ${formatValkeyChaos(summary)}`);
  }
}, 240_000);

describe('the Valkey chaos invariants', () => {
  it('catch the duplicates of a consumer without effectively-once', async () => {
    const plain = await runValkeyChaos({
      messages: 200,
      seed: SEED,
      server,
      connect: () => connectClient('iovalkey', server.url),
      useLibrary: false,
      restart: false,
    });
    expect(violations(plain, VALKEY_INVARIANTS.once)).toBeGreaterThan(0);
    expect(violations(plain, VALKEY_INVARIANTS.ledger)).toBeGreaterThan(0);
  });
});

afterAll(async () => {
  await server?.stop();
});

function violations(summary: ValkeyChaosSummary | undefined, name: string): number {
  const invariant = summary?.invariants.find((i) => i.name === name);
  if (invariant === undefined) throw new Error(`No invariant "${name}"`);
  return invariant.violations;
}

describe.each(['iovalkey', 'redis'] as const)(`ValkeyStore chaos: ${MESSAGES} messages with %s (seed ${SEED})`, (kind) => {
  it('delivers business events more than once, fails runs before and after their effect, and restarts the server', () => {
    const summary = summaries.get(kind) as ValkeyChaosSummary;
    expect(summary.deliveries).toBeGreaterThan(MESSAGES);
    expect(summary.businessEvents).toBeLessThan(MESSAGES);
    expect(summary.failedBeforeEffect).toBeGreaterThan(0);
    expect(summary.failedAfterEffect).toBeGreaterThan(0);
    expect(summary.restarts).toBe(1);
  });

  it('throttles about one command in five and loses answers of applied commands', () => {
    const { faults } = summaries.get(kind) as ValkeyChaosSummary;
    expect(faults.throttled / faults.commands).toBeGreaterThan(VALKEY_THROTTLE_RATE * 0.75);
    expect(faults.throttled / faults.commands).toBeLessThan(VALKEY_THROTTLE_RATE * 1.25);
    expect(faults.lostAnswers).toBeGreaterThan(0);
  });

  it.each(Object.values(VALKEY_INVARIANTS))('keeps the invariant: %s', (name) => {
    expect(violations(summaries.get(kind), name)).toBe(0);
  });
});
