/**
 * processStreamBatch, specified on real event shapes (test/helpers/stream-events.ts) with the in-memory store:
 * which events it takes, what the handler receives, ordering, where a batch stops, what a redelivery runs,
 * and the idempotency keys.
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, KinesisStreamRecord, MSKRecord } from 'aws-lambda';
import { ORDER_VIEWS_TABLE_ENV, handler as projectionHandler } from '../../handlers/stream-projection';
import {
  IdempotencyConfigError,
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyVersionError,
  StreamBatchError,
} from '../../lib/errors';
import { newerThan } from '../../lib/guards';
import { hashValue } from '../../lib/keys/hash';
import { defaultOperationName } from '../../lib/engine';
import type { IdempotencyLogger } from '../../lib/options';
import { InMemoryStore } from '../../lib/persistence/memory';
import type { ClaimInput, ClaimResult } from '../../lib/persistence/store';
import { processStreamBatch } from '../../lib/streams';
import type { KafkaRecordInfo } from '../../lib/streams';
import { manualClock } from '../helpers/clock';
import {
  EXAMPLE_BOOTSTRAP_SERVERS,
  EXAMPLE_KINESIS_SEQUENCE,
  EXAMPLE_MSK_CLUSTER,
  base64,
  dynamodbEvent,
  dynamodbRecord,
  kafkaRecord,
  kafkaRecords,
  kinesisEvent,
  kinesisRecord,
  kinesisRecords,
  lambdaContext,
  mskClusterArn,
  mskEvent,
  selfManagedKafkaEvent,
} from '../helpers/stream-events';

/** An in-memory store that remembers every claim it received. */
class RecordingStore extends InMemoryStore {
  public readonly claims: ClaimInput[] = [];

  public override async claim(input: ClaimInput): Promise<ClaimResult> {
    this.claims.push(input);
    return super.claim(input);
  }
}

interface CapturedLog {
  readonly level: keyof IdempotencyLogger;
  readonly message: string;
  readonly extra: unknown[];
}

