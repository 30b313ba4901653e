import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { startLocalEventSource, TestKitConfigError } from '../../lib/testing';
import type { LocalEventSource, LocalEventSourceOptions } from '../../lib/testing';
import { createTestQueue, sqsClient } from '../helpers/local';

/** A promise with its resolve function, to await what a handler observes instead of sleeping. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function send(queueUrl: string, bodies: string[], fifoGroup?: string): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          ...(fifoGroup === undefined ? {} : { MessageGroupId: fifoGroup, MessageDeduplicationId: body }),
        })),
      }),
    );
  }
}

async function messagesLeft(queueUrl: string): Promise<number> {
  const { Attributes } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

const started: LocalEventSource[] = [];
function start(options: Omit<LocalEventSourceOptions, 'client'>): LocalEventSource {
  const source = startLocalEventSource({ client: sqsClient(), ...options });
  started.push(source);
  return source;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((source) => source.stop()));
});

describe('startLocalEventSource: the event', () => {
  it('has the exact shape Lambda sends for a standard queue', async () => {
    const { queueUrl, queueArn } = await createTestQueue('shape');
    const messageAttributes: Record<string, MessageAttributeValue> = {
      text: { DataType: 'String', StringValue: 'hello' },
      count: { DataType: 'Number', StringValue: '42' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
    };
    const sentAt = Date.now();
    const { MessageId } = await sqsClient().send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"order":1}', MessageAttributes: messageAttributes }),
    );
    const received = deferred<{ event: SQSEvent; context: Context }>();

    start({ queueUrl, handler: (event, context) => received.resolve({ event, context }) });
    const { event } = await received.promise;

    expect(Object.keys(event)).toEqual(['Records']);
    expect(event.Records).toHaveLength(1);
    const record = event.Records[0] as SQSRecord;
    expect(Object.keys(record).sort()).toEqual(
      [
        'attributes',
        'awsRegion',
        'body',
        'eventSource',
        'eventSourceARN',
        'md5OfBody',
        'md5OfMessageAttributes',
        'messageAttributes',
        'messageId',
        'receiptHandle',
      ].sort(),
    );
    expect(record.messageId).toBe(MessageId);
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(record.receiptHandle).not.toBe('');
    expect(record.body).toBe('{"order":1}');
    expect(record.md5OfBody).toBe(createHash('md5').update('{"order":1}').digest('hex'));
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(record.eventSource).toBe('aws:sqs');
    expect(record.eventSourceARN).toBe(queueArn);
    expect(record.awsRegion).toBe('us-east-1');
    expect(Object.keys(record.attributes).sort()).toEqual(
      ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp'].sort(),
    );
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(record.attributes.SenderId).toEqual(expect.any(String));
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(record.attributes.SentTimestamp));
    expect(record.messageAttributes).toEqual({
      text: { stringValue: 'hello', stringListValues: [], binaryListValues: [], dataType: 'String' },
      count: { stringValue: '42', stringListValues: [], binaryListValues: [], dataType: 'Number' },
      blob: {
        binaryValue: Buffer.from('bytes').toString('base64'),
        stringListValues: [],
        binaryListValues: [],
        dataType: 'Binary',
      },
    });
  });

  it('carries MessageGroupId, MessageDeduplicationId and SequenceNumber from a FIFO queue', async () => {
    const { queueUrl, queueArn } = await createTestQueue('shape', { fifo: true });
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'first',
        MessageGroupId: 'customer-7',
        MessageDeduplicationId: 'dedup-1',
      }),
    );
    const received = deferred<SQSEvent>();

    start({ queueUrl, handler: (event) => received.resolve(event) });
    const record = (await received.promise).Records[0] as SQSRecord;

    expect(record.eventSourceARN).toBe(queueArn);
    expect(record.eventSourceARN).toMatch(/\.fifo$/);
    expect(record.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d{13}$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      MessageGroupId: 'customer-7',
      MessageDeduplicationId: 'dedup-1',
      SequenceNumber: expect.stringMatching(/^\d+$/),
    });
    expect(record.messageAttributes).toEqual({});
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
  });

  it('passes a Lambda context whose remaining time counts down from `timeoutMs`', async () => {
    const { queueUrl } = await createTestQueue('context');
    await send(queueUrl, ['a']);
    const received = deferred<{ remaining: number; context: Context }>();

    start({
      queueUrl,
      timeoutMs: 5_000,
      functionName: 'orders-consumer',
      handler: (_event, context) => received.resolve({ remaining: context.getRemainingTimeInMillis(), context }),
    });
    const { remaining, context } = await received.promise;

    expect(remaining).toBeGreaterThan(4_000);
    expect(remaining).toBeLessThanOrEqual(5_000);
    expect(context.functionName).toBe('orders-consumer');
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:orders-consumer');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('startLocalEventSource: deletes what succeeded', () => {
  it('deletes every record of a batch whose handler returns normally', async () => {
    const { queueUrl } = await createTestQueue('ok');
    await send(queueUrl, ['1', '2', '3']);
    const seen: string[] = [];

    const source = start({ queueUrl, handler: (event) => void seen.push(...event.Records.map((r) => r.body)) });
    await source.idle();

    expect(seen.sort()).toEqual(['1', '2', '3']);
    expect(source.stats).toMatchObject({ messagesDelivered: 3, deletes: 3, failures: 0, handlerErrors: 0 });
    expect(await messagesLeft(queueUrl)).toBe(0);
  });

  it('redelivers only the records reported in batchItemFailures', async () => {
    const { queueUrl } = await createTestQueue('partial', { visibilityTimeout: 1 });
    await send(queueUrl, ['ok-1', 'fail', 'ok-2']);
    const deliveries: Array<{ body: string; receiveCount: string }> = [];
    const redelivered = deferred<SQSRecord>();

    const source = start({
      queueUrl,
      handler: (event) => {
        const failed: SQSRecord[] = [];
        for (const record of event.Records) {
          deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
          if (record.attributes.ApproximateReceiveCount !== '1') redelivered.resolve(record);
          else if (record.body === 'fail') failed.push(record);
        }
        return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    const again = await redelivered.promise;
    await source.idle();

    expect(again.body).toBe('fail');
    expect(again.attributes.ApproximateReceiveCount).toBe('2');
    expect(deliveries.filter((d) => d.body.startsWith('ok'))).toHaveLength(2);
    expect(deliveries.filter((d) => d.body === 'fail')).toEqual([
      { body: 'fail', receiveCount: '1' },
      { body: 'fail', receiveCount: '2' },
    ]);
    expect(source.stats).toMatchObject({ failures: 1, deletes: 3, handlerErrors: 0 });
    expect(await messagesLeft(queueUrl)).toBe(0);
  });

  it('deletes nothing when the handler throws, and records the error', async () => {
    const { queueUrl } = await createTestQueue('throw', { visibilityTimeout: 1 });
    await send(queueUrl, ['a', 'b']);
    const secondTry = deferred<SQSRecord[]>();
    let calls = 0;

    const source = start({
      queueUrl,
      handler: (event) => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        secondTry.resolve(event.Records);
      },
    });
    const records = await secondTry.promise;

    expect(records.map((r) => r.body).sort()).toEqual(['a', 'b']);
    expect(records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
    expect(source.stats).toMatchObject({ failures: 2, handlerErrors: 1 });
    expect(source.errors[0]).toEqual({ kind: 'handler', error: new Error('boom') });
  });

  it('fails the whole batch when batchItemFailures names a record that is not in the batch', async () => {
    const { queueUrl } = await createTestQueue('unknown-id', { visibilityTimeout: 1 });
    await send(queueUrl, ['a', 'b']);
    const secondTry = deferred<SQSRecord[]>();
    let calls = 0;

    const source = start({
      queueUrl,
      handler: (event) => {
        calls += 1;
        if (calls === 1) return { batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] };
        secondTry.resolve(event.Records);
        return { batchItemFailures: [] };
      },
    });
    const records = await secondTry.promise;

    expect(records.map((r) => r.body).sort()).toEqual(['a', 'b']);
    expect(source.stats).toMatchObject({ failures: 2, handlerErrors: 1 });
    expect(source.errors[0]?.kind).toBe('invalid-response');
  });

  it('ignores batchItemFailures when reportBatchItemFailures is false', async () => {
    const { queueUrl } = await createTestQueue('no-report');
    await send(queueUrl, ['a']);

    const source = start({
      queueUrl,
      reportBatchItemFailures: false,
      handler: (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }),
    });
    await source.idle();

    expect(source.stats).toMatchObject({ deletes: 1, failures: 0 });
    expect(await messagesLeft(queueUrl)).toBe(0);
  });

  it('fails the batch of a handler that runs past timeoutMs, and stop() waits for the handler', async () => {
    const { queueUrl } = await createTestQueue('timeout', { visibilityTimeout: 30 });
    await send(queueUrl, ['slow']);
    const release = deferred();
    let finished = false;

    const source = start({
      queueUrl,
      timeoutMs: 100,
      handler: async () => {
        await release.promise;
        finished = true;
      },
    });
    await source.idle();

    expect(source.stats).toMatchObject({ timeouts: 1, handlerErrors: 1, failures: 1, deletes: 0 });
    expect(source.errors[0]?.kind).toBe('timeout');
    expect(String((source.errors[0]?.error as Error).message)).toBe('Task timed out after 0.10 seconds');
    const stopping = source.stop();
    release.resolve();
    await stopping;
    expect(finished).toBe(true);
  });
});

describe('startLocalEventSource: FIFO queues', () => {
  it('delivers the messages of one group in order and deletes them', async () => {
    const { queueUrl } = await createTestQueue('fifo', { fifo: true });
    await send(queueUrl, ['m1', 'm2', 'm3', 'm4'], 'group-a');
    const order: string[] = [];

    const source = start({ queueUrl, handler: (event) => void order.push(...event.Records.map((r) => r.body)) });
    await source.idle();

    expect(order).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(await messagesLeft(queueUrl)).toBe(0);
  });
});

describe('startLocalEventSource: pollers', () => {
  it('runs up to `pollers` invocations at once and delivers each message once', async () => {
    const { queueUrl } = await createTestQueue('pollers');
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    let active = 0;
    let maxActive = 0;
    const seen: string[] = [];
    const allStarted = deferred();

    const source = start({
      queueUrl,
      pollers: 3,
      batchSize: 1,
      handler: async (event) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        seen.push(...event.Records.map((r) => r.body));
        if (active === 3) allStarted.resolve();
        await allStarted.promise;
        active -= 1;
      },
    });
    await send(queueUrl, bodies);
    await source.idle();

    expect(maxActive).toBe(3);
    expect(seen.sort()).toEqual([...bodies].sort());
    expect(source.stats).toMatchObject({ invocations: 12, deletes: 12, failures: 0 });
  });
});

describe('startLocalEventSource: idle() and stop()', () => {
  it('idle() resolves on an empty queue after one empty receive', async () => {
    const { queueUrl } = await createTestQueue('empty');

    const source = start({ queueUrl, handler: () => undefined });
    await source.idle();

    expect(source.stats.emptyReceives).toBeGreaterThanOrEqual(1);
    expect(source.stats.invocations).toBe(0);
  });

  it('stop() waits for the running batch, then invokes nothing more', async () => {
    const { queueUrl } = await createTestQueue('stop');
    await send(queueUrl, ['first']);
    const inHandler = deferred();
    const release = deferred();
    const bodies: string[] = [];

    const source = start({
      queueUrl,
      handler: async (event) => {
        bodies.push(...event.Records.map((r) => r.body));
        inHandler.resolve();
        await release.promise;
      },
    });
    await inHandler.promise;
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await send(queueUrl, ['after-stop']);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;

    expect(bodies).toEqual(['first']);
    expect(source.stats.deletes).toBe(1);
    expect(await messagesLeft(queueUrl)).toBe(1);
  });

  it('stop() is idempotent and a pending idle() resolves', async () => {
    const { queueUrl } = await createTestQueue('stop-twice');
    const source = start({ queueUrl, handler: () => undefined, waitTimeSeconds: 2 });

    const idle = source.idle();
    await Promise.all([source.stop(), source.stop()]);

    await expect(idle).resolves.toBeUndefined();
  });
});

describe('startLocalEventSource: options', () => {
  it.each([
    ['batchSize', { batchSize: 11 }, 'Expected `batchSize` to be an integer from 1 to 10, got 11'],
    ['pollers', { pollers: 0 }, 'Expected `pollers` to be an integer from 1 to 100, got 0'],
    ['waitTimeSeconds', { waitTimeSeconds: 21 }, 'Expected `waitTimeSeconds` to be an integer from 0 to 20, got 21'],
    ['visibilityTimeout', { visibilityTimeout: -1 }, 'Expected `visibilityTimeout` to be an integer from 0 to 43200, got -1'],
    ['timeoutMs', { timeoutMs: 0 }, 'Expected `timeoutMs` to be a positive number, got 0'],
    [
      'an unknown option',
      { batchsize: 5 },
      'Unknown option `batchsize` of startLocalEventSource: did you mean `batchSize`? (known options: client, queueUrl, handler, batchSize, pollers, waitTimeSeconds, visibilityTimeout, timeoutMs, reportBatchItemFailures, functionName, region)',
    ],
    ['queueUrl', { queueUrl: 'http://127.0.0.1:1/' }, 'Expected `queueUrl` to end with /ACCOUNT_ID/QUEUE_NAME, got `http://127.0.0.1:1/`'],
  ])('rejects an invalid %s, naming the value', (_name, bad, message) => {
    const options = { client: sqsClient(), queueUrl: 'http://sqs.us-east-1.localhost/000000000000/q', handler: () => undefined };

    expect(() => startLocalEventSource({ ...options, ...bad })).toThrow(new TestKitConfigError(message));
  });
});
