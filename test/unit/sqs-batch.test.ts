/**
 * processSqsBatch on standard queues: the partial batch response, parsing, concurrency and the idempotency
 * rules, from real SQS event shapes (test/helpers/sqs-events.ts).
 */
import {
  downstreamKey,
  step,
  IdempotencyConfigError,
  IdempotencyKeyError,
  IdempotencyPayloadMismatchError,
  InMemoryStore,
} from '../../lib';
import { releaseSqsRecord } from '../../lib/sqs';
import { hashValue } from '../../lib/keys/hash';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { manualClock } from '../helpers/clock';
import { deferred, failedIds, gate, jsonRecord, recordingLogger, recordingStore, settle, type Order } from '../helpers/sqs-batches';
import { fifoRecord, lambdaContext, sqsEvent, sqsRecord } from '../helpers/sqs-events';

const orderKey = (_record: unknown, { body }: { body: Order }): string => body.orderId;

describe('the batch response', () => {
  it('reports no failure when every record succeeds', async () => {
    const seen: unknown[] = [];
    const event = sqsEvent([jsonRecord({ orderId: 'a' }), jsonRecord({ orderId: 'b' })]);
    const response = await processSqsBatch(event, async (_record, { body }) => {
      seen.push(body);
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(expect.arrayContaining([{ orderId: 'a' }, { orderId: 'b' }]));
  });

  it('reports a record whose handler throws by its messageId, and processes the others', async () => {
    const logger = recordingLogger();
    const failing = jsonRecord({ orderId: 'bad' });
    const event = sqsEvent([jsonRecord({ orderId: 'a' }), failing, jsonRecord({ orderId: 'c' })]);
    const done: string[] = [];
    const response = await processSqsBatch<Order>(
      event,
      async (_record, { body }) => {
        if (body.orderId === 'bad') throw new Error('payment declined');
        done.push(body.orderId);
      },
      { logger },
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: failing.messageId }] });
    expect(done.sort()).toEqual(['a', 'c']);
    expect(logger.messages('error')).toEqual([`SQS message ${failing.messageId} failed; reported failed so SQS delivers it again`]);
    expect(logger.entries.find((e) => e.level === 'error')?.extra[0]).toEqual(new Error('payment declined'));
  });

  it('never throws for record failures, even when every record fails', async () => {
    const event = sqsEvent([jsonRecord({ n: 1 }), jsonRecord({ n: 2 })]);
    const response = await processSqsBatch(
      event,
      () => {
        throw new TypeError('synchronous throw');
      },
      { logger: recordingLogger() },
    );
    expect(failedIds(response)).toEqual(event.Records.map((r) => r.messageId));
  });

  it('reports failures in the order the records arrived, whatever order they finish in', async () => {
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 }), jsonRecord({ n: 3 })];
    const g = gate();
    const pending = processSqsBatch<{ n: number }>(
      sqsEvent(records),
      async (record) => {
        await g.enter(record.messageId);
        throw new Error('fails');
      },
      { logger: recordingLogger() },
    );
    await g.running(3);
    g.release(records[2]!.messageId);
    g.release(records[0]!.messageId);
    g.release(records[1]!.messageId);
    expect(failedIds(await pending)).toEqual(records.map((r) => r.messageId));
  });

  it('returns an empty response for an event without records, without calling the handler', async () => {
    const handler = jest.fn();
    await expect(processSqsBatch({ Records: [] }, handler)).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('an event that is not an SQS event', () => {
  const handler = async (): Promise<void> => undefined;

  it('is refused when it has no Records array, naming the keys it has instead', async () => {
    const notSqs = { body: '{}' } as never;
    await expect(processSqsBatch(notSqs, handler)).rejects.toThrow(IdempotencyConfigError);
    await expect(processSqsBatch(notSqs, handler)).rejects.toThrow(
      "processSqsBatch expected an SQS event with a Records array, got an object with keys [body]; check the function's event source",
    );
  });

  it('is refused when it is an empty object, saying that Records is what is missing', async () => {
    await expect(processSqsBatch({} as never, handler)).rejects.toThrow(
      new IdempotencyConfigError(
        "processSqsBatch expected an SQS event with a Records array, got an object with keys []; check the function's event source",
      ),
    );
  });

  it('is refused when its Records is not an array, naming what Records holds', async () => {
    await expect(processSqsBatch({ Records: '[]' } as never, handler)).rejects.toThrow(
      new IdempotencyConfigError(
        'processSqsBatch expected an SQS event with a Records array, got an object whose Records is "[]"; check the function\'s event source',
      ),
    );
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['{"Records":[]}', '"{\\"Records\\":[]}"'],
    [[], 'an array'],
  ])('is refused when it is %p, naming it', async (event, got) => {
    await expect(processSqsBatch(event as never, handler)).rejects.toThrow(
      new IdempotencyConfigError(
        `processSqsBatch expected an SQS event with a Records array, got ${got}; check the function's event source`,
      ),
    );
  });

  it('names at most ten of the keys of an object without Records', async () => {
    const event = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i]));
    await expect(processSqsBatch(event as never, handler)).rejects.toThrow(
      'got an object with keys [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, …]; check',
    );
  });

  it('is refused when a record comes from another event source, naming it', async () => {
    const kinesis = { Records: [{ eventSource: 'aws:kinesis', eventID: 'shardId-000:1', kinesis: { data: 'e30=' } }] } as never;
    await expect(processSqsBatch(kinesis, handler)).rejects.toThrow(
      new IdempotencyConfigError(
        'processSqsBatch expected an SQS event, but record #0 has eventSource "aws:kinesis" (expected "aws:sqs"; use processStreamBatch for Kinesis); check the function\'s event source',
      ),
    );
  });

  it('is refused when an SNS notification arrives', async () => {
    const sns = { Records: [{ EventSource: 'aws:sns', Sns: { Message: 'hi' } }] } as never;
    await expect(processSqsBatch(sns, handler)).rejects.toThrow(
      'processSqsBatch expected an SQS event, but record #0 has eventSource "aws:sns" (expected "aws:sqs")',
    );
  });

  it('is refused when a record has no usable queue ARN', async () => {
    const event = sqsEvent([jsonRecord({}), jsonRecord({}, { eventSourceARN: 'my-queue' })]);
    await expect(processSqsBatch(event, handler)).rejects.toThrow(
      'processSqsBatch expected an SQS event, but record #1 has eventSourceARN "my-queue" (expected arn:aws:sqs:REGION:ACCOUNT:QUEUE)',
    );
  });

  it('is refused before any record runs', async () => {
    const ran = jest.fn();
    const event = sqsEvent([jsonRecord({}), { ...jsonRecord({}), messageId: '' }]);
    await expect(processSqsBatch(event, ran)).rejects.toThrow(
      'processSqsBatch expected an SQS event, but record #1 has messageId "" (expected a non-empty string)',
    );
    expect(ran).not.toHaveBeenCalled();
  });

  it('is refused when the handler is not a function', async () => {
    await expect(processSqsBatch(sqsEvent([]), 'handler' as never)).rejects.toThrow(
      new IdempotencyConfigError('Expected processSqsBatch\'s handler to be a function, got "handler"'),
    );
  });
});

