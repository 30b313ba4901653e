/**
 * Type tests of processSqsBatch's public API: the library's own SQS shapes are interchangeable with
 * `@types/aws-lambda`'s, and the parsed body type flows from `parse` or the type argument into the handler,
 * the key and the fingerprint. `tsc --noEmit` checks this file; the `@ts-expect-error` lines must stay errors.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from 'aws-lambda';
import { InMemoryStore } from '../../lib';
import {
  processSqsBatch,
  type SqsBatchOptions,
  type SqsBatchResponse,
  type SqsClientLike,
  type SqsEvent,
  type SqsRecord,
} from '../../lib/sqs';
import { jsonRecord } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';

interface Order {
  orderId: string;
  amount: number;
}

const store = new InMemoryStore();

describe('the public types', () => {
  it('accept a Lambda SQSEvent and Context and return an SQSBatchResponse', async () => {
    const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
      processSqsBatch<Order>(event, async (_record, { body }) => body.amount * 2, {
        store,
        key: (_record, { body }) => body.orderId,
        context,
      });
    const asSqsHandler: SQSHandler = handler;
    expect(typeof asSqsHandler).toBe('function');
    await expect(handler(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 2 })]), lambdaContext())).resolves.toEqual({
      batchItemFailures: [],
    });
  });

  it('accept a record handler written against @types/aws-lambda', async () => {
    const seen: string[] = [];
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      seen.push(record.messageId);
    };
    const event: SQSEvent = sqsEvent([jsonRecord({})]);
    await processSqsBatch(event, recordHandler);
    expect(seen).toEqual([event.Records[0]?.messageId]);
  });

  it('are interchangeable with their @types/aws-lambda counterparts', () => {
    const lambdaEvent: SQSEvent = sqsEvent([jsonRecord({})]);
    const ours: SqsEvent = lambdaEvent;
    const back: SQSEvent = ours;
    const record: SqsRecord = lambdaEvent.Records[0] as SQSRecord;
    const lambdaRecord: SQSRecord = record;
    const response: SQSBatchResponse = { batchItemFailures: [] } satisfies SqsBatchResponse;
    expect([back, lambdaRecord, response]).toHaveLength(3);
  });

  it('infer the body type from parse', async () => {
    const bodies: number[] = [];
    await processSqsBatch(sqsEvent([jsonRecord({})]), async (_record, { body }) => void bodies.push(body.length), {
      parse: (text: string) => text.split(','),
    });
    expect(bodies).toEqual([1]);
  });

  it('give the body type to key and fingerprint functions, and refuse a wrong field', () => {
    const options: SqsBatchOptions<Order> = {
      store,
      key: (_record, { body }) => body.orderId,
      fingerprint: (_record, { body }) => body.amount,
    };
    const wrong: SqsBatchOptions<Order> = {
      store,
      // @ts-expect-error -- Order has no customerId
      key: (_record, { body }) => body.customerId,
    };
    expect([options, wrong]).toHaveLength(2);
  });

  it('take an SQSClient of @aws-sdk/client-sqs as the visibility client', () => {
    const client = new SQSClient({ region: 'us-east-1' });
    const likeIt: SqsClientLike = client;
    const options: SqsBatchOptions = { visibility: { client } };
    expect([likeIt, options]).toHaveLength(2);
    client.destroy();
  });

  it('refuse an unknown option at compile time too', () => {
    // @ts-expect-error -- a typo
    const options: SqsBatchOptions = { concurency: 3 };
    // @ts-expect-error -- not one of 'skip-group' | 'stop'
    const fifo: SqsBatchOptions = { fifoOnFailure: 'skip' };
    expect([options, fifo]).toHaveLength(2);
  });
});
