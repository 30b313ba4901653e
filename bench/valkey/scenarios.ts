/**
 * The Valkey scenarios of `npm run bench`: ValkeyStore against Powertools' `CachePersistenceLayer`
 * (`@aws-lambda-powertools/idempotency/cache`) on the same local server, each library configured as its
 * documentation shows, in the Lambda model's three workloads: a single handler (first call of a new key), an
 * SQS standard batch of 10 and an SQS FIFO batch of 10 in 10 groups. Powertools' layer takes a node-redis
 * client; ours runs on the same node-redis client, and on iovalkey as a third row.
 *
 * Every command a contender sends is counted at its client (a Proxy on the client's command methods), so
 * that the report gives commands per record.
 */
import { randomUUID } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import type { Context } from 'aws-lambda';
import Valkey from 'iovalkey';
import { createClient } from 'redis';
import { makeIdempotent } from '../../lib';
import { ValkeyStore } from '../../lib/valkey';
import {
  BATCH_SIZE,
  batchContender,
  fifoBatch,
  firstCall,
  oursBatch,
  powertoolsBatch,
  scaledIterations,
  standardBatch,
  warmupIterations,
  work,
  type BatchHandler,
  type Counted,
} from '../contenders';
import type { Scenario } from '../scenario-types';

/** Commands sent by the running contender. */
export const commandCount = { value: 0 };

/** The methods that send a command, on each client: node-redis (`sendCommand` and the typed ones Powertools uses) and iovalkey. */
const COMMAND_METHODS = new Set(['sendCommand', 'get', 'set', 'del', 'call']);

/** `client`, counting every command sent through it. */
function counted<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || !COMMAND_METHODS.has(property)) return value.bind(target) as unknown;
      return (...args: unknown[]) => {
        commandCount.value += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A connected client of `kind` for `url`, counting its commands. */
export async function benchClient(kind: 'redis' | 'iovalkey', url: string): Promise<{ client: object; close(): Promise<void> }> {
  if (kind === 'iovalkey') {
    const client = new Valkey(url);
    return { client: counted(client), close: async () => void (await client.quit()) };
  }
  const client = createClient({ url });
  await client.connect();
  return { client: counted(client), close: async () => void (await client.quit()) };
}

/** What the scenarios are built with: the contender's client, and the scale of the iteration counts. */
export interface ValkeyScenarioEnv {
  readonly client: object;
  readonly scale: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function powertoolsLayer(env: ValkeyScenarioEnv): CachePersistenceLayer {
  return new CachePersistenceLayer({ client: env.client as never });
}

function oursStore(env: ValkeyScenarioEnv): ValkeyStore {
  return new ValkeyStore({ client: env.client as never });
}

function powertoolsHandler(env: ValkeyScenarioEnv): () => Counted<Handler> {
  return () => {
    let executions = 0;
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'orderId' });
    const handler = makeIdempotentPowertools(
      async (event: { orderId: string }, _context: Context) => {
        executions += 1;
        await work();
        return { status: 'accepted', orderId: event.orderId };
      },
      { persistenceStore: powertoolsLayer(env), config },
    );
    return { handler: handler as Handler, executions: () => executions };
  };
}

function oursHandler(env: ValkeyScenarioEnv): () => Counted<Handler> {
  return () => {
    let executions = 0;
    const handler = makeIdempotent(
      async (event: { orderId: string }, _context: Context) => {
        executions += 1;
        await work();
        return { status: 'accepted', orderId: event.orderId };
      },
      { store: oursStore(env), key: 'orderId', name: 'bench-valkey' },
    );
    return { handler: handler as Handler, executions: () => executions };
  };
}

/** The batch handler of one contender: ours, or Powertools' documented batch pattern on its cache layer. */
function batchOf(env: ValkeyScenarioEnv, ours: boolean, fifo: boolean): () => Counted<BatchHandler> {
  return ours
    ? oursBatch(() => ({ store: oursStore(env), name: 'bench-valkey-batch' }))
    : powertoolsBatch(() => powertoolsLayer(env), fifo);
}

/** The contenders of each scenario, in report order: Powertools (node-redis), ours (node-redis), ours (iovalkey). */
export const VALKEY_CONTENDERS = [
  { library: 'incumbent', variant: 'Powertools cache (redis)', client: 'redis' },
  { library: 'ours', variant: 'ValkeyStore (redis)', client: 'redis' },
  { library: 'ours', variant: 'ValkeyStore (iovalkey)', client: 'iovalkey' },
] as const;

/** The scenarios, each built for ONE contender (a child process builds only its own). */
export function valkeyScenarios(env: ValkeyScenarioEnv, contender: number): Scenario[] {
  const { library, variant } = VALKEY_CONTENDERS[contender] as (typeof VALKEY_CONTENDERS)[number];
  const ours = library === 'ours';
  const scaled = (n: number): number => scaledIterations(env.scale, n);
  const warm = (n: number): number => warmupIterations(env.scale, n);
  return [
    {
      id: 'valkey-first-call',
      short: 'Valkey: first call',
      title: 'Valkey: first call of a new key (single handler)',
      recordsPerIteration: 1,
      iterations: scaled(800),
      warmup: warm(150),
      contenders: [
        firstCall(library, variant, ours ? oursHandler(env) : powertoolsHandler(env), () => ({ orderId: randomUUID(), amount: 129.9 })),
      ],
    },
    {
      id: 'valkey-sqs-standard',
      short: 'Valkey: SQS standard ×10',
      title: `Valkey: SQS standard queue, batches of ${BATCH_SIZE}`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(300),
      warmup: warm(60),
      contenders: [batchContender(library, variant, () => standardBatch(), batchOf(env, ours, false))],
    },
    {
      id: 'valkey-sqs-fifo-10',
      short: 'Valkey: SQS FIFO ×10, 10 groups',
      title: `Valkey: SQS FIFO, batches of ${BATCH_SIZE} in 10 groups`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(300),
      warmup: warm(60),
      contenders: [batchContender(library, variant, () => fifoBatch(10), batchOf(env, ours, true))],
    },
  ];
}