function capturingLogger(): IdempotencyLogger & { readonly lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const at =
    (level: keyof IdempotencyLogger) =>
    (message: string, ...extra: unknown[]): void => {
      lines.push({ level, message, extra });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves when `resolve` is called: lets a test hold a handler where it wants it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Kinesis and DynamoDB Streams behave alike; each entry builds records of one kind carrying `items`. */
interface OrderedKind {
  readonly label: string;
  records(items: readonly { id: string }[]): { event: Parameters<typeof processStreamBatch>[0]; sequenceNumbers: string[] };
  /** The item a handler received. */
  itemOf(info: unknown): unknown;
}

const ordered: OrderedKind[] = [
  {
    label: 'Kinesis',
    records(items) {
      const records = kinesisRecords(items);
      return { event: kinesisEvent(records), sequenceNumbers: records.map((r) => r.kinesis.sequenceNumber) };
    },
    itemOf: (info) => (info as { data: unknown }).data,
  },
  {
    label: 'DynamoDB Streams',
    records(items) {
      const records = items.map((item) => dynamodbRecord({ eventName: 'INSERT', keys: { id: item.id }, newImage: item }));
      return { event: dynamodbEvent(records), sequenceNumbers: records.map((r) => r.dynamodb?.SequenceNumber ?? '') };
    },
    itemOf: (info) => (info as { newImage: unknown }).newImage,
  },
];

const items = (n: number): { id: string }[] => Array.from({ length: n }, (_, i) => ({ id: `item-${i}` }));

describe('recognising the event', () => {
  it('takes a Kinesis event', async () => {
    const seen: string[] = [];
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: { id: 'k' } })]), (record) => {
      seen.push(record.eventSource);
    });
    expect(seen).toEqual(['aws:kinesis']);
  });

  it('takes a DynamoDB Streams event', async () => {
    const seen: (string | undefined)[] = [];
    await processStreamBatch(dynamodbEvent([dynamodbRecord({ eventName: 'INSERT', keys: { id: 'd' } })]), (record) => {
      seen.push(record.eventSource);
    });
    expect(seen).toEqual(['aws:dynamodb']);
  });

  it('takes an Amazon MSK event', async () => {
    const seen: string[] = [];
    await processStreamBatch(mskEvent(kafkaRecords('orders', 0, ['a'])), (record) => {
      seen.push(record.topic);
    });
    expect(seen).toEqual(['orders']);
  });

  it('takes a self-managed Kafka event', async () => {
    const seen: string[] = [];
    await processStreamBatch(selfManagedKafkaEvent(kafkaRecords('orders', 0, ['a'])), (record) => {
      seen.push(record.topic);
    });
    expect(seen).toEqual(['orders']);
  });

  it("takes AWS's self-managed Kafka example, which spells the source aws:SelfManagedKafka and quotes the partition", async () => {
    // Verbatim from https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
    const event = {
      eventSource: 'aws:SelfManagedKafka',
      bootstrapServers: EXAMPLE_BOOTSTRAP_SERVERS,
      records: {
        'mytopic-0': [
          {
            topic: 'mytopic',
            partition: '0',
            offset: 15,
            timestamp: 1545084650987,
            timestampType: 'CREATE_TIME',
            value: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
            headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
          },
        ],
      },
    };
    const seen: KafkaRecordInfo[] = [];
    await processStreamBatch(
      event as never,
      (_record: MSKRecord, info: KafkaRecordInfo) => {
        seen.push(info);
      },
      { parse: (text: string) => text },
    );
    expect(seen).toEqual([
      {
        key: undefined,
        value: 'Hello, this is a test.',
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        headers: [{ key: 'headerKey', value: 'headerValue' }],
      },
    ]);
  });

  it('returns no failures for an event without records, running nothing', async () => {
    const handler = jest.fn();
    await expect(processStreamBatch(kinesisEvent([]), handler)).resolves.toEqual({ batchItemFailures: [] });
    await expect(processStreamBatch(mskEvent([]), handler)).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses an SQS event, pointing at processSqsBatch', async () => {
    const sqs = { Records: [{ messageId: 'm-1', body: '{}', eventSource: 'aws:sqs' }] };
    const error = await rejection(processStreamBatch(sqs as never, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'processStreamBatch expected a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event; got records whose eventSource is "aws:sqs" (use processSqsBatch for SQS)',
    );
  });

  it('refuses an event of an unknown kind, naming its keys and what it lacks', async () => {
    const apiGateway = { httpMethod: 'POST', path: '/orders', body: '{}' };
    const error = await rejection(processStreamBatch(apiGateway as never, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'processStreamBatch expected a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event; got an object with keys [httpMethod, path, body], ' +
        'without a Records array (Kinesis, DynamoDB Streams) or a Kafka eventSource (aws:kafka, SelfManagedKafka, aws:SelfManagedKafka)',
    );
  });

  it('refuses an empty object, saying what is missing', async () => {
    const error = await rejection(processStreamBatch({} as never, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'processStreamBatch expected a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event; got an object with keys [], ' +
        'without a Records array (Kinesis, DynamoDB Streams) or a Kafka eventSource (aws:kafka, SelfManagedKafka, aws:SelfManagedKafka)',
    );
  });

  it('refuses an event whose Records is not an array, naming what it holds', async () => {
    const error = await rejection(processStreamBatch({ Records: { eventSource: 'aws:kinesis' } } as never, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'processStreamBatch expected a Kinesis, DynamoDB Streams or Kafka (Amazon MSK or self-managed) event; got an object whose Records is an object ([object Object]) (expected an array of Kinesis or DynamoDB Streams records)',
    );
  });

  it('refuses an event that is not an object', async () => {
    const error = await rejection(processStreamBatch(null as never, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(/event; got null$/);
  });

  it('refuses an event mixing Kinesis and DynamoDB Streams records before running any', async () => {
    const handler = jest.fn();
    const mixed = {
      Records: [kinesisRecord({ data: 1 }), dynamodbRecord({ eventName: 'INSERT', keys: { id: 'x' } })],
    };
    const error = await rejection(processStreamBatch(mixed as never, handler));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(
      /Records\[1\] is not a record of the same kind as Records\[0\] \(eventSource "aws:kinesis"\)$/,
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses a DynamoDB Streams record without a sequence number (it could not be reported)', async () => {
    const record = dynamodbRecord({ eventName: 'INSERT', keys: { id: 'x' } });
    delete record.dynamodb?.SequenceNumber;
    const error = await rejection(processStreamBatch(dynamodbEvent([record]), () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(/Records\[0\]\.dynamodb\.SequenceNumber must be a string$/);
  });

  it('refuses a Kafka record without a whole-number offset', async () => {
    const event = mskEvent(kafkaRecords('orders', 0, ['a']));
    (event.records['orders-0']?.[0] as unknown as Record<string, unknown>)['offset'] = 'fifteen';
    const error = await rejection(processStreamBatch(event, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(/records\["orders-0"\]\[0\]\.offset must be a whole number, got "fifteen"$/);
  });

  it('refuses a record handler that is not a function', async () => {
    const error = await rejection(processStreamBatch(kinesisEvent([]), 'handler' as never));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(`Expected processStreamBatch's record handler to be a function, got "handler"`);
  });
});

describe('what the record handler receives', () => {
  it('Kinesis: the data base64-decoded and parsed as JSON, and the sequence number', async () => {
    const record = kinesisRecord({ data: { orderId: 'o-1', total: 12.5 } });
    const received: unknown[] = [];
    await processStreamBatch(kinesisEvent([record]), (r, info) => {
      received.push(r, info);
    });
    expect(received).toEqual([record, { data: { orderId: 'o-1', total: 12.5 }, sequenceNumber: String(EXAMPLE_KINESIS_SEQUENCE) }]);
  });

  it('Kinesis: `parse` gets the UTF-8 text and the record, and its result is the data', async () => {
    const record = kinesisRecord({ data: 'naïve,42' });
    const calls: unknown[][] = [];
    const seen: unknown[] = [];
    await processStreamBatch(
      kinesisEvent([record]),
      (_r, { data }) => {
        seen.push(data);
      },
      {
        parse: (text, r) => {
          calls.push([text, r]);
          return text.split(',');
        },
      },
    );
    expect(calls).toEqual([['naïve,42', record]]);
    expect(seen).toEqual([['naïve', '42']]);
  });

  it('Kinesis: binary data can be decoded from the record that `parse` receives', async () => {
    const bytes = Uint8Array.from([0, 255, 1, 254]);
    const seen: unknown[] = [];
    await processStreamBatch(
      kinesisEvent([kinesisRecord({ data: bytes })]),
      (_r, { data }) => {
        seen.push(data);
      },
      { parse: (_text, r) => [...Buffer.from(r.kinesis.data, 'base64')] },
    );
    expect(seen).toEqual([[0, 255, 1, 254]]);
  });

  it('DynamoDB Streams: the event name, keys and both images unmarshalled to plain values', async () => {
    const record = dynamodbRecord({
      eventName: 'MODIFY',
      keys: { pk: 'order#1', sk: 7 },
      oldImage: { pk: 'order#1', sk: 7, status: 'NEW', lines: [{ sku: 'a', qty: 1 }] },
      newImage: { pk: 'order#1', sk: 7, status: 'PAID', lines: [{ sku: 'a', qty: 2 }], paid: true, note: null },
      sequenceNumber: '1100000000017454423009',
    });
    const seen: unknown[] = [];
    await processStreamBatch(dynamodbEvent([record]), (_r, info) => {
      seen.push(info);
    });
    expect(seen).toEqual([
      {
        eventName: 'MODIFY',
        keys: { pk: 'order#1', sk: 7 },
        oldImage: { pk: 'order#1', sk: 7, status: 'NEW', lines: [{ sku: 'a', qty: 1 }] },
        newImage: { pk: 'order#1', sk: 7, status: 'PAID', lines: [{ sku: 'a', qty: 2 }], paid: true, note: null },
        sequenceNumber: '1100000000017454423009',
      },
    ]);
  });

  it('DynamoDB Streams: binary as bytes, sets as Sets, big integers as bigint, long decimals exact', async () => {
    const record = dynamodbRecord({ eventName: 'INSERT', keys: { id: 'b' } });
    record.dynamodb = {
      ...record.dynamodb,
      NewImage: {
        id: { S: 'b' },
        blob: { B: Buffer.from([1, 2, 3]).toString('base64') },
        blobs: { BS: [Buffer.from([9]).toString('base64')] },
        tags: { SS: ['x', 'y'] },
        big: { N: '123456789012345678901234567890' },
        precise: { N: '12345678901234567890.5' },
        small: { N: '0.25' },
      },
    };
    let image: Record<string, unknown> | undefined;
    await processStreamBatch(dynamodbEvent([record]), (_r, { newImage }) => {
      image = newImage;
    });
    expect(image?.['blob']).toEqual(Uint8Array.from([1, 2, 3]));
    expect(image?.['blobs']).toEqual(new Set([Uint8Array.from([9])]));
    expect(image?.['tags']).toEqual(new Set(['x', 'y']));
    expect(image?.['big']).toBe(123456789012345678901234567890n);
    expect(image?.['precise']).toBeInstanceOf(NumberValue);
    expect(String(image?.['precise'])).toBe('12345678901234567890.5');
    expect(image?.['small']).toBe(0.25);
  });

  it('DynamoDB Streams: no old image on INSERT, no new image on REMOVE', async () => {
    const seen: unknown[] = [];
    await processStreamBatch(
      dynamodbEvent([
        dynamodbRecord({ eventName: 'INSERT', keys: { id: 'r' }, newImage: { id: 'r', n: 1 } }),
        dynamodbRecord({ eventName: 'REMOVE', keys: { id: 'r' }, oldImage: { id: 'r', n: 1 } }),
      ]),
      (_r, { eventName, newImage, oldImage }) => {
        seen.push({ eventName, newImage, oldImage });
      },
    );
    expect(seen).toEqual([
      { eventName: 'INSERT', newImage: { id: 'r', n: 1 }, oldImage: undefined },
      { eventName: 'REMOVE', newImage: undefined, oldImage: { id: 'r', n: 1 } },
    ]);
  });

  it('Kafka: key decoded, value parsed as JSON, topic, partition, offset, timestamp and headers', async () => {
    const record = kafkaRecord({
      topic: 'orders',
      partition: 3,
      offset: 42,
      key: 'order-7',
      value: { orderId: 'order-7', total: 3 },
      headers: [
        ['trace', 'abc'],
        ['trace', 'def'],
      ],
      timestamp: 1700000000000,
    });
    const seen: unknown[] = [];
    await processStreamBatch(mskEvent([record]), (_r, info) => {
      seen.push(info);
    });
    expect(seen).toEqual([
      {
        key: 'order-7',
        value: { orderId: 'order-7', total: 3 },
        topic: 'orders',
        partition: 3,
        offset: 42,
        timestamp: 1700000000000,
        headers: [
          { key: 'trace', value: 'abc' },
          { key: 'trace', value: 'def' },
        ],
      },
    ]);
  });

  it('Kafka: a tombstone has an undefined value and is not parsed', async () => {
    const parse = jest.fn((text: string) => text);
    const seen: unknown[] = [];
    await processStreamBatch(
      mskEvent([kafkaRecord({ topic: 'orders', partition: 0, offset: 1, key: 'order-7', value: undefined })]),
      (_r, { key, value }) => {
        seen.push({ key, value });
      },
      { parse },
    );
    expect(seen).toEqual([{ key: 'order-7', value: undefined }]);
    expect(parse).not.toHaveBeenCalled();
  });
});

describe.each(ordered)('$label: order and failures', (kind) => {
  it('runs the records one at a time, in order', async () => {
    const { event } = kind.records(items(4));
    const order: unknown[] = [];
    let running = 0;
    let most = 0;
    const result = await processStreamBatch(event, async (_r: unknown, info: unknown) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      order.push((kind.itemOf(info) as { id: string }).id);
      running -= 1;
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(order).toEqual(['item-0', 'item-1', 'item-2', 'item-3']);
    expect(most).toBe(1);
  });

  it("stops at the first failure and reports that record's sequence number; later records do not run", async () => {
    const { event, sequenceNumbers } = kind.records(items(5));
    const ran: string[] = [];
    const result = await processStreamBatch(event, (_r: unknown, info: unknown) => {
      const { id } = kind.itemOf(info) as { id: string };
      ran.push(id);
      if (id === 'item-2') throw new Error('downstream unavailable');
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumbers[2] }] });
    expect(ran).toEqual(['item-0', 'item-1', 'item-2']);
  });

  it('logs the failure with the sequence number and the error', async () => {
    const { event, sequenceNumbers } = kind.records(items(3));
    const logger = capturingLogger();
    const failure = new Error('boom');
    await processStreamBatch(
      event,
      (_r: unknown, info: unknown) => {
        if ((kind.itemOf(info) as { id: string }).id === 'item-1') throw failure;
      },
      { logger },
    );
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: `${kind.label} record ${sequenceNumbers[1]} failed; the batch stops there (1 later record(s) not run) and Lambda resumes the shard from it`,
        extra: [failure],
      },
    ]);
  });

  it('with a store, a redelivery from the failed sequence number runs each record once', async () => {
    const store = new InMemoryStore();
    const { event, sequenceNumbers } = kind.records(items(5));
    const effects: string[] = [];
    let failNext = true;
    const handler = (_r: unknown, info: unknown): void => {
      const { id } = kind.itemOf(info) as { id: string };
      if (id === 'item-3' && failNext) {
        failNext = false;
        throw new Error('transient');
      }
      effects.push(id);
    };
    const first = await processStreamBatch(event, handler, { store });
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumbers[3] }] });

    // Lambda resumes the shard from the failed record: it and the records after it come again.
    const redelivered = { Records: (event as { Records: unknown[] }).Records.slice(3) } as typeof event;
    await expect(processStreamBatch(redelivered, handler, { store })).resolves.toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4']);
  });

  it('with a store, a whole batch delivered again (after a timeout) skips the records that completed', async () => {
    const store = new InMemoryStore();
    const { event } = kind.records(items(3));
    const effects: string[] = [];
    const handler = (_r: unknown, info: unknown): void => {
      effects.push((kind.itemOf(info) as { id: string }).id);
    };
    await processStreamBatch(event, handler, { store });
    await processStreamBatch(event, handler, { store });
    expect(effects).toEqual(['item-0', 'item-1', 'item-2']);
  });

  it('without a store, a redelivered record runs again', async () => {
    const { event } = kind.records(items(2));
    const effects: string[] = [];
    const handler = (_r: unknown, info: unknown): void => {
      effects.push((kind.itemOf(info) as { id: string }).id);
    };
    await processStreamBatch(event, handler);
    await processStreamBatch(event, handler);
    expect(effects).toEqual(['item-0', 'item-1', 'item-0', 'item-1']);
  });

  it('fails a record still in progress in another invocation, at that record', async () => {
    const store = new InMemoryStore();
    const { event, sequenceNumbers } = kind.records(items(2));
    const hold = deferred();
    const started = deferred();
    const slow = processStreamBatch(
      event,
      async () => {
        started.resolve();
        await hold.promise;
      },
      { store },
    );
    await started.promise;
    const logger = capturingLogger();
    const duplicate = await processStreamBatch(event, () => undefined, { store, logger });
    hold.resolve();
    await slow;
    expect(duplicate).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumbers[0] }] });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.level).toBe('warn');
    expect(logger.lines[0]?.message).toMatch(
      new RegExp(
        `^${kind.label} record ${sequenceNumbers[0]} is being processed by another invocation \\(its lease ends in \\d+ ms\\); the batch stops there`,
      ),
    );
    expect(logger.lines[0]?.extra[0]).toBeInstanceOf(IdempotencyInProgressError);
  });
});

