/**
 * The `visibility` option: the batch's unfinished messages stay invisible (ChangeMessageVisibilityBatch)
 * and an explicit lease is renewed while long handlers run; both stop when the batch is done. Jest's fake
 * timers drive the clock: no test waits for real seconds.
 */
import { ChangeMessageVisibilityBatchCommand, type ChangeMessageVisibilityBatchCommandInput } from '@aws-sdk/client-sqs';
import { InMemoryStore } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { queueUrlFromArn } from '../../lib/sqs/visibility';
import { failedIds, gate, jsonRecord, recordingLogger, recordingStore, settle, type Order } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';

/** An SQS client stand-in that records the commands it is sent (a real server cannot be slowed down). */
function fakeSqsClient(reply: (input: ChangeMessageVisibilityBatchCommandInput) => unknown = () => ({ Successful: [], Failed: [] })) {
  const sent: ChangeMessageVisibilityBatchCommandInput[] = [];
  const commands: unknown[] = [];
  return {
    sent,
    commands,
    send: jest.fn(async (command: ChangeMessageVisibilityBatchCommand) => {
      commands.push(command);
      sent.push(command.input);
      return reply(command.input);
    }),
  };
}

/** Receipt handles of each request, in order. */
const handles = (sent: readonly ChangeMessageVisibilityBatchCommandInput[]) =>
  sent.map((input) => (input.Entries ?? []).map((e) => e.ReceiptHandle));

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});
afterEach(() => {
  jest.useRealTimers();
});

const orderKey = (_r: unknown, { body }: { body: Order }): string => body.orderId;

describe('visibility extension', () => {
  it('extends every message of the batch when the batch starts, on the queue of its ARN', async () => {
    const client = fakeSqsClient();
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 })];
    await processSqsBatch(sqsEvent(records), async () => undefined, { visibility: { client } });
    expect(client.commands[0]).toBeInstanceOf(ChangeMessageVisibilityBatchCommand);
    expect(client.sent).toEqual([
      {
        QueueUrl: 'https://sqs.us-east-2.amazonaws.com/123456789012/my-queue',
        Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle, VisibilityTimeout: 60 })),
      },
    ]);
  });

  it("sends the extensions to the queueUrl given, for endpoints whose URLs are not AWS's", async () => {
    const client = fakeSqsClient();
    const queueUrl = 'http://127.0.0.1:4566/000000000000/my-queue';
    await processSqsBatch(sqsEvent([jsonRecord({ n: 1 })]), async () => undefined, { visibility: { client, queueUrl } });
    expect(client.sent.map((input) => input.QueueUrl)).toEqual([queueUrl]);
  });

  it('extends again each extendBySeconds - extendWhenRemainingSeconds, only the messages not finished', async () => {
    const client = fakeSqsClient();
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 }), jsonRecord({ n: 3 })];
    const g = gate();
    const pending = processSqsBatch(sqsEvent(records), (record) => g.enter(record.messageId), {
      visibility: { client, extendBySeconds: 30, extendWhenRemainingSeconds: 10 },
    });
    await g.running(3);
    await settle();
    expect(client.sent).toHaveLength(1);
    g.release(records[1]!.messageId);
    await settle();
    await jest.advanceTimersByTimeAsync(19_999);
    expect(client.sent).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(handles(client.sent)[1]).toEqual([records[0]!.receiptHandle, records[2]!.receiptHandle]);
    expect(client.sent[1]?.Entries?.[0]?.VisibilityTimeout).toBe(30);
    g.open();
    await pending;
  });

  it('stops extending when the batch is done', async () => {
    const client = fakeSqsClient();
    const g = gate();
    const pending = processSqsBatch(sqsEvent([jsonRecord({ n: 1 })]), (record) => g.enter(record.messageId), {
      visibility: { client, extendBySeconds: 10, extendWhenRemainingSeconds: 5 },
    });
    await g.running(1);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(client.sent).toHaveLength(2);
    g.open();
    await pending;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(client.sent).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends at most 10 messages per request, as SQS requires', async () => {
    const client = fakeSqsClient();
    const records = Array.from({ length: 23 }, (_, n) => jsonRecord({ n }));
    await processSqsBatch(sqsEvent(records), async () => undefined, { visibility: { client } });
    expect(handles(client.sent).map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(handles(client.sent).flat()).toEqual(records.map((r) => r.receiptHandle));
  });

  it('logs the messages SQS could not extend, and the records still succeed', async () => {
    const logger = recordingLogger();
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 })];
    const client = fakeSqsClient(() => ({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle has expired', SenderFault: true }],
    }));
    const response = await processSqsBatch(sqsEvent(records), async () => undefined, { visibility: { client }, logger });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logger.messages('warn')).toEqual([
      `Could not extend the visibility timeout of SQS message ${records[1]!.messageId} (ReceiptHandleIsInvalid: The receipt handle has expired)`,
    ]);
  });

  it('logs a failed request, and the records still succeed', async () => {
    const logger = recordingLogger();
    const record = jsonRecord({ n: 1 });
    const client = fakeSqsClient(() => {
      throw new Error('socket hang up');
    });
    const response = await processSqsBatch(sqsEvent([record]), async () => undefined, { visibility: { client }, logger });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logger.messages('warn')).toEqual([
      `Could not extend the visibility timeout of SQS messages ${record.messageId} on https://sqs.us-east-2.amazonaws.com/123456789012/my-queue`,
    ]);
  });

  it('does not extend finished records of a failed batch (they come back when their timeout ends)', async () => {
    const client = fakeSqsClient();
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 })];
    const g = gate();
    const pending = processSqsBatch(
      sqsEvent(records),
      async (record) => {
        await g.enter(record.messageId);
        throw new Error('declined');
      },
      { visibility: { client, extendBySeconds: 10, extendWhenRemainingSeconds: 5 }, logger: recordingLogger() },
    );
    await g.running(2);
    g.release(records[0]!.messageId);
    await settle();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(handles(client.sent)[1]).toEqual([records[1]!.receiptHandle]);
    g.open();
    expect(failedIds(await pending)).toEqual(records.map((r) => r.messageId));
  });
});

