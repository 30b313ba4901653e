import { startLocalValkey, type LocalValkey } from '../../lib/testing';
import { ValkeyStore } from '../../lib/valkey';
import { describeStoreContract } from '../helpers/store-contract';
import { CLIENT_KINDS, connectClient, type TestClient } from '../helpers/valkey';

let server: LocalValkey;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startLocalValkey();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
});

for (const kind of CLIENT_KINDS) {
  describeStoreContract(`ValkeyStore (redis-server, ${kind})`, async () => {
    const connected = await connectClient(kind, server.url);
    clients.push(connected);
    return new ValkeyStore({ client: connected.client, keyPrefix: `contract-${kind}:` });
  });
}
