/**
 * What the DynamoDB and the Valkey scenarios build their contenders from: the Lambda context, the business work,
 * SQS batches of orders, each library's documented batch pattern (only the store differs), and the contenders
 * that time one invocation or one batch per iteration.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldOnce } from 'node:timers/promises';
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsBatchOptions } from '../lib/sqs';
import { createLambdaContext } from '../lib/testing';
import { fifoRecord, sqsEvent, sqsRecord } from '../test/helpers/sqs-events';
import type { Contender } from './scenario-types';
import { oursSqs } from './ours';

// Ours as built (bench/ours.ts): `npm run bench` loads dist/lib, quick runs the sources.
const { processSqsBatch } = oursSqs;

/** Records per SQS batch (Lambda's default batch size). */
export const BATCH_SIZE = 10;
/** Lambda timeout of the simulated invocations. */
const TIMEOUT_MS = 30_000;

/** A fresh Lambda context of the simulated function. */
export function context(): Context {
  return createLambdaContext({ timeoutMs: TIMEOUT_MS, functionName: 'bench-function' });
}

/** The business work of every scenario: a tiny asynchronous effect. */
export async function work(): Promise<void> {
  await yieldOnce();
}

/** The body of an SQS message carrying a new order. */
export function orderBody(): string {
  return JSON.stringify({ orderId: randomUUID(), amount: 129.9, currency: 'EUR' });
}

/** A standard-queue batch of `size` new orders. */
export function standardBatch(size = BATCH_SIZE): SQSEvent {
  return sqsEvent(Array.from({ length: size }, () => sqsRecord({ body: orderBody() })));
}

/** A FIFO batch of `BATCH_SIZE` records spread round-robin over `groups` message groups. */
export function fifoBatch(groups: number): SQSEvent {
  const batchId = randomUUID();
  return sqsEvent(
    Array.from({ length: BATCH_SIZE }, (_, index) =>
      fifoRecord(`group-${index % groups}`, `${batchId}-${index}`, 18_000_000_000_000_000_000n + BigInt(index), orderBody()),
    ),
  );
}

/** Timed iterations: `iterations` times the run's scale, never below 10. */
export function scaledIterations(scale: number, iterations: number): number {
  return Math.max(10, Math.round(iterations * scale));
}

/** Warm-up iterations: scaled down for quick runs, never below 20 (the JIT needs them). */
export function warmupIterations(scale: number, iterations: number): number {
  return Math.max(20, Math.round(iterations * Math.min(scale, 1)));
}

/** A handler, and how many times its business work has run so far. */
export interface Counted<THandler> {
  readonly handler: THandler;
  readonly executions: () => number;
}

export type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Each iteration: one invocation with a new event (`makeEvent`), which runs the work once. */
export function firstCall<TEvent>(
  library: Contender['library'],
  variant: string,
  make: () => Counted<(event: TEvent, context: Context) => Promise<unknown>>,
  makeEvent: () => TEvent,
): Contender {
  const { handler, executions } = make();
  return {
    library,
    variant,
    expect: { executions: 1, failures: 0 },
    prepare() {
      const event = makeEvent();
      const ctx = context();
      return async () => {
        const before = executions();
        await handler(event, ctx);
        return { executions: executions() - before, failures: 0 };
      };
    },
  };
}

/**
 * Each iteration: one batch of `size` new records (`makeEvent`: SQS by default, or a stream's), each of which runs
 * the work once.
 */
export function batchContender<TEvent = SQSEvent>(
  library: Contender['library'],
  variant: string,
  makeEvent: () => TEvent,
  make: () => Counted<(event: TEvent, context: Context) => Promise<{ readonly batchItemFailures: readonly unknown[] }>>,
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
 * handler, key `messageId`, the Lambda context registered, `processPartialResponse`; on the store `persistenceStore` makes.
 */
export function powertoolsBatch(persistenceStore: () => BasePersistenceLayer, fifo: boolean): () => Counted<BatchHandler> {
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
      { persistenceStore: persistenceStore(), config },
    );
    const handler: BatchHandler = async (event, ctx) => {
      config.registerLambdaContext(ctx);
      return processPartialResponse(event, processIdempotently, processor, { context: ctx });
    };
    return { handler, executions: () => executions };
  };
}

/** Ours: `processSqsBatch` with the options `options` makes, defined once; `{ ...options, context }` per call. */
export function oursBatch(options: () => SqsBatchOptions<unknown>): () => Counted<BatchHandler> {
  return () => {
    let executions = 0;
    const defined = options();
    const recordHandler = async (): Promise<void> => {
      executions += 1;
      await work();
    };
    const handler: BatchHandler = (event, ctx) => processSqsBatch(event, recordHandler, { ...defined, context: ctx });
    return { handler, executions: () => executions };
  };
}