describe('Kinesis: parse failures', () => {
  it('a record whose data does not parse fails like a handler failure, at that record', async () => {
    const records = [
      kinesisRecord({ data: { ok: 1 } }),
      kinesisRecord({ data: '{not json', sequenceNumber: '2' }),
      kinesisRecord({ data: { ok: 3 }, sequenceNumber: '3' }),
    ];
    const handler = jest.fn();
    const logger = capturingLogger();
    const result = await processStreamBatch(kinesisEvent(records), handler, { logger });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logger.lines[0]?.message).toBe(
      'Kinesis record 2 could not be parsed; the batch stops there (1 later record(s) not run) and Lambda resumes the shard from it',
    );
    expect(logger.lines[0]?.extra[0]).toBeInstanceOf(SyntaxError);
  });
});

describe('Kafka: partitions', () => {
  const threePartitions = (): MSKRecord[] => [
    ...kafkaRecords('orders', 0, ['a0', 'a1', 'a2'], 10),
    ...kafkaRecords('orders', 1, ['b0', 'b1', 'b2'], 20),
    ...kafkaRecords('payments', 0, ['c0', 'c1', 'c2'], 30),
  ];

  it('runs partitions concurrently', async () => {
    let running = 0;
    let most = 0;
    await processStreamBatch(mskEvent(threePartitions()), async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    });
    expect(most).toBe(3);
  });

  it('runs at most `concurrency` partitions at once', async () => {
    let running = 0;
    let most = 0;
    await processStreamBatch(
      mskEvent(threePartitions()),
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
      { concurrency: 2 },
    );
    expect(most).toBe(2);
  });

  it('runs each partition in offset order, even when the event lists it otherwise', async () => {
    const records = kafkaRecords('orders', 0, ['x', 'y', 'z'], 5).reverse();
    const offsets: number[] = [];
    await processStreamBatch(mskEvent(records), async (_r, { offset }) => {
      offsets.push(offset);
    });
    expect(offsets).toEqual([5, 6, 7]);
  });

  it('a failure stops its partition, the others finish, then the invocation fails with StreamBatchError', async () => {
    const ran: string[] = [];
    const failure = new Error('payment service down');
    const error = await rejection(
      processStreamBatch(mskEvent(threePartitions()), async (_r, { value }) => {
        ran.push(value as string);
        if (value === 'b1') throw failure;
      }),
    );
    expect(error).toBeInstanceOf(StreamBatchError);
    const batchError = error as StreamBatchError;
    expect(batchError.failures).toEqual([{ topic: 'orders', partition: 1, offset: 21, error: failure }]);
    expect(batchError.cause).toBe(failure);
    expect(batchError.message).toBe(
      '1 of 3 Kafka partition(s) failed: orders-1 at offset 21 (Error: payment service down). 7 record(s) completed and 1 did not run; ' +
        'failing the invocation so that Lambda retries the batch (without a store, completed records run again)',
    );
    expect([...ran].sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'c1', 'c2']);
  });

  it('reports every failed partition, in the order of the event', async () => {
    const error = await rejection(
      processStreamBatch(mskEvent(threePartitions()), async (_r, { value }) => {
        if (value === 'c0' || value === 'a2') throw new Error(`bad ${String(value)}`);
      }),
    );
    expect((error as StreamBatchError).failures.map((f) => `${f.topic}-${f.partition}@${f.offset}`)).toEqual([
      'orders-0@12',
      'payments-0@30',
    ]);
  });

  it('a value that does not parse stops its partition like a handler failure', async () => {
    const records = [
      kafkaRecord({ topic: 'orders', partition: 0, offset: 1, value: '{"ok":1}' }),
      kafkaRecord({ topic: 'orders', partition: 0, offset: 2, value: '{broken' }),
      kafkaRecord({ topic: 'orders', partition: 0, offset: 3, value: '{"ok":3}' }),
    ];
    const handler = jest.fn();
    const error = await rejection(processStreamBatch(mskEvent(records), handler));
    expect(error).toBeInstanceOf(StreamBatchError);
    expect((error as StreamBatchError).failures[0]?.offset).toBe(2);
    expect((error as StreamBatchError).failures[0]?.error).toBeInstanceOf(SyntaxError);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('with a store, the retried batch skips the records that finished and runs the rest once', async () => {
    const store = new InMemoryStore();
    const event = mskEvent(threePartitions());
    const effects: string[] = [];
    let failOnce = true;
    const handler = async (_r: MSKRecord, { value }: KafkaRecordInfo): Promise<void> => {
      if (value === 'b1' && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      effects.push(value as string);
    };
    const error = await rejection(processStreamBatch(event, handler, { store }));
    expect((error as Error).message).toMatch(/\(completed records are skipped then\)$/);
    await expect(processStreamBatch(event, handler, { store })).resolves.toEqual({ batchItemFailures: [] });
    expect([...effects].sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'c0', 'c1', 'c2']);
  });
});

