/**
 * The stream scenario's contenders (issue 28): a Kinesis batch of `BATCH_SIZE` records of one shard, ordinary
 * JSON orders, keyed on the payload's `orderId`, the same trivial work as the SQS scenarios. Each library is
 * configured as its documentation shows for Kinesis; the floor's contenders are in bench/floor.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent as makeIdempotentPowertools } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { IdempotencyStore } from '../lib';
import { kinesisEvent, kinesisRecords } from '../test/helpers/stream-events';
import { BATCH_SIZE, batchContender, work, type Counted } from './contenders';
import { oursStreams } from './ours';
import type { Contender } from './scenario-types';

// Ours as built (bench/ours.ts): `npm run bench` loads dist/lib, quick runs the sources.
const { processStreamBatch } = oursStreams;

export type StreamHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

/** An order as a producer puts it on the stream. */
// A type, not an interface: the event factory takes it as a plain JSON object.
type OrderPlaced = {
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
};

/**
 * A Kinesis batch of `size` new orders, consecutive records of one shard. Each batch starts at a random
 * sequence number, so that event ids (the floor's keys) never repeat between batches.
 */
export function kinesisBatch(size = BATCH_SIZE): KinesisStreamEvent {
  const orders: OrderPlaced[] = Array.from({ length: size }, () => ({ orderId: randomUUID(), amount: 129.9, currency: 'EUR' }));
  return kinesisEvent(kinesisRecords(orders, { first: BigInt(`0x${randomBytes(12).toString('hex')}`) }));
}

/** The incumbent's processing mode of a shard's records. */
export type PowertoolsOrder = 'in order' | 'parallel';

/**
 * The incumbent's documented batch pattern for Kinesis: `BatchProcessor(EventType.KinesisDataStreams)`,
 * `processPartialResponse`, `makeIdempotent` on the record handler with the Lambda context registered, keyed on
 * the payload's `orderId` with Powertools' own JMESPath functions (`powertools_json(powertools_base64(…))`).
 *
 * Order: Powertools' `BatchProcessor` runs a batch's records in parallel (`Promise.all`) unless
 * `processInParallel: false` (2.x), and its Kinesis example leaves the default. A shard's records are ordered,
 * and ours and the floor keep that order, so the reference (`'in order'`) sets `processInParallel: false`, the
 * option Powertools offers for records that must run one at a time; `'parallel'` is its default, shown beside
 * it.
 */
export function powertoolsKinesis(persistenceStore: () => BasePersistenceLayer, order: PowertoolsOrder): () => Counted<StreamHandler> {
  return () => {
    let executions = 0;
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'powertools_json(powertools_base64(kinesis.data)).orderId' });
    const processIdempotently = makeIdempotentPowertools(
      async (record: KinesisStreamRecord) => {
        executions += 1;
        JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
        await work();
      },
      { persistenceStore: persistenceStore(), config },
    );
    const handler: StreamHandler = async (event, ctx) => {
      config.registerLambdaContext(ctx);
      return processPartialResponse(event, processIdempotently, processor, {
        context: ctx,
        ...(order === 'in order' ? { processInParallel: false } : {}),
      });
    };
    return { handler, executions: () => executions };
  };
}

/**
 * Ours: `processStreamBatch` with the key on the decoded payload's `orderId`, options defined once and
 * `{ ...options, context }` per call (records of a shard run in order; claims go 25 ahead in one request).
 */
export function oursKinesis(store: () => IdempotencyStore, name: string): () => Counted<StreamHandler> {
  return () => {
    let executions = 0;
    const options = { store: store(), name, key: (_record: unknown, { data }: { readonly data: OrderPlaced }) => data.orderId };
    const recordHandler = async (): Promise<void> => {
      executions += 1;
      await work();
    };
    const handler: StreamHandler = (event, ctx) => processStreamBatch<OrderPlaced>(event, recordHandler, { ...options, context: ctx });
    return { handler, executions: () => executions };
  };
}

/** Each iteration: one Kinesis batch of `size` new records, each of which runs the work once. */
export function streamContender(
  library: Contender['library'],
  variant: string,
  make: () => Counted<StreamHandler>,
  size = BATCH_SIZE,
): Contender {
  return batchContender(library, variant, () => kinesisBatch(size), make, size);
}
