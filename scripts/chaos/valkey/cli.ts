/**
 * `npm run chaos -- --store valkey [--messages N] [--seed S] [--client iovalkey|ioredis|redis]`: the chaos run
 * over ValkeyStore (scripts/chaos/valkey/run.ts) at any size, against a redis-server or valkey-server from the
 * PATH started with an append-only file; exits with 1 when an invariant is violated.
 */
import { parseArgs } from 'node:util';
import Valkey from 'iovalkey';
import IORedis from 'ioredis';
import { createClient } from 'redis';
import { startLocalValkey } from '../../../lib/testing';
import type { ValkeyClient } from '../../../lib/valkey';
import { formatValkeyChaos, runValkeyChaos } from './run';

export const VALKEY_USAGE = 'Usage: npm run chaos -- --store valkey [--messages N] [--seed S] [--client iovalkey|ioredis|redis]';

const CLIENTS = ['iovalkey', 'ioredis', 'redis'] as const;
type ClientKind = (typeof CLIENTS)[number];

async function connect(kind: ClientKind, url: string): Promise<{ client: ValkeyClient; close(): Promise<void> }> {
  if (kind === 'redis') {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: async () => void (await client.quit()) };
  }
  const client = kind === 'iovalkey' ? new Valkey(url) : new IORedis(url);
  return { client, close: async () => void (await client.quit()) };
}

/** Whether `argv` asks for the Valkey store (`--store valkey`); `--store dynamodb` is the default run. */
export function wantsValkey(argv: readonly string[]): boolean {
  const index = argv.indexOf('--store');
  const store = index === -1 ? undefined : argv[index + 1];
  if (store !== undefined && store !== 'valkey' && store !== 'dynamodb') {
    throw new RangeError(`Expected --store to be valkey or dynamodb, got ${store}\n${VALKEY_USAGE}`);
  }
  return store === 'valkey';
}

/** Runs the Valkey chaos from the command line; resolves to the exit code. */
export async function valkeyChaosMain(argv: readonly string[], defaultSeed: number): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      store: { type: 'string' },
      messages: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(defaultSeed) },
      client: { type: 'string', default: 'iovalkey' },
    },
  });
  const messages = Number(values.messages);
  const seed = Number(values.seed);
  const kind = values.client as ClientKind;
  if (!Number.isInteger(messages) || messages < 2)
    throw new RangeError(`Expected --messages to be an integer >= 2, got ${values.messages}\n${VALKEY_USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${VALKEY_USAGE}`);
  if (!CLIENTS.includes(kind))
    throw new RangeError(`Expected --client to be one of ${CLIENTS.join(', ')}, got ${values.client}\n${VALKEY_USAGE}`);
  const server = await startLocalValkey({ appendOnly: true });
  console.log(`Started ${server.serverPath} on port ${server.port}; ${messages} messages, seed ${seed}, client ${kind} ...`);
  try {
    const summary = await runValkeyChaos({ messages, seed, server, connect: () => connect(kind, server.url) });
    console.log(formatValkeyChaos(summary));
    return summary.violations > 0 ? 1 : 0;
  } finally {
    await server.stop();
  }
}