describe('idempotency keys', () => {
  const recordKey = (name: string, key: unknown): string => `${name}#${hashValue(key)}`;

  it("Kinesis: the record's eventID, under the stream's name", async () => {
    const store = new RecordingStore();
    const record = kinesisRecord({ data: 1 });
    await processStreamBatch(kinesisEvent([record]), () => undefined, { store });
    expect(store.claims.map((c) => c.key)).toEqual([recordKey(defaultOperationName('kinesis.lambda-stream'), record.eventID)]);
  });

  it("DynamoDB Streams: the record's eventID, under the table's name", async () => {
    const store = new RecordingStore();
    const record = dynamodbRecord({ eventName: 'INSERT', keys: { id: 'a' } });
    await processStreamBatch(dynamodbEvent([record]), () => undefined, { store });
    expect(store.claims.map((c) => c.key)).toEqual([recordKey(defaultOperationName('dynamodb.my-table'), record.eventID)]);
  });

  it("Kafka: topic-partition-offset, under the MSK cluster's ARN (or the self-managed cluster's bootstrap servers)", async () => {
    const store = new RecordingStore();
    const records = [kafkaRecord({ topic: 'orders', partition: 2, offset: 9, value: 1 })];
    await processStreamBatch(mskEvent(records), () => undefined, { store });
    await processStreamBatch(selfManagedKafkaEvent(records), () => undefined, { store });
    expect(store.claims.map((c) => c.key)).toEqual([
      recordKey(defaultOperationName(`kafka.${mskClusterArn()}`), 'orders-2-9'),
      recordKey(
        defaultOperationName(
          'kafka.b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
        ),
        'orders-2-9',
      ),
    ]);
  });

  describe('Kafka: records of two clusters never share an idempotency record', () => {
    const record = (): MSKRecord => kafkaRecord({ topic: 'orders', partition: 0, offset: 0, value: { orderId: 'o-1' } });

    /** How many times the handler ran for the same `orders-0@0` delivered by each event in turn. */
    async function runs(...events: Parameters<typeof processStreamBatch>[0][]): Promise<number> {
      const store = new InMemoryStore();
      let count = 0;
      for (const event of events) {
        await processStreamBatch(event, () => void (count += 1), { store });
      }
      return count;
    }

    it.each([
      ['another account', { account: '210987654321' }],
      ['another Region', { region: 'eu-west-1' }],
      ['the same account and Region, created again (another UUID)', { uuid: '0b9f2c1e-7a1d-4b0e-9c55-2f3f6f9d7a10-2' }],
    ])('MSK clusters of the same name in %s', async (_label, place) => {
      expect(await runs(mskEvent([record()]), mskEvent([record()], EXAMPLE_MSK_CLUSTER, place))).toBe(2);
    });

    it('two self-managed clusters (other bootstrap servers)', async () => {
      expect(await runs(selfManagedKafkaEvent([record()]), selfManagedKafkaEvent([record()], 'kafka-1.internal.example.com:9092'))).toBe(2);
    });

    it('but the same MSK cluster delivering a record again does (the redelivery is skipped)', async () => {
      expect(await runs(mskEvent([record()]), mskEvent([record()]))).toBe(1);
    });

    it('and so does the same self-managed cluster whose servers are listed in another order, case or spacing', async () => {
      const again =
        ' B-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092 , b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,';
      expect(await runs(selfManagedKafkaEvent([record()]), selfManagedKafkaEvent([record()], again))).toBe(1);
    });

    it('a `name` set by hand shares records between clusters on purpose', async () => {
      const store = new InMemoryStore();
      const handler = jest.fn();
      await processStreamBatch(mskEvent([record()]), handler, { store, name: 'orders' });
      await processStreamBatch(mskEvent([record()], EXAMPLE_MSK_CLUSTER, { region: 'eu-west-1' }), handler, { store, name: 'orders' });
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  it('Kafka: a long list of bootstrap servers is shortened and hashed, so the record key stays far below 2048 bytes', async () => {
    const store = new RecordingStore();
    const servers = (suffix: string): string =>
      Array.from({ length: 60 }, (_, i) => `broker-${i}.kafka-cluster-with-a-rather-long-name.${suffix}.internal.example.com:9092`).join(
        ',',
      );
    const records = [kafkaRecord({ topic: 'orders', partition: 0, offset: 0, value: 1 })];
    await processStreamBatch(selfManagedKafkaEvent(records, servers('east')), () => undefined, { store });
    await processStreamBatch(selfManagedKafkaEvent(records, servers('west')), () => undefined, { store });
    const keys = store.claims.map((c) => c.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) {
      expect(Buffer.byteLength(key)).toBeLessThan(512);
      expect(key).toMatch(/\.kafka\.broker-0\.kafka-cluster-with-a-rather-long-name\.[a-z.-]*~[0-9a-f]{64}#[0-9a-f]{64}$/);
    }
  });

  it('Kafka: an MSK event whose ARN is unusually long is hashed the same way', async () => {
    const store = new RecordingStore();
    const event = mskEvent([kafkaRecord({ topic: 'orders', partition: 0, offset: 0, value: 1 })], 'x'.repeat(3000));
    await processStreamBatch(event, () => undefined, { store });
    expect(Buffer.byteLength(store.claims[0]?.key ?? '')).toBeLessThan(512);
  });

  it('Kafka: an event that names no cluster is refused before any record runs when the default name needs one', async () => {
    const handler = jest.fn();
    const {
      eventSourceArn: _arn,
      bootstrapServers: _servers,
      ...anonymous
    } = mskEvent([kafkaRecord({ topic: 'orders', partition: 0, offset: 0, value: 1 })]);
    const error = await rejection(processStreamBatch(anonymous as never, handler, { store: new InMemoryStore() }));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'processStreamBatch cannot tell which Kafka cluster the event comes from: it has no eventSourceArn (Amazon MSK) and no bootstrapServers (self-managed Kafka), which the default `name` is made of. Pass the event as Lambda delivers it, or set `name`',
    );
    expect(handler).not.toHaveBeenCalled();
    // With a name, or without a store, nothing needs the cluster.
    await expect(processStreamBatch(anonymous as never, handler, { store: new InMemoryStore(), name: 'orders' })).resolves.toEqual({
      batchItemFailures: [],
    });
    await expect(processStreamBatch(anonymous as never, handler)).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('records of two DynamoDB tables whose names are unusually long stay apart, with short keys', async () => {
    const store = new RecordingStore();
    const handler = jest.fn();
    const record = (tableName: string): DynamoDBRecord =>
      dynamodbRecord({ eventName: 'INSERT', keys: { id: 'a' }, eventID: 'same-event-id', tableName });
    await processStreamBatch(dynamodbEvent([record(`${'t'.repeat(3000)}-1`)]), handler, { store });
    await processStreamBatch(dynamodbEvent([record(`${'t'.repeat(3000)}-2`)]), handler, { store });
    expect(handler).toHaveBeenCalledTimes(2);
    for (const claim of store.claims) expect(Buffer.byteLength(claim.key)).toBeLessThan(512);
  });

  it('records of two streams with the same shard and sequence number do not share a record', async () => {
    const store = new InMemoryStore();
    const ran: string[] = [];
    const handler = (record: KinesisStreamRecord): void => {
      ran.push(record.eventSourceARN);
    };
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: 1, streamName: 'orders' })]), handler, { store });
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: 1, streamName: 'payments' })]), handler, { store });
    expect(ran).toHaveLength(2);
  });

  describe.each(['lease', 'optimistic'] as const)('two records of one business event in one batch, in %s mode', (mode) => {
    const byOrder = (_record: unknown, { data }: { data: unknown }): string => (data as { orderId: string }).orderId;

    it('Kinesis: run once, both acknowledged', async () => {
      const store = new InMemoryStore();
      const ran: unknown[] = [];
      const result = await processStreamBatch(
        kinesisEvent(kinesisRecords([{ orderId: 'o-1' }, { orderId: 'o-2' }, { orderId: 'o-1' }])),
        (_r, { data }) => void ran.push(data),
        { store, key: byOrder, mode },
      );
      expect(result).toEqual({ batchItemFailures: [] });
      expect(ran).toEqual([{ orderId: 'o-1' }, { orderId: 'o-2' }]);
    });

    it('Kafka, in two partitions: run once, with no failure', async () => {
      const records = [
        kafkaRecord({ topic: 'orders', partition: 0, offset: 1, value: { orderId: 'same' } }),
        kafkaRecord({ topic: 'orders', partition: 1, offset: 1, value: { orderId: 'same' } }),
      ];
      let runs = 0;
      await expect(
        processStreamBatch(
          mskEvent(records),
          async () => {
            runs += 1;
            await new Promise((resolve) => setImmediate(resolve));
          },
          { store: new InMemoryStore(), key: (_record, { value }) => (value as { orderId: string }).orderId, mode },
        ),
      ).resolves.toEqual({ batchItemFailures: [] });
      expect(runs).toBe(1);
    });

    it('Kafka, in two partitions: when the first copy fails, the second fails the same way without running (as in processSqsBatch)', async () => {
      const records = [
        kafkaRecord({ topic: 'orders', partition: 0, offset: 1, value: { orderId: 'same' } }),
        kafkaRecord({ topic: 'orders', partition: 1, offset: 1, value: { orderId: 'same' } }),
      ];
      const failure = new Error('downstream unavailable');
      let runs = 0;
      const error = await processStreamBatch(
        mskEvent(records),
        async () => {
          runs += 1;
          await new Promise((resolve) => setImmediate(resolve));
          throw failure;
        },
        {
          store: new InMemoryStore(),
          key: (_record, { value }) => (value as { orderId: string }).orderId,
          mode,
          logger: capturingLogger(),
        },
      ).catch((e: unknown) => e);
      expect(runs).toBe(1);
      expect(error).toBeInstanceOf(StreamBatchError);
      expect((error as StreamBatchError).failures.map((f) => [f.partition, f.error])).toEqual([
        [0, failure],
        [1, failure],
      ]);
    });

    it('Kinesis: the second copy fails with IdempotencyPayloadMismatchError when its fingerprint differs', async () => {
      const logger = capturingLogger();
      const records = kinesisRecords([
        { orderId: 'o-1', total: 3 },
        { orderId: 'o-1', total: 300 },
      ]);
      const ran = jest.fn();
      const result = await processStreamBatch(kinesisEvent(records), ran, {
        store: new InMemoryStore(),
        key: byOrder,
        fingerprint: (_record, { data }) => (data as { total: number }).total,
        mode,
        logger,
      });
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.kinesis.sequenceNumber }] });
      expect(ran).toHaveBeenCalledTimes(1);
      expect(logger.lines[0]?.message).toBe(
        `Kinesis record ${records[1]?.kinesis.sequenceNumber} failed; the batch stops there (0 later record(s) not run) and Lambda resumes the shard from it`,
      );
      expect(logger.lines[0]?.extra[0]).toBeInstanceOf(IdempotencyPayloadMismatchError);
    });
  });

  it('a key function gets the record and the decoded info: two records of one business event run once', async () => {
    const store = new InMemoryStore();
    const records = kinesisRecords([{ orderId: 'o-1' }, { orderId: 'o-2' }, { orderId: 'o-1' }]);
    const ran: unknown[] = [];
    const result = await processStreamBatch(
      kinesisEvent(records),
      (_r, { data }) => {
        ran.push(data);
      },
      { store, key: (_record, { data }) => (data as { orderId: string }).orderId },
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ orderId: 'o-1' }, { orderId: 'o-2' }]);
  });

  it('a JMESPath key applies to the record', async () => {
    const store = new RecordingStore();
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: 1, partitionKey: 'customer-9' })]), () => undefined, {
      store,
      key: 'kinesis.partitionKey',
      name: 'by-partition-key',
    });
    expect(store.claims.map((c) => c.key)).toEqual([recordKey('by-partition-key', 'customer-9')]);
  });

  it('Kafka: two partitions holding the same business key run it once, with no in-progress failure', async () => {
    const store = new InMemoryStore();
    const records = [
      kafkaRecord({ topic: 'orders', partition: 0, offset: 1, value: { orderId: 'same' } }),
      kafkaRecord({ topic: 'orders', partition: 1, offset: 1, value: { orderId: 'same' } }),
    ];
    let runs = 0;
    await expect(
      processStreamBatch(
        mskEvent(records),
        async () => {
          runs += 1;
          await new Promise((resolve) => setImmediate(resolve));
        },
        { store, key: (_record, { value }) => (value as { orderId: string }).orderId },
      ),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(runs).toBe(1);
  });

  it('a record without a key fails (IdempotencyKeyError), at that record', async () => {
    const store = new InMemoryStore();
    const logger = capturingLogger();
    const records = kinesisRecords([{ orderId: 'o-1' }, {}]);
    const result = await processStreamBatch(kinesisEvent(records), () => undefined, {
      store,
      logger,
      key: (_record, { data }) => (data as { orderId?: string }).orderId,
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.kinesis.sequenceNumber }] });
    expect((logger.lines[0]?.extra[0] as Error).name).toBe('IdempotencyKeyError');
  });
});

