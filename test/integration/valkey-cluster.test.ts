/**
 * Cluster mode, on a one-node redis-server cluster that owns every slot: a `Cluster` client, with which the
 * batch scripts go one per hash slot, and a plain client, whose cross-slot batch the server refuses
 * (CROSSSLOT) once before the store groups by slot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Valkey, { Cluster } from 'iovalkey';
import { processSqsBatch } from '../../lib/sqs';
import { findFreePort } from '../../lib/testing/local-server';
import { ValkeyStore, type ValkeyCallClient } from '../../lib/valkey';
import { jsonRecord } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';
import { describeStoreContract } from '../helpers/store-contract';

let server: ChildProcess;
let port: number;
let dir: string;
let cluster: Cluster;
let plain: Valkey;

beforeAll(async () => {
  port = await findFreePort();
  dir = mkdtempSync(join(tmpdir(), 'valkey-cluster-'));
  server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-announce-ip',
      '127.0.0.1',
    ],
    {
      stdio: 'ignore',
    },
  );
  // Until the server listens: a new client per attempt, each giving up at once.
  for (let attempt = 0; ; attempt += 1) {
    const candidate = new Valkey({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    try {
      await candidate.connect();
      plain = candidate;
      break;
    } catch (error) {
      candidate.disconnect();
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await plain.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  while (!String(await plain.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) await new Promise((resolve) => setTimeout(resolve, 50));
  cluster = new Cluster([{ host: '127.0.0.1', port }]);
});

afterAll(async () => {
  await cluster?.quit();
  plain?.disconnect();
  server?.kill('SIGTERM');
  await new Promise((resolve) => server?.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
});

describeStoreContract(
  'ValkeyStore (redis-server cluster, iovalkey Cluster)',
  () => new ValkeyStore({ client: cluster, keyPrefix: 'cluster:' }),
);

/** `client`, recording the command names and the replies' errors. */
function recording(client: ValkeyCallClient): { client: ValkeyCallClient; errors: string[]; scripts: number } {
  const log = { errors: [] as string[], scripts: 0 };
  return {
    get errors() {
      return log.errors;
    },
    get scripts() {
      return log.scripts;
    },
    client: {
      isCluster: client.isCluster,
      call: async (command, ...args) => {
        if (command.startsWith('EVAL')) log.scripts += 1;
        try {
          return await client.call(command, ...args);
        } catch (error) {
          log.errors.push((error as Error).message.split(' ')[0] as string);
          throw error;
        }
      },
    },
  };
}

const batch = (prefix: string) => sqsEvent(Array.from({ length: 10 }, (_, i) => jsonRecord({ orderId: `${prefix}-${i}` })));

it('sends the batch scripts of a Cluster client one per hash slot, never across slots', async () => {
  const client = recording(cluster);
  let runs = 0;
  const response = await processSqsBatch(batch('c'), async () => void (runs += 1), {
    store: new ValkeyStore({ client: client.client, keyPrefix: 'slots:' }),
    key: 'body.orderId',
    name: 'slots',
  });
  expect(response.batchItemFailures).toEqual([]);
  expect(runs).toBe(10);
  expect(client.errors.filter((e) => e === 'CROSSSLOT')).toEqual([]);
});

it('groups by slot after the server refuses a cross-slot batch of a plain client', async () => {
  const client = recording(plain);
  const store = new ValkeyStore({ client: client.client, keyPrefix: 'plain:' });
  let runs = 0;
  const run = async (): Promise<void> => void (runs += 1);
  const first = await processSqsBatch(batch('p1'), run, { store, key: 'body.orderId', name: 'plain' });
  expect(first.batchItemFailures).toEqual([]);
  expect(client.errors).toContain('CROSSSLOT');
  const refusals = client.errors.filter((e) => e === 'CROSSSLOT').length;
  const second = await processSqsBatch(batch('p2'), run, { store, key: 'body.orderId', name: 'plain' });
  expect(second.batchItemFailures).toEqual([]);
  expect(runs).toBe(20);
  expect(client.errors.filter((e) => e === 'CROSSSLOT')).toHaveLength(refusals);
});
