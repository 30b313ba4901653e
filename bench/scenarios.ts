/**
 * The scenarios of `npm run bench`: the same workload written with each library, each configured as its
 * documentation shows. Every contender gets its own table (and business table), all on ONE DynamoDBClient.
 *
 * A contender's `prepare` builds the next iteration's input outside the clock (events, Lambda contexts,
 * fresh keys); the closure it returns is what the benchmark times.
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { DynamoDBStore as OursDynamoDBStore } from '../lib';
import {
  BATCH_SIZE,
  batchContender,
  context,
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
} from './contenders';
import { floorBatchContenders, floorFirstCall, floorStreamContenders } from './floor';
import type { Contender, Scenario, ScenarioEnv } from './scenario-types';
import { ours } from './ours';
import { kinesisBatch, oursKinesis, powertoolsKinesis, streamContender } from './streams';

// Ours as built (bench/ours.ts): `npm run bench` loads dist/lib, quick runs the sources.
const { commitWith, DynamoDBStore, makeIdempotent } = ours;

/** Duplicates that arrive at once in the storm scenario. */
export const STORM_SIZE = 10;
/**
 * Large standard-queue batches (up to 10,000 with a batching window): records per batch, timed and warm-up
 * batches. Few batches: each is hundreds of requests, and the point is memory and requests per record.
 */
export const LARGE_BATCHES: readonly { readonly size: number; readonly iterations: number; readonly warmup: number }[] = [
  { size: 100, iterations: 12, warmup: 3 },
  { size: 1000, iterations: 4, warmup: 1 },
];
/** Completed keys the replay scenarios cycle through. */
const REPLAY_POOL = 32;

/** The event of the handler scenarios: an order, as an API or a queue would deliver it. */
interface OrderEvent {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: number;
  readonly currency: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  readonly createdAt: string;
}

function orderEvent(orderId = randomUUID()): OrderEvent {
  return {
    orderId,
    customerId: 'customer-1042',
    amount: 129.9,
    currency: 'EUR',
    items: [
      { sku: 'SKU-0001', quantity: 2 },
      { sku: 'SKU-0007', quantity: 1 },
    ],
    createdAt: '2026-11-26T10:00:00.000Z',
  };
}

// --- the incumbent, configured as its documentation shows -------------------------------------------------

function powertoolsStore(env: ScenarioEnv): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName: env.incumbent.idempotency, awsSdkV3Client: env.client });
}

/** `makeIdempotent` on the handler, key `orderId` (JMESPath), optionally with the local cache. */
function powertoolsHandler(
  env: ScenarioEnv,
  options: { readonly localCache?: boolean; readonly businessWrite?: boolean } = {},
): { handler: (event: OrderEvent, context: Context) => Promise<unknown>; executions: () => number } {
  let executions = 0;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'orderId',
    ...(options.localCache === true ? { useLocalCache: true, maxLocalCacheSize: 1000 } : {}),
  });
  const handler = makeIdempotentPowertools(
    async (event: OrderEvent, _context: Context) => {
      executions += 1;
      await work();
      if (options.businessWrite === true) {
        await env.client.send(
          new PutItemCommand({
            TableName: env.incumbent.business,
            Item: { id: { S: event.orderId }, amount: { N: String(event.amount) }, status: { S: 'accepted' } },
          }),
        );
      }
      return { status: 'accepted', orderId: event.orderId };
    },
    { persistenceStore: powertoolsStore(env), config },
  );
  return { handler, executions: () => executions };
}

// --- ours ---------------------------------------------------------------------------------------------------

function oursStore(env: ScenarioEnv): OursDynamoDBStore {
  return new DynamoDBStore({ tableName: env.ours.idempotency, client: env.client });
}

function oursHandler(
  env: ScenarioEnv,
  name: string,
  options: { readonly mode?: 'lease' | 'optimistic'; readonly localCache?: boolean; readonly businessWrite?: boolean } = {},
): { handler: (event: OrderEvent, context: Context) => Promise<unknown>; executions: () => number } {
  let executions = 0;
  const handler = makeIdempotent(
    async (event: OrderEvent, _context: Context) => {
      executions += 1;
      await work();
      if (options.businessWrite === true) {
        commitWith({ Put: { TableName: env.ours.business, Item: { id: event.orderId, amount: event.amount, status: 'accepted' } } });
      }
      return { status: 'accepted', orderId: event.orderId };
    },
    {
      store: oursStore(env),
      key: 'orderId',
      name,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.localCache === true ? { localCache: { maxItems: 1000 } } : {}),
    },
  );
  return { handler, executions: () => executions };
}

// --- contenders of the handler scenarios ---------------------------------------------------------------------

type HandlerFactory = () => { handler: (event: OrderEvent, context: Context) => Promise<unknown>; executions: () => number };

