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
import { setImmediate as yieldOnce } from 'node:timers/promises';
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import Valkey from 'iovalkey';
import { createClient } from 'redis';
import { makeIdempotent, processSqsBatch } from '../../lib';
import { createLambdaContext } from '../../lib/testing';
import { ValkeyStore } from '../../lib/valkey';
import { fifoRecord, sqsEvent, sqsRecord } from '../../test/helpers/sqs-events';
import type { Contender, Scenario } from '../scenarios';

const BATCH_SIZE = 10;

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

function context(): Context {
  return createLambdaContext({ timeoutMs: 30_000, functionName: 'bench-function' });
}

async function work(): Promise<void> {
  await yieldOnce();
}

function orderBody(): string {
  return JSON.stringify({ orderId: randomUUID(), amount: 129.9, currency: 'EUR' });
}

/** What the scenarios are built with: the contender's client, and the scale of the iteration counts. */
export interface ValkeyScenarioEnv {
  readonly client: object;
  readonly scale: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

function powertoolsLayer(env: ValkeyScenarioEnv): CachePersistenceLayer {
  return new CachePersistenceLayer({ client: env.client as never });
}

function oursStore(env: ValkeyScenarioEnv): ValkeyStore {
  return new ValkeyStore({ client: env.client as never });
}

function single(library: string, variant: string, make: () => { handler: Handler; executions: () => number }): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: 1, failures: 0 },
    prepare() {
      const event = { orderId: randomUUID(), amount: 129.9 };
      const ctx = context();
      return async () => {
        const before = executions();
        await handler(event, ctx);
        return { executions: executions() - before, failures: 0 };
      };
    },
  };
}

function batch(
  library: string,
  variant: string,
  makeEvent: () => SQSEvent,
  make: () => { handler: BatchHandler; executions: () => number },
): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: BATCH_SIZE, failures: 0 },
    prepare() {
      const event = makeEvent();
      const ctx = context();
      return async () => {
        const before = executions();
        let failures: number;
        try {
          failures = (await handler(event, ctx)).batchItemFailures.length;
        } catch {
          failures = BATCH_SIZE;
        }
        return { executions: executions() - before, failures };
      };
    },
  };
}

function powertoolsHandler(env: ValkeyScenarioEnv): () => { handler: Handler; executions: () => number } {
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

function oursHandler(env: ValkeyScenarioEnv): () => { handler: Handler; executions: () => number } {
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

/** Powertools' documented batch pattern: `makeIdempotent` on the record handler, key `messageId`. */
function powertoolsBatch(env: ValkeyScenarioEnv, fifo: boolean): () => { handler: BatchHandler; executions: () => number } {
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
      { persistenceStore: powertoolsLayer(env), config },
    );
    const handler: BatchHandler = async (event, ctx) => {
      config.registerLambdaContext(ctx);
      return processPartialResponse(event, processIdempotently, processor, { context: ctx });
    };
    return { handler, executions: () => executions };
  };
}

function oursBatch(env: ValkeyScenarioEnv): () => { handler: BatchHandler; executions: () => number } {
  return () => {
    let executions = 0;
    const options = { store: oursStore(env), name: 'bench-valkey-batch' };
    const recordHandler = async (): Promise<void> => {
      executions += 1;
      await work();
    };
    const handler: BatchHandler = (event, ctx) => processSqsBatch(event, recordHandler, { ...options, context: ctx });
    return { handler, executions: () => executions };
  };
}

function standardBatch(): SQSEvent {
  return sqsEvent(Array.from({ length: BATCH_SIZE }, () => sqsRecord({ body: orderBody() })));
}

function fifoBatch(): SQSEvent {
  const batchId = randomUUID();
  return sqsEvent(
    Array.from({ length: BATCH_SIZE }, (_, index) =>
      fifoRecord(`group-${index}`, `${batchId}-${index}`, 18_000_000_000_000_000_000n + BigInt(index), orderBody()),
    ),
  );
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
  const scaled = (n: number): number => Math.max(10, Math.round(n * env.scale));
  const warm = (n: number): number => Math.max(20, Math.round(n * Math.min(env.scale, 1)));
  return [
    {
      id: 'valkey-first-call',
      short: 'Valkey: first call',
      title: 'Valkey: first call of a new key (single handler)',
      recordsPerIteration: 1,
      iterations: scaled(800),
      warmup: warm(150),
      contenders: [single(library, variant, ours ? oursHandler(env) : powertoolsHandler(env))],
    },
    {
      id: 'valkey-sqs-standard',
      short: 'Valkey: SQS standard ×10',
      title: `Valkey: SQS standard queue, batches of ${BATCH_SIZE}`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(300),
      warmup: warm(60),
      contenders: [batch(library, variant, standardBatch, ours ? oursBatch(env) : powertoolsBatch(env, false))],
    },
    {
      id: 'valkey-sqs-fifo-10',
      short: 'Valkey: SQS FIFO ×10, 10 groups',
      title: `Valkey: SQS FIFO, batches of ${BATCH_SIZE} in 10 groups`,
      recordsPerIteration: BATCH_SIZE,
      iterations: scaled(300),
      warmup: warm(60),
      contenders: [batch(library, variant, fifoBatch, ours ? oursBatch(env) : powertoolsBatch(env, true))],
    },
  ];
}