describe('leases', () => {
  it("each record's lease is the Lambda context's remaining time less one second", async () => {
    const clock = manualClock(Date.UTC(2024, 0, 1));
    const store = new RecordingStore();
    const context = lambdaContext({ timeoutMs: 30_000, now: clock });
    clock.advance(5_000);
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: 1 })]), () => undefined, { store, context, clock });
    expect(store.claims[0]?.leaseUntil).toBe(clock() + 25_000 - 1_000);
  });

  it('leaseSeconds overrides the context', async () => {
    const clock = manualClock(Date.UTC(2024, 0, 1));
    const store = new RecordingStore();
    await processStreamBatch(kinesisEvent([kinesisRecord({ data: 1 })]), () => undefined, {
      store,
      context: lambdaContext({ timeoutMs: 30_000, now: clock }),
      clock,
      leaseSeconds: 7,
    });
    expect(store.claims[0]?.leaseUntil).toBe(clock() + 7_000);
  });
});

describe('options', () => {
  const event = kinesisEvent([]);

  it.each([
    [{ key: 'eventID' }, 'Option `key` is an idempotency option and needs `store`: pass a store (a DynamoDBStore) or remove `key`'],
    [{ concurrency: 0 }, 'Expected `concurrency` to be a positive whole number, got 0'],
    [{ parse: 'json' }, 'Expected `parse` to be a function, got "json"'],
    [{ context: {} }, 'Expected `context` to be the Lambda context (with getRemainingTimeInMillis), got an object ([object Object])'],
    [
      { store: new InMemoryStore(), expiresAfterSecs: 10 },
      /^Unknown option `expiresAfterSecs` of processStreamBatch \(known options: .*context, parse, concurrency\)$/,
    ],
    [{ store: new InMemoryStore(), leaseSeconds: -1 }, 'Expected `leaseSeconds` to be a positive number, got -1'],
  ])('refuses %p naming the option and the value', async (bad, message) => {
    const error = await rejection(processStreamBatch(event, () => undefined, bad as never));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(
      typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message,
    );
  });

  it('options spread anew with each context keep their engine, and so its local cache', async () => {
    const store = new RecordingStore();
    const options = { store, localCache: { maxItems: 10 } };
    const batch = kinesisEvent([kinesisRecord({ data: 1 })]);
    const clock = manualClock();
    await processStreamBatch(batch, () => undefined, { ...options, context: lambdaContext({ now: clock }) });
    await processStreamBatch(batch, () => undefined, { ...options, context: lambdaContext({ now: clock }) });
    expect(store.claims).toHaveLength(1);
  });
});