/** Each iteration: one invocation with a new order. */
function firstOrder(library: Contender['library'], variant: string, make: HandlerFactory): Contender {
  return firstCall(library, variant, make, orderEvent);
}

/** Each iteration: one invocation repeating one of `REPLAY_POOL` completed keys. */
function replay(library: Contender['library'], variant: string, make: HandlerFactory): Contender {
  const { handler, executions } = make();
  const pool = Array.from({ length: REPLAY_POOL }, () => orderEvent());
  let next = 0;
  return {
    library,
    variant,
    expect: { executions: 0, failures: 0 },
    async setup() {
      for (const event of pool) await handler(event, context());
    },
    prepare() {
      const event = pool[next % pool.length] as OrderEvent;
      next += 1;
      const ctx = context();
      return async () => {
        const before = executions();
        await handler(event, ctx);
        return { executions: executions() - before, failures: 0 };
      };
    },
  };
}

/** Each iteration: `STORM_SIZE` invocations with one new key, all at once. */
function storm(
  library: Contender['library'],
  variant: string,
  make: HandlerFactory,
  expectedExecutions: Contender['expect']['executions'],
): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: expectedExecutions, failures: [0, STORM_SIZE - 1] },
    prepare() {
      const event = orderEvent();
      const contexts = Array.from({ length: STORM_SIZE }, () => context());
      return async () => {
        const before = executions();
        const invocationMs: number[] = [];
        const settled = await Promise.allSettled(
          contexts.map(async (ctx) => {
            const started = process.hrtime.bigint();
            try {
              return await handler(event, ctx);
            } finally {
              invocationMs.push(Number(process.hrtime.bigint() - started) / 1e6);
            }
          }),
        );
        return { executions: executions() - before, failures: settled.filter((s) => s.status === 'rejected').length, invocationMs };
      };
    },
  };
}

// --- contenders of the SQS scenarios ------------------------------------------------------------------------

/** The incumbent's documented batch pattern on its DynamoDB table. */
function powertoolsSqs(env: ScenarioEnv, fifo: boolean): () => Counted<BatchHandler> {
  return powertoolsBatch(() => powertoolsStore(env), fifo);
}

/** Ours: `processSqsBatch` on DynamoDBStore in `mode`. */
function oursSqs(env: ScenarioEnv, name: string, mode: 'lease' | 'optimistic'): () => Counted<BatchHandler> {
  return oursBatch(() => ({ store: oursStore(env), name, ...(mode === 'lease' ? {} : { mode }) }));
}

