/**
 * processSqsBatch on FIFO queues, with batches holding several messages of one message group (as Lambda
 * delivers them from real SQS; fauxqs never does, so these rules are specified here).
 */
import type { SQSRecord } from 'aws-lambda';
import { IdempotencyConfigError, InMemoryStore } from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { failedIds, fifoBatch, gate, jsonRecord, recordingLogger, recordingStore, settle } from '../helpers/sqs-batches';
import { EXAMPLE_FIFO_QUEUE_ARN, sqsEvent } from '../helpers/sqs-events';

interface Step {
  readonly step: string;
}

const stepOf = (body: unknown): string => (body as Step).step;

describe('ordering within a message group', () => {
  it('runs the records of one group one at a time, in arrival order', async () => {
    const batch = fifoBatch([
      ['a', { step: 'a1' }],
      ['a', { step: 'a2' }],
      ['a', { step: 'a3' }],
    ]);
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (_record, { body }) => g.enter(stepOf(body)));
    await g.running(1);
    await settle();
    expect(g.runningNow()).toEqual(['a1']);
    g.release('a1');
    await g.startedCount(2);
    await settle();
    expect(g.runningNow()).toEqual(['a2']);
    g.open();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(g.started).toEqual(['a1', 'a2', 'a3']);
    expect(g.maxRunning()).toBe(1);
  });

  it('runs different groups concurrently', async () => {
    const batch = fifoBatch([
      ['a', { step: 'a1' }],
      ['b', { step: 'b1' }],
      ['a', { step: 'a2' }],
      ['c', { step: 'c1' }],
    ]);
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (_record, { body }) => g.enter(stepOf(body)));
    await g.running(3);
    expect(g.runningNow()).toEqual(['a1', 'b1', 'c1']);
    g.open();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(g.started.indexOf('a2')).toBeGreaterThan(g.started.indexOf('a1'));
  });

  it('runs at most `concurrency` groups at once', async () => {
    const batch = fifoBatch([
      ['a', { step: 'a1' }],
      ['b', { step: 'b1' }],
      ['c', { step: 'c1' }],
      ['d', { step: 'd1' }],
    ]);
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (_record, { body }) => g.enter(stepOf(body)), { concurrency: 2 });
    await g.running(2);
    await settle();
    expect(g.runningNow()).toEqual(['a1', 'b1']);
    g.open();
    await pending;
    expect(g.maxRunning()).toBe(2);
  });

  it('keeps groups of the same name on two queues apart', async () => {
    const other = 'arn:aws:sqs:us-east-2:123456789012:other.fifo';
    const batch = [...fifoBatch([['a', { step: 'q1' }]]), ...fifoBatch([['a', { step: 'q2' }, { eventSourceARN: other }]])];
    const g = gate();
    const pending = processSqsBatch(sqsEvent(batch), (_record, { body }) => g.enter(stepOf(body)));
    await g.running(2);
    g.open();
    await pending;
  });
});