describe('parsing', () => {
  it('parses bodies as JSON by default and passes the messageId and delivery attempt', async () => {
    const record = jsonRecord({ orderId: 'o-1', amount: 3 }, { attributes: { ApproximateReceiveCount: '3' } });
    const handler = jest.fn(async () => undefined);
    await processSqsBatch(sqsEvent([record]), handler);
    expect(handler).toHaveBeenCalledWith(record, { body: { orderId: 'o-1', amount: 3 }, messageId: record.messageId, attempt: 3 });
  });

  it('fails only a record whose body is not JSON, logs why, and goes on with the batch', async () => {
    const logger = recordingLogger();
    const broken = sqsRecord({ body: '{"orderId": "o-2"' });
    const handled: unknown[] = [];
    const response = await processSqsBatch(
      sqsEvent([jsonRecord({ orderId: 'o-1' }), broken, jsonRecord({ orderId: 'o-3' })]),
      async (_record, { body }) => {
        handled.push(body);
      },
      { logger },
    );
    expect(failedIds(response)).toEqual([broken.messageId]);
    expect(handled).toHaveLength(2);
    expect(logger.messages('error')).toEqual([`SQS message ${broken.messageId} could not be parsed; reported failed`]);
    expect(logger.entries.find((e) => e.level === 'error')?.extra[0]).toBeInstanceOf(SyntaxError);
  });

  it('uses a custom parser, which receives the body and the record', async () => {
    const record = sqsRecord({ body: 'orderId=o-9;amount=4' });
    const parse = jest.fn((body: string) => Object.fromEntries(body.split(';').map((pair) => pair.split('='))) as Record<string, string>);
    const bodies: Record<string, string>[] = [];
    await processSqsBatch(sqsEvent([record]), async (_r, { body }) => void bodies.push(body), { parse });
    expect(parse).toHaveBeenCalledWith('orderId=o-9;amount=4', record);
    expect(bodies).toEqual([{ orderId: 'o-9', amount: '4' }]);
  });

  it('does not touch the store for a record it cannot parse', async () => {
    const store = recordingStore();
    const response = await processSqsBatch(sqsEvent([sqsRecord({ body: 'not json' })]), jest.fn(), {
      store,
      logger: recordingLogger(),
    });
    expect(response.batchItemFailures).toHaveLength(1);
    expect(store.calls.claim).toEqual([]);
  });
});