/** All scenarios, in the order they run and are reported. */
export function scenarios(env: ScenarioEnv): Scenario[] {
  return [
    {
      id: 'first-call',
      short: 'First call',
      title: 'First call of a new key',
      recordsPerIteration: 1,
      iterations: scaledIterations(env.scale, 800),
      warmup: warmupIterations(env.scale, 150),
      contenders: [
        firstOrder('incumbent', 'Powertools', () => powertoolsHandler(env)),
        firstOrder('ours', 'lease', () => oursHandler(env, 'bench.first.lease')),
        firstOrder('ours', 'optimistic', () => oursHandler(env, 'bench.first.optimistic', { mode: 'optimistic' })),
        floorFirstCall(env),
      ],
    },
    {
      id: 'replay',
      short: 'Replay, no cache',
      title: 'Replay of a completed key, no local cache',
      recordsPerIteration: 1,
      iterations: scaledIterations(env.scale, 1200),
      warmup: warmupIterations(env.scale, 150),
      contenders: [
        replay('incumbent', 'Powertools', () => powertoolsHandler(env)),
        replay('ours', 'lease', () => oursHandler(env, 'bench.replay')),
      ],
    },
    {
      id: 'replay-cache',
      short: 'Replay from local cache',
      title: 'Replay from the local cache',
      recordsPerIteration: 1,
      iterations: scaledIterations(env.scale, 3000),
      warmup: warmupIterations(env.scale, 500),
      contenders: [
        replay('incumbent', 'Powertools', () => powertoolsHandler(env, { localCache: true })),
        replay('ours', 'lease', () => oursHandler(env, 'bench.replay.cache', { localCache: true })),
      ],
    },
    {
      id: 'storm',
      short: 'Duplicate storm ×10',
      title: `Duplicate storm: ${STORM_SIZE} concurrent calls, one key`,
      recordsPerIteration: STORM_SIZE,
      iterations: scaledIterations(env.scale, 200),
      warmup: warmupIterations(env.scale, 40),
      contenders: [
        storm('incumbent', 'Powertools', () => powertoolsHandler(env), 1),
        storm('ours', 'lease', () => oursHandler(env, 'bench.storm.lease'), 1),
        storm('ours', 'optimistic', () => oursHandler(env, 'bench.storm.optimistic', { mode: 'optimistic' }), [1, STORM_SIZE]),
      ],
    },
    {
      id: 'business-write',
      short: 'Business write',
      title: 'First call with one business write',
      recordsPerIteration: 1,
      iterations: scaledIterations(env.scale, 500),
      warmup: warmupIterations(env.scale, 120),
      contenders: [
        firstOrder('incumbent', 'Powertools + PutItem', () => powertoolsHandler(env, { businessWrite: true })),
        firstOrder('ours', 'lease + commitWith', () => oursHandler(env, 'bench.commit.lease', { businessWrite: true })),
        firstOrder('ours', 'optimistic + commitWith', () =>
          oursHandler(env, 'bench.commit.optimistic', { mode: 'optimistic', businessWrite: true }),
        ),
      ],
    },
    {
      id: 'sqs-standard',
      short: 'SQS standard ×10',
      title: `SQS standard queue, batches of ${BATCH_SIZE}`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaledIterations(env.scale, 250),
      warmup: warmupIterations(env.scale, 60),
      contenders: [
        batchContender('incumbent', 'Powertools', () => standardBatch(), powertoolsSqs(env, false)),
        batchContender('ours', 'lease', () => standardBatch(), oursSqs(env, 'bench.sqs.lease', 'lease')),
        batchContender('ours', 'optimistic', () => standardBatch(), oursSqs(env, 'bench.sqs.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => standardBatch(), 'together', BATCH_SIZE),
      ],
    },
    {
      id: 'sqs-fifo-10',
      short: 'SQS FIFO ×10, 10 groups',
      title: `SQS FIFO, batches of ${BATCH_SIZE} in 10 groups`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaledIterations(env.scale, 200),
      warmup: warmupIterations(env.scale, 50),
      contenders: [
        batchContender('incumbent', 'Powertools', () => fifoBatch(10), powertoolsSqs(env, true)),
        batchContender('ours', 'lease', () => fifoBatch(10), oursSqs(env, 'bench.fifo10.lease', 'lease')),
        batchContender('ours', 'optimistic', () => fifoBatch(10), oursSqs(env, 'bench.fifo10.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => fifoBatch(10), 'together', BATCH_SIZE),
      ],
    },
    {
      id: 'sqs-fifo-1',
      short: 'SQS FIFO ×10, 1 group',
      title: `SQS FIFO, batches of ${BATCH_SIZE} in 1 group`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaledIterations(env.scale, 150),
      warmup: warmupIterations(env.scale, 40),
      contenders: [
        batchContender('incumbent', 'Powertools', () => fifoBatch(1), powertoolsSqs(env, true)),
        batchContender('ours', 'lease', () => fifoBatch(1), oursSqs(env, 'bench.fifo1.lease', 'lease')),
        batchContender('ours', 'optimistic', () => fifoBatch(1), oursSqs(env, 'bench.fifo1.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => fifoBatch(1), 'in order', BATCH_SIZE),
      ],
    },
    {
      id: 'kinesis',
      short: 'Kinesis ×10, 1 shard',
      title: `Kinesis, batches of ${BATCH_SIZE} records of one shard`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaledIterations(env.scale, 150),
      warmup: warmupIterations(env.scale, 40),
      contenders: [
        streamContender(
          'incumbent',
          'Powertools, in order',
          powertoolsKinesis(() => powertoolsStore(env), 'in order'),
        ),
        streamContender(
          'ours',
          'lease',
          oursKinesis(() => oursStore(env), 'bench.kinesis.lease'),
        ),
        streamContender(
          'incumbent',
          'Powertools, parallel (its default)',
          powertoolsKinesis(() => powertoolsStore(env), 'parallel'),
        ),
        ...floorStreamContenders(env, () => kinesisBatch(), BATCH_SIZE),
      ],
    },
    ...LARGE_BATCHES.map(({ size, iterations, warmup }) => ({
      id: `sqs-standard-${size}`,
      short: `SQS standard ×${size.toLocaleString('en-US')}`,
      title: `SQS standard queue, batches of ${size.toLocaleString('en-US')}`,
      recordsPerIteration: size,
      iterations: Math.max(2, Math.round(iterations * Math.min(env.scale, 1))),
      warmup,
      contenders: [
        batchContender('incumbent', 'Powertools', () => standardBatch(size), powertoolsSqs(env, false), size),
        batchContender('ours', 'lease', () => standardBatch(size), oursSqs(env, `bench.sqs${size}.lease`, 'lease'), size),
        batchContender('ours', 'optimistic', () => standardBatch(size), oursSqs(env, `bench.sqs${size}.optimistic`, 'optimistic'), size),
      ],
    })),
  ];
}