describe('lease renewal', () => {
  it('renews an explicit leaseSeconds lease before it ends, while the handler runs', async () => {
    const store = recordingStore();
    const g = gate();
    const options: SqsBatchOptions<Order> = {
      store,
      key: orderKey,
      leaseSeconds: 30,
      visibility: { client: fakeSqsClient(), extendBySeconds: 60, extendWhenRemainingSeconds: 20 },
    };
    const pending = processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), () => g.enter('o-1'), options);
    await g.running(1);
    const claimedAt = Date.now();
    await jest.advanceTimersByTimeAsync(9_999);
    expect(store.calls.extendLease).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(store.calls.extendLease).toEqual([{ key: store.calls.claim[0]!.key, leaseUntil: claimedAt + 10_000 + 30_000 }]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(store.calls.extendLease).toHaveLength(2);
    g.open();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(store.calls.extendLease).toHaveLength(2);
  });

  it('renews a lease shorter than extendWhenRemainingSeconds at its half-life', async () => {
    const store = recordingStore();
    const g = gate();
    const pending = processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), () => g.enter('o-1'), {
      store,
      key: orderKey,
      leaseSeconds: 4,
      visibility: { client: fakeSqsClient(), extendBySeconds: 60, extendWhenRemainingSeconds: 20 },
    });
    await g.running(1);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(store.calls.extendLease).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(store.calls.extendLease).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(store.calls.extendLease).toHaveLength(2);
    g.open();
    await pending;
  });

  it('never renews a lease beyond the invocation remaining time', async () => {
    const store = recordingStore();
    const g = gate();
    const context = lambdaContext({ timeoutMs: 25_000 });
    const pending = processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), () => g.enter('o-1'), {
      store,
      key: orderKey,
      leaseSeconds: 20,
      context,
      visibility: { client: fakeSqsClient(), extendBySeconds: 60, extendWhenRemainingSeconds: 10 },
    });
    await g.running(1);
    const start = Date.now();
    await jest.advanceTimersByTimeAsync(10_000);
    // 15 s left in the invocation, less the 1 s safety margin: 14 s, not the 20 s of leaseSeconds.
    expect(store.calls.extendLease).toEqual([{ key: expect.any(String), leaseUntil: start + 10_000 + 14_000 }]);
    g.open();
    await pending;
  });

  it('does not renew a lease taken from the Lambda context (it already lasts the invocation)', async () => {
    const store = recordingStore();
    const g = gate();
    const pending = processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), () => g.enter('o-1'), {
      store,
      key: orderKey,
      context: lambdaContext({ timeoutMs: 900_000 }),
      visibility: { client: fakeSqsClient(), extendBySeconds: 30, extendWhenRemainingSeconds: 10 },
    });
    await g.running(1);
    await jest.advanceTimersByTimeAsync(600_000);
    expect(store.calls.extendLease).toEqual([]);
    g.open();
    await pending;
  });

  it('keeps the record acknowledged when the batch has a store and visibility (the usual long-handler setup)', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn();
    const options: SqsBatchOptions<Order> = { store, key: orderKey, leaseSeconds: 30, visibility: { client: fakeSqsClient() } };
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, options);
    await expect(processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, options)).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('the queue URL', () => {
  it.each([
    ['arn:aws:sqs:eu-west-1:111122223333:orders.fifo', 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders.fifo'],
    ['arn:aws-cn:sqs:cn-north-1:111122223333:orders', 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/orders'],
    ['arn:aws-us-gov:sqs:us-gov-west-1:111122223333:orders', 'https://sqs.us-gov-west-1.amazonaws.com/111122223333/orders'],
  ])('of %s is %s', (arn, url) => {
    expect(queueUrlFromArn(arn)).toBe(url);
  });
});

describe('@aws-sdk/client-sqs', () => {
  it('is loaded only when a batch uses the visibility option', async () => {
    let loaded = 0;
    jest.useRealTimers();
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-sdk/client-sqs', () => {
        loaded += 1;
        return jest.requireActual('@aws-sdk/client-sqs');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { processSqsBatch: isolated } = require('../../lib/sqs') as typeof import('../../lib/sqs');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../lib');
      await isolated(sqsEvent([jsonRecord({ n: 1 })]), async () => undefined);
      expect(loaded).toBe(0);
      await isolated(sqsEvent([jsonRecord({ n: 1 })]), async () => undefined, { visibility: { client: fakeSqsClient() } });
      expect(loaded).toBe(1);
    });
  });
});