describe('concurrency on a standard queue', () => {
  const records = (n: number) => Array.from({ length: n }, (_, i) => jsonRecord({ n: i }));

  it('runs up to 10 records at once by default', async () => {
    const g = gate();
    const pending = processSqsBatch(sqsEvent(records(15)), (record) => g.enter(record.messageId));
    await g.running(10);
    await settle();
    expect(g.started).toHaveLength(10);
    g.open();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(g.maxRunning()).toBe(10);
    expect(g.started).toHaveLength(15);
  });

  it('runs at most `concurrency` records at once, starting the next in arrival order as one ends', async () => {
    const batch = records(4);
    const ids = batch.map((r) => r.messageId);
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (record) => g.enter(record.messageId), { concurrency: 2 });
    await g.running(2);
    await settle();
    expect(g.runningNow()).toEqual([ids[0], ids[1]]);
    g.release(ids[1]!);
    await g.startedCount(3);
    await settle();
    expect(g.runningNow()).toEqual([ids[0], ids[2]]);
    g.open();
    await pending;
    expect(g.maxRunning()).toBe(2);
    expect(g.started).toEqual(ids);
  });

  it('does not order records of a standard queue that carry a MessageGroupId (fair queues)', async () => {
    const batch = [
      jsonRecord({ n: 1 }, { attributes: { MessageGroupId: 'tenant-1' } }),
      jsonRecord({ n: 2 }, { attributes: { MessageGroupId: 'tenant-1' } }),
    ];
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (record) => g.enter(record.messageId));
    await g.running(2);
    batch.forEach((r) => g.release(r.messageId));
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
  });
});

