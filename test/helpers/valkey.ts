/**
 * Valkey for tests: a local server per test file (startLocalValkey) and a client of each kind the store
 * documents (iovalkey, ioredis, node-redis), with their default options.
 */
import Valkey from 'iovalkey';
import IORedis from 'ioredis';
import { createClient } from 'redis';
import type { ValkeyClient } from '../../lib/valkey';

export const CLIENT_KINDS = ['iovalkey', 'ioredis', 'redis'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A connected client and how to close it. */
export interface TestClient {
  readonly client: ValkeyClient;
  close(): Promise<void>;
}

/** A connected client of `kind` for the server at `url`. */
export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  switch (kind) {
    case 'iovalkey': {
      const client = new Valkey(url);
      return { client, close: async () => void (await client.quit()) };
    }
    case 'ioredis': {
      const client = new IORedis(url);
      return { client, close: async () => void (await client.quit()) };
    }
    case 'redis': {
      const client = createClient({ url });
      client.on('error', () => undefined);
      await client.connect();
      return { client, close: async () => void (await client.quit()) };
    }
  }
}