describe("after a failure, with fifoOnFailure 'skip-group' (the default)", () => {
  const batch = fifoBatch([
    ['a', { step: 'a1' }],
    ['b', { step: 'b1' }],
    ['a', { step: 'a2', fail: true }],
    ['b', { step: 'b2' }],
    ['a', { step: 'a3' }],
    ['a', { step: 'a4' }],
    ['b', { step: 'b3' }],
  ]);
  const id = (step: string): string => batch.find((r) => (JSON.parse(r.body) as Step).step === step)!.messageId;

  it('reports the failed record and every later record of its group failed, in arrival order', async () => {
    const logger = recordingLogger();
    const ran: string[] = [];
    const response = await processSqsBatch(
      sqsEvent(batch),
      async (_record, { body }) => {
        ran.push(stepOf(body));
        if ((body as { fail?: boolean }).fail) throw new Error('declined');
      },
      { logger },
    );
    expect(failedIds(response)).toEqual([id('a2'), id('a3'), id('a4')]);
    expect(ran.filter((s) => s.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(ran.filter((s) => s.startsWith('b'))).toEqual(['b1', 'b2', 'b3']);
    expect(logger.messages('warn')).toEqual([
      `SQS message ${id('a3')} was not processed because an earlier message of its group a failed; reported failed to keep the group in order`,
      `SQS message ${id('a4')} was not processed because an earlier message of its group a failed; reported failed to keep the group in order`,
    ]);
  });

  it('treats a body that cannot be parsed as a failure of its group', async () => {
    const records = fifoBatch([
      ['a', { step: 'a1' }],
      ['a', { step: 'a2' }],
      ['a', { step: 'a3' }],
    ]);
    records[1]!.body = '{broken';
    const ran: string[] = [];
    const response = await processSqsBatch(sqsEvent(records), async (_r, { body }) => void ran.push(stepOf(body)), {
      logger: recordingLogger(),
    });
    expect(failedIds(response)).toEqual([records[1]!.messageId, records[2]!.messageId]);
    expect(ran).toEqual(['a1']);
  });

  it('treats a record in progress elsewhere as a failure of its group, so the group stays in order', async () => {
    const store = new InMemoryStore();
    const records = fifoBatch([
      ['a', { step: 'a1' }],
      ['a', { step: 'a2' }],
    ]);
    const blocker = gate();
    // Another invocation holds a1's key (same deduplication id) and has not finished.
    const elsewhere = processSqsBatch(sqsEvent([records[0]!]), () => blocker.enter('elsewhere'), { store });
    await blocker.running(1);
    const ran: string[] = [];
    const response = await processSqsBatch(sqsEvent(records), async (_r, { body }) => void ran.push(stepOf(body)), {
      store,
      logger: recordingLogger(),
    });
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(ran).toEqual([]);
    blocker.open();
    await elsewhere;
  });
});

describe("after a failure, with fifoOnFailure 'stop'", () => {
  it('runs nothing more and reports the failed record and every record not processed, in arrival order', async () => {
    const batch = fifoBatch([
      ['a', { step: 'a1' }],
      ['a', { step: 'a2', fail: true }],
      ['b', { step: 'b1' }],
      ['a', { step: 'a3' }],
      ['b', { step: 'b2' }],
      ['c', { step: 'c1' }],
    ]);
    const logger = recordingLogger();
    const ran: string[] = [];
    const response = await processSqsBatch(
      sqsEvent(batch),
      async (_record, { body }) => {
        ran.push(stepOf(body));
        if ((body as { fail?: boolean }).fail) throw new Error('declined');
      },
      { fifoOnFailure: 'stop', concurrency: 1, logger },
    );
    expect(ran).toEqual(['a1', 'a2']);
    expect(failedIds(response)).toEqual(batch.slice(1).map((r) => r.messageId));
    expect(logger.messages('warn')).toHaveLength(4);
  });

  it('lets records already running in other groups finish and reports them by their own outcome', async () => {
    const batch = fifoBatch([
      ['a', { step: 'a1', fail: true }],
      ['b', { step: 'b1' }],
      ['b', { step: 'b2' }],
      ['c', { step: 'c1' }],
    ]);
    const g = gate();
    const pending = processSqsBatch(
      sqsEvent(batch),
      async (_record, { body }) => {
        await g.enter(stepOf(body));
        if ((body as { fail?: boolean }).fail) throw new Error('declined');
      },
      { fifoOnFailure: 'stop', concurrency: 2, logger: recordingLogger() },
    );
    await g.running(2);
    expect(g.runningNow()).toEqual(['a1', 'b1']);
    g.release('a1');
    await settle();
    g.release('b1');
    const response = await pending;
    // b1 was running when a1 failed: it finished and succeeded. b2 and c1 never started.
    expect(failedIds(response)).toEqual([batch[0]!.messageId, batch[2]!.messageId, batch[3]!.messageId]);
    expect(g.started).toEqual(['a1', 'b1']);
  });

  it('does not stop a standard queue batch (fifoOnFailure applies to FIFO queues only)', async () => {
    const ran: number[] = [];
    const records = [jsonRecord({ n: 1 }), jsonRecord({ n: 2 }), jsonRecord({ n: 3 })];
    const response = await processSqsBatch<{ n: number }>(
      sqsEvent(records),
      async (_r, { body }) => {
        ran.push(body.n);
        if (body.n === 1) throw new Error('declined');
      },
      { fifoOnFailure: 'stop', concurrency: 1, logger: recordingLogger() },
    );
    expect(ran).toEqual([1, 2, 3]);
    expect(failedIds(response)).toEqual([records[0]!.messageId]);
  });
});

describe('duplicates inside a FIFO batch', () => {
  it('runs records with the same key once across groups, acknowledging both', async () => {
    const orderKey = (_r: unknown, { body }: { body: { orderId: string } }): string => body.orderId;
    const batch = fifoBatch([
      ['a', { orderId: 'o-1' }],
      ['b', { orderId: 'o-1' }],
      ['b', { orderId: 'o-2' }],
    ]);
    const ran: string[] = [];
    const response = await processSqsBatch<{ orderId: string }>(sqsEvent(batch), async (_r, { body }) => void ran.push(body.orderId), {
      store: new InMemoryStore(),
      key: orderKey,
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual(['o-1', 'o-2']);
  });

  it('keeps the group order behind a duplicate: the record after it waits for the first copy', async () => {
    const orderKey = (_r: unknown, { body }: { body: { orderId: string } }): string => body.orderId;
    const batch = fifoBatch([
      ['a', { orderId: 'o-1' }],
      ['b', { orderId: 'o-1' }],
      ['b', { orderId: 'o-2' }],
    ]);
    const g = gate();
    const pending = processSqsBatch<{ orderId: string }>(sqsEvent(batch), (_r, { body }) => g.enter(body.orderId), {
      store: new InMemoryStore(),
      key: orderKey,
    });
    await g.running(1);
    await settle();
    expect(g.runningNow()).toEqual(['o-1']);
    g.open();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(g.started).toEqual(['o-1', 'o-2']);
  });
});

describe('a record of a FIFO queue without a MessageGroupId (malformed: SQS gives every FIFO message a group)', () => {
  /** The batch with the MessageGroupId of the records at `indexes` removed. */
  const withoutGroup = (records: SQSRecord[], ...indexes: number[]): SQSRecord[] => {
    for (const index of indexes) delete records[index]!.attributes.MessageGroupId;
    return records;
  };

  it('is reported failed without running, with an IdempotencyConfigError logged; the other records run as before', async () => {
    const batch = withoutGroup(
      fifoBatch([
        ['a', { step: 'a1' }],
        ['a', { step: 'x' }],
        ['a', { step: 'a2' }],
        ['b', { step: 'b1' }],
      ]),
      1,
    );
    const malformed = batch[1]!;
    const logger = recordingLogger();
    const ran: string[] = [];
    const response = await processSqsBatch(sqsEvent(batch), async (_r, { body }) => void ran.push(stepOf(body)), { logger });
    expect(failedIds(response)).toEqual([malformed.messageId]);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1']);
    expect(logger.messages('error')).toEqual([
      `SQS message ${malformed.messageId} of FIFO queue fifo.fifo has no MessageGroupId, so it cannot be run in its group's order; reported failed`,
    ]);
    const error = logger.entries.find((entry) => entry.level === 'error')?.extra[0];
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      `SQS message ${malformed.messageId} comes from the FIFO queue ${EXAMPLE_FIFO_QUEUE_ARN} but its attributes.MessageGroupId is undefined (expected a non-empty string, as SQS gives every message of a FIFO queue); it was not run`,
    );
  });

  it('is refused with an empty MessageGroupId too', async () => {
    const batch = fifoBatch([['', { step: 'x' }]]);
    const logger = recordingLogger();
    const handler = jest.fn();
    const response = await processSqsBatch(sqsEvent(batch), handler, { logger });
    expect(failedIds(response)).toEqual([batch[0]!.messageId]);
    expect(handler).not.toHaveBeenCalled();
    expect((logger.entries[0]?.extra[0] as Error).message).toMatch(
      /but its attributes\.MessageGroupId is "" \(expected a non-empty string/,
    );
  });

  it('never runs two such records at once, nor at all: each is reported failed', async () => {
    const batch = withoutGroup(
      fifoBatch([
        ['a', { step: 'x1' }],
        ['a', { step: 'x2' }],
      ]),
      0,
      1,
    );
    const handler = jest.fn();
    const response = await processSqsBatch(sqsEvent(batch), handler, { logger: recordingLogger() });
    expect(failedIds(response)).toEqual(batch.map((r) => r.messageId));
    expect(handler).not.toHaveBeenCalled();
  });

  it('claims nothing in the store for it', async () => {
    const store = recordingStore();
    const batch = withoutGroup(fifoBatch([['a', { step: 'x' }]]), 0);
    const response = await processSqsBatch(sqsEvent(batch), jest.fn(), { store, logger: recordingLogger() });
    expect(failedIds(response)).toEqual([batch[0]!.messageId]);
    expect(store.calls.claim).toEqual([]);
  });

  it("does not stop the batch under fifoOnFailure 'stop': it is in no group whose order a retry must keep", async () => {
    const batch = withoutGroup(
      fifoBatch([
        ['a', { step: 'a1' }],
        ['a', { step: 'x' }],
        ['b', { step: 'b1' }],
      ]),
      1,
    );
    const ran: string[] = [];
    const response = await processSqsBatch(sqsEvent(batch), async (_r, { body }) => void ran.push(stepOf(body)), {
      fifoOnFailure: 'stop',
      concurrency: 1,
      logger: recordingLogger(),
    });
    expect(ran).toEqual(['a1', 'b1']);
    expect(failedIds(response)).toEqual([batch[1]!.messageId]);
  });

  it('is no concern of a standard queue, whose records need no group', async () => {
    const handler = jest.fn();
    await expect(processSqsBatch(sqsEvent([jsonRecord({ n: 1 })]), handler)).resolves.toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
