/**
 * processSqsBatch run with @types/aws-lambda's event, context and record shapes. The compile-time side of
 * these shapes (both directions, and the body type flowing from `parse` or the type argument) is checked
 * by test/types/sqs.types.ts.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InMemoryStore } from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { jsonRecord } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';

interface Order {
  orderId: string;
  amount: number;
}

const store = new InMemoryStore();

describe('processSqsBatch with @types/aws-lambda shapes', () => {
  it('takes a Lambda SQSEvent and Context and returns an SQSBatchResponse', async () => {
    const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
      processSqsBatch<Order>(event, async (_record, { body }) => body.amount * 2, {
        store,
        key: (_record, { body }) => body.orderId,
        context,
      });
    await expect(handler(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 2 })]), lambdaContext())).resolves.toEqual({
      batchItemFailures: [],
    });
  });

  it('passes each record to a record handler written against @types/aws-lambda', async () => {
    const seen: string[] = [];
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      seen.push(record.messageId);
    };
    const event: SQSEvent = sqsEvent([jsonRecord({})]);
    await processSqsBatch(event, recordHandler);
    expect(seen).toEqual([event.Records[0]?.messageId]);
  });

  it('gives the handler the body that parse returns', async () => {
    const bodies: string[][] = [];
    await processSqsBatch(sqsEvent([jsonRecord({})]), async (_record, { body }) => void bodies.push(body), {
      parse: (text: string) => text.split(','),
    });
    expect(bodies).toEqual([['{}']]);
  });
});