describe('idempotency with a store', () => {
  it('acknowledges a record whose key completed before without running the handler', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn(async () => 'charged');
    const options = { store, key: orderKey };
    await processSqsBatch<Order>(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, options);
    // The producer sent the same order again: a new message, the same business key.
    const response = await processSqsBatch<Order>(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, options);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('reports failed a record still in progress in another invocation, without running it', async () => {
    const store = new InMemoryStore();
    const logger = recordingLogger();
    const first = deferred();
    const handler = jest.fn(async (_record: unknown, { body }: { body: Order }) => {
      if (body.orderId === 'o-1') await first.promise;
    });
    const options = { store, key: orderKey, logger };
    const running = processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, options);
    await settle();
    const duplicate = jsonRecord({ orderId: 'o-1' });
    const response = await processSqsBatch(sqsEvent([duplicate, jsonRecord({ orderId: 'o-2' })]), handler, options);
    expect(failedIds(response)).toEqual([duplicate.messageId]);
    expect(handler).toHaveBeenCalledTimes(2);
    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^SQS message ${duplicate.messageId} is being processed by another invocation \\(its lease ends in \\d+ ms\\); reported failed so SQS delivers it again$`,
        ),
      ),
    ]);
    first.resolve();
    await expect(running).resolves.toEqual({ batchItemFailures: [] });
  });

  it('releases the key of a failed record so its redelivery runs again', async () => {
    const store = new InMemoryStore();
    let attempts = 0;
    const handler = async (): Promise<void> => {
      attempts += 1;
      if (attempts === 1) throw new Error('downstream unavailable');
    };
    const record = jsonRecord({ orderId: 'o-1' });
    const options = { store, key: orderKey, logger: recordingLogger() };
    expect(failedIds(await processSqsBatch(sqsEvent([record]), handler, options))).toEqual([record.messageId]);
    const redelivery = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect(await processSqsBatch(sqsEvent([redelivery]), handler, options)).toEqual({ batchItemFailures: [] });
    expect(attempts).toBe(2);
  });

  it('keys standard-queue records by messageId by default', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn();
    const record = jsonRecord({ orderId: 'o-1' });
    await processSqsBatch(sqsEvent([record]), handler, { store });
    await processSqsBatch(sqsEvent([{ ...record, receiptHandle: 'another-receipt' }]), handler, { store });
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, { store });
    // Redelivery of the same message: suppressed; the same order sent as a new message: not recognised.
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('keys FIFO records by MessageDeduplicationId by default', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn();
    await processSqsBatch(sqsEvent([fifoRecord('g', 'dedup-1', 1, '{}')]), handler, { store });
    await processSqsBatch(sqsEvent([fifoRecord('g', 'dedup-1', 2, '{}')]), handler, { store });
    await processSqsBatch(sqsEvent([fifoRecord('g', 'dedup-2', 3, '{}')]), handler, { store });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('accepts a key function of the record alone, as in the README', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn();
    const options = { store, key: (r: { body: string }) => (JSON.parse(r.body) as Order).orderId };
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 1 })]), handler, options);
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 1 })]), handler, options);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('accepts a JMESPath key on the record', async () => {
    const store = new InMemoryStore();
    const handler = jest.fn();
    const withAttribute = (orderId: string) =>
      jsonRecord(
        {},
        { messageAttributes: { orderId: { stringValue: orderId, dataType: 'String', stringListValues: [], binaryListValues: [] } } },
      );
    const options = { store, key: 'messageAttributes.orderId.stringValue' };
    await processSqsBatch(sqsEvent([withAttribute('o-1'), withAttribute('o-1'), withAttribute('o-2')]), handler, options);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('fails a record whose key function throws, and only that record', async () => {
    const logger = recordingLogger();
    const bad = jsonRecord({ amount: 1 });
    const response = await processSqsBatch<Order>(sqsEvent([jsonRecord({ orderId: 'o-1' }), bad]), jest.fn(), {
      store: new InMemoryStore(),
      key: (_r, { body }) => body.orderId.toUpperCase(),
      logger,
    });
    expect(failedIds(response)).toEqual([bad.messageId]);
    expect(logger.messages('error')).toEqual([`SQS message ${bad.messageId}: its idempotency key could not be derived; reported failed`]);
  });

  it('namespaces keys by function and queue name by default', async () => {
    const store = recordingStore();
    const previous = process.env['AWS_LAMBDA_FUNCTION_NAME'];
    process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'orders-fn';
    try {
      await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), jest.fn(), { store, key: orderKey });
    } finally {
      if (previous === undefined) delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
      else process.env['AWS_LAMBDA_FUNCTION_NAME'] = previous;
    }
    expect(store.calls.claim[0]?.key).toMatch(/^orders-fn\.sqs\.my-queue#[0-9a-f]{64}$/);
  });

  it('shortens and hashes a queue name no real queue has (over 256 bytes), so the batch runs and keys stay short', async () => {
    const store = recordingStore();
    const handler = jest.fn();
    const queue = (n: number): string => `arn:aws:sqs:us-east-2:123456789012:${'q'.repeat(3000)}-${n}`;
    const response = await processSqsBatch(
      sqsEvent([
        jsonRecord({ orderId: 'o-1' }, { eventSourceARN: queue(1) }),
        jsonRecord({ orderId: 'o-1' }, { eventSourceARN: queue(2) }),
      ]),
      handler,
      { store, key: orderKey },
    );
    expect(response).toEqual({ batchItemFailures: [] });
    // Two queues, two records: the hash keeps them apart.
    expect(handler).toHaveBeenCalledTimes(2);
    for (const claim of store.calls.claim) {
      expect(claim.key).toMatch(/\.sqs\.q{64}~[0-9a-f]{64}#[0-9a-f]{64}$/);
      expect(Buffer.byteLength(claim.key)).toBeLessThan(512);
    }
  });

  it('keeps the records of two queues apart by default, and shares them under one `name`', async () => {
    const handler = jest.fn();
    const otherQueue = 'arn:aws:sqs:us-east-2:123456789012:other-queue';
    const store = new InMemoryStore();
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, { store, key: orderKey });
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' }, { eventSourceARN: otherQueue })]), handler, { store, key: orderKey });
    expect(handler).toHaveBeenCalledTimes(2);
    const shared = { store: new InMemoryStore(), key: orderKey, name: 'orders' };
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), handler, shared);
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' }, { eventSourceARN: otherQueue })]), handler, shared);
    expect(handler).toHaveBeenCalledTimes(3);
  });

  it('bounds each record lease by the Lambda context remaining time', async () => {
    const clock = manualClock(1_000_000);
    const store = recordingStore();
    const context = lambdaContext({ timeoutMs: 5_000, now: clock });
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), jest.fn(), { store, key: orderKey, context, clock });
    expect(store.calls.claim[0]?.leaseUntil).toBe(1_000_000 + 4_000);
  });

  it('runs the handler inside the idempotent execution, so downstreamKey works there', async () => {
    const keys: string[] = [];
    const options = { store: new InMemoryStore(), key: orderKey };
    const record = jsonRecord({ orderId: 'o-1' });
    await processSqsBatch(sqsEvent([record]), async () => void keys.push(downstreamKey('charge')), {
      ...options,
      logger: recordingLogger(),
    });
    expect(keys).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });

  it('reports failed a record whose lease was lost to another invocation', async () => {
    const clock = manualClock();
    const store = new InMemoryStore();
    const logger = recordingLogger();
    const options = { store, key: orderKey, leaseSeconds: 1, clock, logger };
    const record = jsonRecord({ orderId: 'o-1' });
    let runs = 0;
    const slow = async (): Promise<void> => {
      runs += 1;
      if (runs > 1) return;
      // This invocation outlives its lease; a redelivery takes the record over and completes it.
      clock.advance(3_000);
      const redelivery = await processSqsBatch(sqsEvent([{ ...record, receiptHandle: 'second' }]), slow, options);
      expect(redelivery).toEqual({ batchItemFailures: [] });
    };
    const response = await processSqsBatch(sqsEvent([record]), slow, options);
    expect(failedIds(response)).toEqual([record.messageId]);
    expect(logger.messages('warn')).toEqual([
      `SQS message ${record.messageId} lost its idempotency lease to another invocation, which completes it; reported failed so SQS delivers it again`,
    ]);
  });
});

describe('JMESPath keys and fingerprints: `body` is the parsed body', () => {
  it("keys by a field of the JSON body with 'body.orderId', as the key function of the body does", async () => {
    const handler = jest.fn();
    const byExpression = recordingStore();
    const response = await processSqsBatch(
      sqsEvent([jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-2' }), jsonRecord({ orderId: 'o-1' })]),
      handler,
      { store: byExpression, name: 'orders', key: 'body.orderId' },
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
    const byFunction = recordingStore();
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' })]), jest.fn(), { store: byFunction, name: 'orders', key: orderKey });
    expect(byExpression.calls.claim[0]?.key).toBe(`orders#${hashValue('o-1')}`);
    expect(byFunction.calls.claim[0]?.key).toBe(byExpression.calls.claim[0]?.key);
  });

  it('recognises the same order sent again as a new message, by its body', async () => {
    const options = { store: new InMemoryStore(), key: 'body.orderId' };
    const handler = jest.fn();
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 3 })]), handler, options);
    const response = await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 3 })]), handler, options);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('evaluates any JMESPath expression, reaching the body and the record together', async () => {
    const store = recordingStore();
    const record = jsonRecord(
      { order: { id: 'o-7', lines: [{ sku: 'a' }, { sku: 'b' }] } },
      { attributes: { MessageGroupId: 'tenant-1' } },
    );
    await processSqsBatch(sqsEvent([record]), jest.fn(), {
      store,
      name: 'orders',
      key: '[attributes.MessageGroupId, body.order.id, body.order.lines[*].sku]',
    });
    expect(store.calls.claim.map((claim) => claim.key)).toEqual([`orders#${hashValue(['tenant-1', 'o-7', ['a', 'b']])}`]);
  });

  it('evaluates on the body that a custom `parse` returned', async () => {
    const store = recordingStore();
    const parse = (body: string): Record<string, string> => Object.fromEntries(body.split(';').map((pair) => pair.split('=')));
    await processSqsBatch(sqsEvent([sqsRecord({ body: 'orderId=o-9;amount=4' })]), jest.fn(), {
      store,
      name: 'orders',
      key: 'body.orderId',
      parse,
    });
    expect(store.calls.claim.map((claim) => claim.key)).toEqual([`orders#${hashValue('o-9')}`]);
  });

  it('still reaches the rest of the record (message attributes, system attributes, messageId)', async () => {
    const store = recordingStore();
    const record = jsonRecord({ orderId: 'o-1' });
    await processSqsBatch(sqsEvent([record]), jest.fn(), { store, name: 'orders', key: 'messageId' });
    expect(store.calls.claim.map((claim) => claim.key)).toEqual([`orders#${hashValue(record.messageId)}`]);
  });

  it('reports failed, with an IdempotencyKeyError, a record whose body lacks the field', async () => {
    const logger = recordingLogger();
    const withoutId = jsonRecord({ amount: 3 });
    const response = await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' }), withoutId]), jest.fn(), {
      store: new InMemoryStore(),
      name: 'orders',
      key: 'body.orderId',
      logger,
    });
    expect(failedIds(response)).toEqual([withoutId.messageId]);
    const logged = logger.entries.find((entry) => entry.level === 'error');
    expect(logged?.message).toBe(`SQS message ${withoutId.messageId} failed; reported failed so SQS delivers it again`);
    expect(logged?.extra[0]).toBeInstanceOf(IdempotencyKeyError);
    expect((logged?.extra[0] as Error).message).toMatch(/^No idempotency key found for orders: the key selector returned null\./);
  });

  it('checks a fingerprint of body fields: the same order with another amount is refused (IdempotencyPayloadMismatchError)', async () => {
    const logger = recordingLogger();
    const options = { store: new InMemoryStore(), key: 'body.orderId', fingerprint: '[body.orderId, body.amount]', logger };
    const handler = jest.fn();
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 3 })]), handler, options);
    const changed = jsonRecord({ orderId: 'o-1', amount: 300 });
    const response = await processSqsBatch(sqsEvent([changed, jsonRecord({ orderId: 'o-2', amount: 3 })]), handler, options);
    expect(failedIds(response)).toEqual([changed.messageId]);
    expect(handler).toHaveBeenCalledTimes(2);
    expect(logger.entries.find((entry) => entry.level === 'error')?.extra[0]).toBeInstanceOf(IdempotencyPayloadMismatchError);
  });

  it('leaves key functions alone: they receive the record as SQS delivered it, body as text, and the parsed body', async () => {
    const seen: unknown[][] = [];
    const record = jsonRecord({ orderId: 'o-1' });
    const options: SqsBatchOptions<Order> = {
      store: new InMemoryStore(),
      key: (r, info) => {
        seen.push([r, info.body]);
        return info.body.orderId;
      },
    };
    await processSqsBatch(sqsEvent([record]), jest.fn(), options);
    expect(seen.length).toBeGreaterThan(0);
    for (const call of seen) expect(call).toEqual([record, { orderId: 'o-1' }]);
  });

  it('lets releaseSqsRecord find the record that such a key names', async () => {
    const clock = manualClock();
    const options = { store: new InMemoryStore(), key: 'body.orderId', clock, logger: recordingLogger() };
    const record = jsonRecord({ orderId: 'o-1' });
    const interrupted = async (): Promise<void> => {
      await step('charge', () => Promise.reject(new Error('payment provider timed out')), { atMostOnce: true });
    };
    expect(failedIds(await processSqsBatch(sqsEvent([record]), interrupted, options))).toEqual([record.messageId]);
    clock.advance(120_000);
    await expect(releaseSqsRecord(record, options)).resolves.toBe('released');
  });

  it('does not show the parsed body to the handler as the record: the handler still gets the record as delivered', async () => {
    const record = jsonRecord({ orderId: 'o-1' });
    const handler = jest.fn();
    await processSqsBatch(sqsEvent([record]), handler, { store: new InMemoryStore(), key: 'body.orderId' });
    expect(handler).toHaveBeenCalledWith(record, { body: { orderId: 'o-1' }, messageId: record.messageId, attempt: 1 });
    expect(record.body).toBe('{"orderId":"o-1"}');
  });
});

