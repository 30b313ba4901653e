/**
 * The scenarios of `npm run bench`: the same workload written with each library, each configured as its
 * documentation shows. Every contender gets its own table (and business table), all on ONE DynamoDBClient.
 *
 * A contender's `prepare` builds the next iteration's input outside the clock (events, Lambda contexts,
 * fresh keys); the closure it returns is what the benchmark times.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldOnce } from 'node:timers/promises';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DynamoDBStore as OursDynamoDBStore } from '../lib';
import type { SqsBatchOptions } from '../lib/sqs';
import { createLambdaContext } from '../lib/testing';
import { fifoRecord, sqsEvent, sqsRecord } from '../test/helpers/sqs-events';
import { floorBatchContenders, floorFirstCall } from './floor';
import { ours, oursSqs } from './ours';

// Ours as built (bench/ours.ts): `npm run bench` loads dist/lib, quick runs the sources.
const { commitWith, DynamoDBStore, makeIdempotent } = ours;
const { processSqsBatch } = oursSqs;

/** What one timed iteration did, for the sanity checks (not timed). */
export interface IterationFacts {
  /** How many times the business work ran. */
  readonly executions: number;
  /** Invocations or records that ended in failure (rejected, or reported in `batchItemFailures`). */
  readonly failures: number;
  /**
   * Wall time of each handler invocation, milliseconds, when the iteration is more than one invocation
   * (the duplicate storm); otherwise the iteration is one invocation, billed on its own wall time.
   */
  readonly invocationMs?: readonly number[];
}

/** One library (and mode) running a scenario. */
export interface Contender {
  /** `'incumbent'` or `'ours'` in the comparisons; a lever experiment names its alternatives. */
  readonly library: string;
  /** Short name of the configuration, e.g. `lease`, `optimistic`, `Powertools`. */
  readonly variant: string;
  /** Builds the next iteration outside the clock and returns the timed part. */
  prepare(): () => Promise<IterationFacts>;
  /** What a correct run does per iteration (checked after the run, never timed). */
  readonly expect: {
    readonly executions: number | readonly [min: number, max: number];
    readonly failures: number | readonly [min: number, max: number];
  };
  /** Untimed setup before the scenario (seeding records to replay). */
  setup?(): Promise<void>;
}

/** A workload and its contenders; the first contender is the reference the others are compared with. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** A few words for the chart's rows. */
  readonly short: string;
  /** Records (invocations or SQS messages) per iteration. */
  readonly recordsPerIteration: number;
  readonly iterations: number;
  readonly warmup: number;
  readonly contenders: readonly Contender[];
}

/** Tables of one library. */
export interface LibraryTables {
  readonly idempotency: string;
  readonly business: string;
}

/** What the scenarios need. */
export interface ScenarioEnv {
  readonly client: DynamoDBClient;
  readonly ours: LibraryTables;
  readonly incumbent: LibraryTables;
  /** Multiplies every iteration count (e.g. 0.2 for a quick run). */
  readonly scale: number;
}

/** Duplicates that arrive at once in the storm scenario. */
export const STORM_SIZE = 10;
/** Records per SQS batch (Lambda's default batch size for SQS). */
export const BATCH_SIZE = 10;
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
/** Lambda timeout of the simulated invocations. */
const TIMEOUT_MS = 30_000;

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

function context(): Context {
  return createLambdaContext({ timeoutMs: TIMEOUT_MS, functionName: 'bench-function' });
}

function orderBody(): string {
  return JSON.stringify({ orderId: randomUUID(), amount: 129.9, currency: 'EUR' });
}

function standardBatch(size = BATCH_SIZE): SQSEvent {
  return sqsEvent(Array.from({ length: size }, () => sqsRecord({ body: orderBody() })));
}

/** A FIFO batch of `BATCH_SIZE` records spread round-robin over `groups` message groups. */
function fifoBatch(groups: number): SQSEvent {
  const batchId = randomUUID();
  return sqsEvent(
    Array.from({ length: BATCH_SIZE }, (_, index) =>
      fifoRecord(`group-${index % groups}`, `${batchId}-${index}`, 18_000_000_000_000_000_000n + BigInt(index), orderBody()),
    ),
  );
}

/** The business work of every scenario: a tiny asynchronous effect. */
async function work(): Promise<void> {
  await yieldOnce();
}

function scaled(env: ScenarioEnv, iterations: number): number {
  return Math.max(10, Math.round(iterations * env.scale));
}

/** Warm-up iterations: scaled down for quick runs, never below 20 (the JIT needs them). */
function warm(env: ScenarioEnv, iterations: number): number {
  return Math.max(20, Math.round(iterations * Math.min(env.scale, 1)));
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

/** Each iteration: one invocation with a new key. */
function firstCall(library: Contender['library'], variant: string, make: HandlerFactory): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: 1, failures: 0 },
    prepare() {
      const event = orderEvent();
      const ctx = context();
      return async () => {
        const before = executions();
        await handler(event, ctx);
        return { executions: executions() - before, failures: 0 };
      };
    },
  };
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

type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

function batchContender(
  library: Contender['library'],
  variant: string,
  makeEvent: () => SQSEvent,
  make: () => { handler: BatchHandler; executions: () => number },
  size = BATCH_SIZE,
): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: size, failures: 0 },
    prepare() {
      const event = makeEvent();
      const ctx = context();
      return async () => {
        const before = executions();
        let failures: number;
        try {
          failures = (await handler(event, ctx)).batchItemFailures.length;
        } catch {
          failures = size; // Powertools throws FullBatchFailureError when every record failed
        }
        return { executions: executions() - before, failures };
      };
    },
  };
}