describe('sequence numbers as versions', () => {
  it('a DynamoDB Streams sequence number fits a version guard', () => {
    const sequenceNumber = dynamodbRecord({ eventName: 'INSERT', keys: { id: 'v' } }).dynamodb?.SequenceNumber ?? '';
    expect(() => newerThan({ TableName: 't', Key: { id: 'v' }, version: sequenceNumber })).not.toThrow();
  });

  it('a Kinesis sequence number (56 digits) is longer than a DynamoDB Number holds, so a guard refuses it', () => {
    const { sequenceNumber } = kinesisRecord({ data: 1 }).kinesis;
    expect(sequenceNumber).toHaveLength(56);
    let error: unknown;
    try {
      newerThan({ TableName: 't', Key: { id: 'v' }, version: sequenceNumber });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toMatch(/38 digits/);
  });
});

describe('test event factories', () => {
  it('build base64 exactly as the AWS example does', () => {
    expect(base64('Hello, this is a test.')).toBe('SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==');
  });

  it('give DynamoDB records the eventSource and ARN Lambda gives', () => {
    const record: DynamoDBRecord = dynamodbRecord({ eventName: 'INSERT', keys: { id: 1 } });
    expect(record.eventSource).toBe('aws:dynamodb');
    expect(record.eventSourceARN).toMatch(/^arn:aws:dynamodb:us-east-2:123456789012:table\/my-table\/stream\//);
    expect(record.dynamodb?.Keys).toEqual({ id: { N: '1' } });
  });
});

describe('the example projection handler (handlers/stream-projection.ts)', () => {
  it('refuses to run without the read model table named in ORDER_VIEWS_TABLE_NAME', async () => {
    const saved = process.env[ORDER_VIEWS_TABLE_ENV];
    delete process.env[ORDER_VIEWS_TABLE_ENV];
    try {
      const error = await rejection(projectionHandler(dynamodbEvent([])));
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe("ORDER_VIEWS_TABLE_NAME is not set: it must name the read model's table");
    } finally {
      if (saved !== undefined) process.env[ORDER_VIEWS_TABLE_ENV] = saved;
    }
  });
});