describe('duplicates inside one batch', () => {
  it('runs two records with the same key once and acknowledges both', async () => {
    const handler = jest.fn();
    const response = await processSqsBatch<Order>(
      sqsEvent([jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-2' }), jsonRecord({ orderId: 'o-1' })]),
      handler,
      { store: new InMemoryStore(), key: orderKey },
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs the second only after the first finished (never both at once)', async () => {
    const first = jsonRecord({ orderId: 'o-1' });
    const second = jsonRecord({ orderId: 'o-1' });
    const g = gate();
    const pending = processSqsBatch<Order>(sqsEvent([first, second]), (record) => g.enter(record.messageId), {
      store: new InMemoryStore(),
      key: orderKey,
    });
    await g.running(1);
    await settle();
    expect(g.runningNow()).toEqual([first.messageId]);
    g.release(first.messageId);
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(g.started).toEqual([first.messageId]);
  });

  it('reports the second failed, without running it, when the first failed', async () => {
    const logger = recordingLogger();
    const handler = jest.fn(async () => {
      throw new Error('declined');
    });
    const records = [jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-1' })];
    const response = await processSqsBatch<Order>(sqsEvent(records), handler, { store: new InMemoryStore(), key: orderKey, logger });
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logger.messages('warn')).toEqual([
      `SQS message ${records[1]!.messageId} was not processed because an earlier message of this batch with the same idempotency key failed; reported failed`,
    ]);
  });

  describe.each(['lease', 'optimistic'] as const)('in %s mode', (mode) => {
    it('runs two records with the same key once and acknowledges both', async () => {
      const handler = jest.fn();
      const store = recordingStore();
      const response = await processSqsBatch<Order>(
        sqsEvent([jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-2' }), jsonRecord({ orderId: 'o-1' })]),
        handler,
        { store, key: orderKey, mode },
      );
      expect(response).toEqual({ batchItemFailures: [] });
      expect(handler.mock.calls.map(([, { body }]) => (body as Order).orderId)).toEqual(['o-1', 'o-2']);
      // One completed record per key: in optimistic mode one write each, and none for the duplicate.
      expect([...store.calls.complete, ...store.calls.putCompleted]).toHaveLength(2);
    });

    it('reports failed, without running it, a duplicate whose fingerprint differs (IdempotencyPayloadMismatchError)', async () => {
      const logger = recordingLogger();
      const handler = jest.fn();
      const changed = jsonRecord({ orderId: 'o-1', amount: 300 });
      const response = await processSqsBatch<Order>(sqsEvent([jsonRecord({ orderId: 'o-1', amount: 3 }), changed]), handler, {
        store: new InMemoryStore(),
        key: orderKey,
        fingerprint: (_r, { body }) => body.amount,
        mode,
        logger,
      });
      expect(failedIds(response)).toEqual([changed.messageId]);
      expect(handler).toHaveBeenCalledTimes(1);
      const logged = logger.entries.find((entry) => entry.level === 'error');
      expect(logged?.message).toBe(`SQS message ${changed.messageId} failed; reported failed so SQS delivers it again`);
      expect(logged?.extra[0]).toBeInstanceOf(IdempotencyPayloadMismatchError);
      expect((logged?.extra[0] as Error).message).toMatch(/was used before with a different payload \(the fingerprint differs\)/);
    });

    it('reports the second failed, without running it, when the first failed', async () => {
      const handler = jest.fn(async () => {
        throw new Error('declined');
      });
      const records = [jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-1' })];
      const response = await processSqsBatch<Order>(sqsEvent(records), handler, {
        store: new InMemoryStore(),
        key: orderKey,
        mode,
        logger: recordingLogger(),
      });
      expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
      expect(handler).toHaveBeenCalledTimes(1);
    });

    it('runs copies with the same key once across FIFO groups', async () => {
      const handler = jest.fn();
      const batch = [fifoRecord('a', 'd-1', 1, '{"orderId":"o-1"}'), fifoRecord('b', 'd-2', 2, '{"orderId":"o-1"}')];
      const response = await processSqsBatch<Order>(sqsEvent(batch), handler, { store: new InMemoryStore(), key: orderKey, mode });
      expect(response).toEqual({ batchItemFailures: [] });
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  it('recognises a redelivered copy of the same message in one batch (default key)', async () => {
    const record = jsonRecord({ orderId: 'o-1' });
    const handler = jest.fn();
    const response = await processSqsBatch(sqsEvent([record, { ...record, receiptHandle: 'copy' }]), handler, {
      store: new InMemoryStore(),
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('does not group records without a store (no key exists)', async () => {
    const handler = jest.fn();
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'o-1' }), jsonRecord({ orderId: 'o-1' })]), handler);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('does not group records without a key when onMissingKey is run', async () => {
    const handler = jest.fn();
    const logger = recordingLogger();
    const response = await processSqsBatch(sqsEvent([jsonRecord({}), jsonRecord({})]), handler, {
      store: new InMemoryStore(),
      key: 'orderId',
      onMissingKey: 'run',
      logger,
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
  });
});