/**
 * The incumbent's documented pattern ("Idempotency with batch processing"): `makeIdempotent` on the record
 * handler, key `messageId`, the Lambda context registered, `processPartialResponse`.
 */
function powertoolsBatch(env: ScenarioEnv, fifo: boolean): () => { handler: BatchHandler; executions: () => number } {
  return () => {
    let executions = 0;
    const processor = fifo ? new SqsFifoPartialProcessorAsync() : new BatchProcessor(EventType.SQS);
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageId' });
    const processIdempotently = makeIdempotentPowertools(
      async (record: SQSRecord) => {
        executions += 1;
        JSON.parse(record.body);
        await work();
      },
      { persistenceStore: powertoolsStore(env), config },
    );
    const handler: BatchHandler = async (event, ctx) => {
      config.registerLambdaContext(ctx);
      return processPartialResponse(event, processIdempotently, processor, { context: ctx });
    };
    return { handler, executions: () => executions };
  };
}

/** Ours: `processSqsBatch` with a store; options defined once, `{ ...options, context }` per call. */
function oursBatch(
  env: ScenarioEnv,
  name: string,
  mode: 'lease' | 'optimistic',
): () => { handler: BatchHandler; executions: () => number } {
  return () => {
    let executions = 0;
    const options: SqsBatchOptions<unknown> = { store: oursStore(env), name, ...(mode === 'lease' ? {} : { mode }) };
    const recordHandler = async (): Promise<void> => {
      executions += 1;
      await work();
    };
    const handler: BatchHandler = (event, ctx) => processSqsBatch(event, recordHandler, { ...options, context: ctx });
    return { handler, executions: () => executions };
  };
}

/** All scenarios, in the order they run and are reported. */
export function scenarios(env: ScenarioEnv): Scenario[] {
  return [
    {
      id: 'first-call',
      short: 'First call',
      title: 'First call of a new key',
      recordsPerIteration: 1,
      iterations: scaled(env, 800),
      warmup: warm(env, 150),
      contenders: [
        firstCall('incumbent', 'Powertools', () => powertoolsHandler(env)),
        firstCall('ours', 'lease', () => oursHandler(env, 'bench.first.lease')),
        firstCall('ours', 'optimistic', () => oursHandler(env, 'bench.first.optimistic', { mode: 'optimistic' })),
        floorFirstCall(env),
      ],
    },
    {
      id: 'replay',
      short: 'Replay, no cache',
      title: 'Replay of a completed key, no local cache',
      recordsPerIteration: 1,
      iterations: scaled(env, 1200),
      warmup: warm(env, 150),
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
      iterations: scaled(env, 3000),
      warmup: warm(env, 500),
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
      iterations: scaled(env, 200),
      warmup: warm(env, 40),
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
      iterations: scaled(env, 500),
      warmup: warm(env, 120),
      contenders: [
        firstCall('incumbent', 'Powertools + PutItem', () => powertoolsHandler(env, { businessWrite: true })),
        firstCall('ours', 'lease + commitWith', () => oursHandler(env, 'bench.commit.lease', { businessWrite: true })),
        firstCall('ours', 'optimistic + commitWith', () =>
          oursHandler(env, 'bench.commit.optimistic', { mode: 'optimistic', businessWrite: true }),
        ),
      ],
    },
    {
      id: 'sqs-standard',
      short: 'SQS standard ×10',
      title: `SQS standard queue, batches of ${BATCH_SIZE}`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(env, 250),
      warmup: warm(env, 60),
      contenders: [
        batchContender('incumbent', 'Powertools', () => standardBatch(), powertoolsBatch(env, false)),
        batchContender('ours', 'lease', () => standardBatch(), oursBatch(env, 'bench.sqs.lease', 'lease')),
        batchContender('ours', 'optimistic', () => standardBatch(), oursBatch(env, 'bench.sqs.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => standardBatch(), 'together', BATCH_SIZE),
      ],
    },
    {
      id: 'sqs-fifo-10',
      short: 'SQS FIFO ×10, 10 groups',
      title: `SQS FIFO, batches of ${BATCH_SIZE} in 10 groups`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(env, 200),
      warmup: warm(env, 50),
      contenders: [
        batchContender('incumbent', 'Powertools', () => fifoBatch(10), powertoolsBatch(env, true)),
        batchContender('ours', 'lease', () => fifoBatch(10), oursBatch(env, 'bench.fifo10.lease', 'lease')),
        batchContender('ours', 'optimistic', () => fifoBatch(10), oursBatch(env, 'bench.fifo10.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => fifoBatch(10), 'together', BATCH_SIZE),
      ],
    },
    {
      id: 'sqs-fifo-1',
      short: 'SQS FIFO ×10, 1 group',
      title: `SQS FIFO, batches of ${BATCH_SIZE} in 1 group`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(env, 150),
      warmup: warm(env, 40),
      contenders: [
        batchContender('incumbent', 'Powertools', () => fifoBatch(1), powertoolsBatch(env, true)),
        batchContender('ours', 'lease', () => fifoBatch(1), oursBatch(env, 'bench.fifo1.lease', 'lease')),
        batchContender('ours', 'optimistic', () => fifoBatch(1), oursBatch(env, 'bench.fifo1.optimistic', 'optimistic')),
        ...floorBatchContenders(env, () => fifoBatch(1), 'in order', BATCH_SIZE),
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
        batchContender('incumbent', 'Powertools', () => standardBatch(size), powertoolsBatch(env, false), size),
        batchContender('ours', 'lease', () => standardBatch(size), oursBatch(env, `bench.sqs${size}.lease`, 'lease'), size),
        batchContender('ours', 'optimistic', () => standardBatch(size), oursBatch(env, `bench.sqs${size}.optimistic`, 'optimistic'), size),
      ],
    })),
  ];
}
