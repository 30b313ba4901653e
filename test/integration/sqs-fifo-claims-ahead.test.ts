/**
 * FIFO batches claim their records up front: the records of a message group run one at a time, but their
 * claims go to DynamoDB together, in one request; the claims of records that then do not run are released
 * together. On DynamoDB Local, with SDK-default clients.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, makeIdempotent } from '../../lib';
import { processSqsBatch } from '../../lib/sqs';
import { createLambdaContext } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';
import { countRequests } from '../helpers/request-counter';
import { failedIds, fifoBatch, recordingLogger } from '../helpers/sqs-batches';
import { sqsEvent } from '../helpers/sqs-events';

interface Order {
  readonly orderId: string;
}

let store: DynamoDBStore;
let sequence = 0;
const opName = (): string => `fifo-ahead-${(sequence += 1)}`;

beforeAll(async () => {
  store = new DynamoDBStore({ tableName: await createTestTable('fifo-ahead'), client: dynamoClient() });
});

/** `n` orders with fresh ids, all in message group `group`. */
function oneGroup(n: number, group = 'customer-1'): ReturnType<typeof fifoBatch> {
  const prefix = randomUUID();
  return fifoBatch(Array.from({ length: n }, (_, i) => [group, { orderId: `${prefix}-${i}` }] as const));
}

const orderOf = (body: unknown): string => (body as Order).orderId;

/** Runs `records` through processSqsBatch, counting the requests it sends; `fail` names orders that throw. */
async function processCounted(
  records: ReturnType<typeof fifoBatch>,
  options: {
    readonly name: string;
    readonly fail?: ReadonlySet<string>;
    readonly ran: string[];
    readonly leaseSeconds?: number;
    readonly clock?: () => number;
  },
): Promise<{ failed: string[]; counts: Record<string, number> }> {
  const counter = countRequests(dynamoClient());
  try {
    const response = await processSqsBatch(
      sqsEvent(records),
      async (_record, { body }) => {
        const order = orderOf(body);
        options.ran.push(order);
        if (options.fail?.has(order) === true) throw new Error(`order ${order} refused`);
        return order;
      },
      {
        store,
        key: 'body.orderId',
        name: options.name,
        logger: recordingLogger(),
        context: createLambdaContext({ timeoutMs: 30_000 }),
        ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      },
    );
    return { failed: failedIds(response), counts: { ...counter.counts } };
  } finally {
    counter.remove();
  }
}

describe('a FIFO batch of one message group', () => {
  it('claims its 10 records with one request before the first runs, then completes each in turn', async () => {
    const records = oneGroup(10);
    const ran: string[] = [];
    const { failed, counts } = await processCounted(records, { name: opName(), ran });
    expect(failed).toEqual([]);
    expect(ran).toEqual(records.map((r) => orderOf(JSON.parse(r.body))));
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, UpdateItemCommand: 10 });
  });

  it('replays every record of a batch delivered again, with one read of the claims', async () => {
    const records = oneGroup(10);
    const name = opName();
    await processCounted(records, { name, ran: [] });
    const ran: string[] = [];
    const { failed, counts } = await processCounted(records, { name, ran });
    expect(failed).toEqual([]);
    expect(ran).toEqual([]);
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, BatchGetItemCommand: 1 });
  });
});

describe('a FIFO batch that stops', () => {
  it('releases the claims of the records it skipped, in one request, so their next delivery runs them', async () => {
    const records = oneGroup(10);
    const orders = records.map((r) => orderOf(JSON.parse(r.body)));
    const name = opName();
    const ran: string[] = [];
    const first = await processCounted(records, { name, ran, fail: new Set([orders[3] as string]) });
    expect(ran).toEqual(orders.slice(0, 4));
    expect(first.failed).toEqual(records.slice(3).map((r) => r.messageId));
    // Claims (1), completions of the 3 that ran (3), the failed record's release (1), the skipped 6 together (1).
    expect(first.counts).toEqual({ BatchExecuteStatementCommand: 2, UpdateItemCommand: 3, DeleteItemCommand: 1 });

    const again: string[] = [];
    const second = await processCounted(records.slice(3), { name, ran: again });
    expect(second.failed).toEqual([]);
    expect(again).toEqual(orders.slice(3));
  });

  it('fails a record held by another invocation at its turn, and releases the later claims of its group', async () => {
    const records = oneGroup(4);
    const orders = records.map((r) => orderOf(JSON.parse(r.body)));
    const name = opName();
    // Another invocation holds the third order (a copy delivered after a visibility timeout, still running).
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let letGo!: () => void;
    const other = makeIdempotent(
      async (_order: Order) => {
        holding();
        await new Promise<void>((resolve) => (letGo = resolve));
        return 'other';
      },
      { store, key: 'orderId', name: `${name}`, leaseSeconds: 60 },
    );
    // The SQS processor's key is derived from the record; the same name and key select the same record.
    const running = other({ orderId: orders[2] as string });
    await held;
    const ran: string[] = [];
    const { failed } = await processCounted(records, { name, ran });
    letGo();
    await running;
    expect(ran).toEqual(orders.slice(0, 2));
    expect(failed).toEqual(records.slice(2).map((r) => r.messageId));
    const retry: string[] = [];
    await processCounted(records.slice(3), { name, ran: retry });
    expect(retry).toEqual([orders[3]]);
  });
});

describe('explicit leases', () => {
  it('renews a claim to a full lease before its record runs, once half of it went by waiting', async () => {
    const clock = manualClock();
    const records = oneGroup(2);
    const ran: string[] = [];
    const counter = countRequests(dynamoClient());
    let counts: Record<string, number>;
    try {
      await processSqsBatch(
        sqsEvent(records),
        async (_record, { body }) => {
          ran.push(orderOf(body));
          clock.advance(6_000); // the first record takes 6 s of the 10 s lease both were claimed with
        },
        { store, key: 'body.orderId', name: opName(), leaseSeconds: 10, clock, context: createLambdaContext({ timeoutMs: 60_000 }) },
      );
      counts = { ...counter.counts };
    } finally {
      counter.remove();
    }
    expect(ran).toHaveLength(2);
    // Claims (1); the second record's lease renewed (1) before it ran; two completions (2).
    expect(counts).toEqual({ BatchExecuteStatementCommand: 1, UpdateItemCommand: 3 });
  });
});
