/**
 * Exactly once in effect, end to end, on fauxqs and DynamoDB Local.
 *
 * Producers send every business event (an order) one to three times, each copy a new message (on the FIFO
 * queue with a new deduplication id, so SQS does not drop it). Several pollers consume the queue at once
 * through processSqsBatch, keyed by the business key, while things go wrong:
 * - the handler stages its effect and then throws for some records (a crash after the side effect);
 * - whole invocations are killed at random moments: from then on nothing of theirs runs or reaches
 *   DynamoDB (a request already sent may be applied, its response never seen), and the batch is not
 *   deleted, as when a Lambda runtime dies;
 * - DynamoDB throttles some requests and loses the responses of others (the SDK retries them).
 * At the end every order has had its effect exactly once (on the FIFO queue, each customer's orders in
 * order), no idempotency record is left in progress and no message is left in the queue.
 *
 * The numbers of each run are printed (set EO_SQS_SEED to replay a run).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { commitWith, DynamoDBStore, type StagedWrite } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { startLocalEventSource, withFaults, type LocalEventSource } from '../../lib/testing';
import { mulberry32 } from '../../lib/testing/faults';
import { createTestQueue, createTestTable, sqsClient } from '../helpers/local';
import { recordingLogger } from '../helpers/sqs-batches';

const SEED = Number(process.env['EO_SQS_SEED'] ?? 20_261_126);
/** Business events (orders) per run. */
const EVENTS = 60;
/** Customers (the FIFO message groups). */
const CUSTOMERS = 6;
/** Each event is sent 1 to this many times. */
const MAX_COPIES = 3;
/** Concurrent producers and pollers. */
const PRODUCERS = 3;
const POLLERS = 4;
/** Probability that an invocation is killed, at a random moment in its first KILL_WITHIN_MS. */
const KILL_RATE = 0.2;
const KILL_WITHIN_MS = 30;
/** Probability that a handler run throws after staging its effect. */
const FAIL_AFTER_EFFECT_RATE = 0.1;
/** Function timeout of the emulated invocations: the idempotency lease of a record is this less 1 s. */
const FUNCTION_TIMEOUT_MS = 3_000;
/** Seconds a failed or killed batch stays invisible. */
const VISIBILITY_TIMEOUT_SECONDS = 1;
/** How long a run may take to drain. */
const DRAIN_DEADLINE_MS = 120_000;

interface OrderPlaced {
  readonly orderId: string;
  readonly customerId: string;
  /** Position of the order among its customer's orders. */
  readonly seq: number;
}

/** What one run did, printed at the end. */
interface RunNumbers {
  queue: 'standard' | 'fifo';
  seed: number;
  businessEvents: number;
  messagesSent: number;
  deliveries: number;
  invocations: number;
  killedInvocations: number;
  handlerRuns: number;
  failuresAfterEffect: number;
  recordsReportedFailed: number;
  duplicatesSuppressed: number;
  effects: number;
  dynamoThrottled: number;
  dynamoLostResponses: number;
  elapsedMs: number;
}

/** The invocation a piece of code belongs to, so that a killed one stops everywhere at once. */
interface Life {
  dead: boolean;
}
const lives = new AsyncLocalStorage<Life>();
const never = (): Promise<never> => new Promise<never>(() => undefined);
/** A point where a killed invocation stops for good. */
const alive = (life: Life): Promise<void> => (life.dead ? never() : Promise.resolve());

/** A DynamoDB client whose requests stop for good once their invocation is killed (before or after sending). */
function killableDynamoClient(): DynamoDBClient {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: process.env['EO_DYNAMODB_ENDPOINT'],
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const life = lives.getStore();
      if (life?.dead) return never();
      const output = await next(args);
      if (life?.dead) return never();
      return output;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'killedInvocationStops' },
  );
  return client;
}

/** Every event, then its extra copies at random later places in the stream. */
function messageStream(random: () => number): OrderPlaced[] {
  const events: OrderPlaced[] = Array.from({ length: EVENTS }, (_, i) => ({
    orderId: `order-${i}`,
    customerId: `customer-${i % CUSTOMERS}`,
    seq: Math.floor(i / CUSTOMERS),
  }));
  const stream = [...events];
  for (const event of events) {
    const copies = Math.floor(random() * MAX_COPIES);
    for (let c = 0; c < copies; c += 1) {
      const after = stream.indexOf(event) + 1;
      stream.splice(after + Math.floor(random() * (stream.length - after + 1)), 0, event);
    }
  }
  return stream;
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

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Sends the stream with PRODUCERS concurrent producers; on FIFO each customer belongs to one producer. */
async function produce(queueUrl: string, stream: readonly OrderPlaced[], fifo: boolean): Promise<void> {
  const producerOf = (order: OrderPlaced): number => Number(order.customerId.split('-')[1]) % PRODUCERS;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, producer) => {
      const mine = stream.filter((order) => producerOf(order) === producer);
      for (let start = 0; start < mine.length; start += 10) {
        await sqsClient().send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: mine.slice(start, start + 10).map((order, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify(order),
              ...(fifo ? { MessageGroupId: order.customerId, MessageDeduplicationId: randomUUID() } : {}),
            })),
          }),
        );
      }
    }),
  );
}

const sources: LocalEventSource[] = [];
const clients: DynamoDBClient[] = [];
afterAll(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
  for (const client of clients.splice(0)) client.destroy();
});

/** One run on a queue of `kind`; returns what happened and what is left. */
async function run(kind: 'standard' | 'fifo', seed: number) {
  const random = mulberry32(seed);
  const fifo = kind === 'fifo';
  const [tableName, effectsTable] = await Promise.all([createTestTable('sqs-e1-idem'), createTestTable('sqs-e1-effects')]);
  const { queueUrl } = await createTestQueue(`sqs-e1-${kind}`, { fifo, visibilityTimeout: VISIBILITY_TIMEOUT_SECONDS });
  const client = killableDynamoClient();
  clients.push(client);
  const faults = withFaults(client, { seed: seed + 1, throttleRate: 0.03, lostResponseRate: 0.03 });
  const logger = recordingLogger();

  const numbers: RunNumbers = {
    queue: kind,
    seed,
    businessEvents: EVENTS,
    messagesSent: 0,
    deliveries: 0,
    invocations: 0,
    killedInvocations: 0,
    handlerRuns: 0,
    failuresAfterEffect: 0,
    recordsReportedFailed: 0,
    duplicatesSuppressed: 0,
    effects: 0,
    dynamoThrottled: 0,
    dynamoLostResponses: 0,
    elapsedMs: 0,
  };

  /** The side effect: counted per order, and appended to the customer's list (to check FIFO order). */
  const effect = (order: OrderPlaced): StagedWrite[] => [
    {
      Update: {
        TableName: effectsTable,
        Key: { id: order.orderId },
        UpdateExpression: 'ADD applied :one',
        ExpressionAttributeValues: { ':one': 1 },
      },
    },
    {
      Update: {
        TableName: effectsTable,
        Key: { id: order.customerId },
        UpdateExpression: 'SET seqs = list_append(if_not_exists(seqs, :empty), :seq)',
        ExpressionAttributeValues: { ':empty': [], ':seq': [order.seq] },
      },
    },
  ];

  // Defined once, as a consumer module would: one store, one engine across invocations.
  const options: SqsBatchOptions<OrderPlaced> = {
    store: new DynamoDBStore({ tableName, client }),
    key: (_record, { body }) => body.orderId,
    logger,
  };

  const invoke = async (event: SQSEvent, context: Context) => {
    numbers.invocations += 1;
    const life: Life = { dead: false };
    const returned = new Set<string>();
    const batch = lives.run(life, () =>
      processSqsBatch(
        event,
        async (record, { body }) => {
          numbers.handlerRuns += 1;
          await alive(life);
          commitWith(...effect(body));
          await alive(life);
          // The first run always fails, so that every run covers the case whatever the timing.
          if (numbers.failuresAfterEffect === 0 || random() < FAIL_AFTER_EFFECT_RATE) {
            numbers.failuresAfterEffect += 1;
            throw new Error(`${body.orderId} crashed after staging its effect`);
          }
          returned.add(record.messageId);
        },
        { ...options, context },
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    // Until one invocation has been killed, every invocation may be: every run covers kills whatever the timing.
    const killed =
      numbers.killedInvocations === 0 || random() < KILL_RATE
        ? new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => {
              life.dead = true;
              numbers.killedInvocations += 1;
              reject(new Error('Runtime exited: the invocation was killed'));
            }, random() * KILL_WITHIN_MS);
          })
        : never();
    const response = await Promise.race([batch, killed]);
    clearTimeout(timer);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    numbers.recordsReportedFailed += failed.size;
    // Acknowledged without its handler returning in this invocation: a duplicate the store suppressed.
    numbers.duplicatesSuppressed += event.Records.filter((r) => !failed.has(r.messageId) && !returned.has(r.messageId)).length;
    return response;
  };

  const startedAt = Date.now();
  const source = startLocalEventSource({
    client: sqsClient(),
    queueUrl,
    handler: invoke,
    pollers: POLLERS,
    timeoutMs: FUNCTION_TIMEOUT_MS,
    visibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
    functionName: `sqs-e1-${kind}`,
  });
  sources.push(source);

  const stream = messageStream(random);
  numbers.messagesSent = stream.length;
  await produce(queueUrl, stream, fifo);

  // Failed and killed batches come back after their visibility timeout: drain until the queue is empty.
  while ((await messagesLeft(queueUrl)) > 0) {
    if (Date.now() - startedAt > DRAIN_DEADLINE_MS) {
      throw new Error(`The queue did not drain within ${DRAIN_DEADLINE_MS} ms (seed ${seed}): ${JSON.stringify(source.stats)}`);
    }
    await source.idle({ timeoutMs: DRAIN_DEADLINE_MS });
  }
  await source.stop();
  numbers.elapsedMs = Date.now() - startedAt;
  numbers.deliveries = source.stats.messagesDelivered;
  numbers.dynamoThrottled = faults.injected().throttled;
  numbers.dynamoLostResponses = faults.injected().lostResponses;
  faults.remove();

  const effects = await scanAll(client, effectsTable);
  const records = await scanAll(client, tableName);
  numbers.effects = effects
    .filter((item) => String(item['id']).startsWith('order-'))
    .reduce((sum, item) => sum + Number(item['applied']), 0);
  console.log(`processSqsBatch exactly-once run: ${JSON.stringify(numbers)}`);
  return { numbers, effects, records, stream, left: await messagesLeft(queueUrl), logger };
}

describe.each(['standard', 'fifo'] as const)('on a %s queue, with duplicates, crashes, kills and DynamoDB faults', (kind) => {
  let result: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    result = await run(kind, kind === 'fifo' ? SEED + 1000 : SEED);
  }, DRAIN_DEADLINE_MS + 60_000);

  it('ran the scenario it describes: duplicates sent, handlers crashing, invocations killed', () => {
    const n = result.numbers;
    expect(n.messagesSent).toBeGreaterThan(EVENTS);
    expect(n.failuresAfterEffect).toBeGreaterThan(0);
    expect(n.killedInvocations).toBeGreaterThan(0);
    expect(n.deliveries).toBeGreaterThan(n.messagesSent);
    expect(n.duplicatesSuppressed).toBeGreaterThanOrEqual(n.messagesSent - EVENTS);
  });

  it('gave every business event its effect exactly once', () => {
    const applied = Object.fromEntries(
      result.effects.filter((item) => String(item['id']).startsWith('order-')).map((item) => [item['id'], Number(item['applied'])]),
    );
    const expected = Object.fromEntries(Array.from({ length: EVENTS }, (_, i) => [`order-${i}`, 1]));
    expect(applied).toEqual(expected);
    expect(result.numbers.effects).toBe(EVENTS);
  });

  it("applied each customer's orders once each" + (kind === 'fifo' ? ', in the order they were sent' : ''), () => {
    for (let c = 0; c < CUSTOMERS; c += 1) {
      const seqs = (result.effects.find((item) => item['id'] === `customer-${c}`)?.['seqs'] ?? []) as number[];
      const sent = Array.from({ length: EVENTS / CUSTOMERS }, (_, i) => i);
      if (kind === 'fifo') expect(seqs).toEqual(sent);
      else expect([...seqs].sort((a, b) => a - b)).toEqual(sent);
    }
  });

  it('left nothing in flight: the queue is empty and every idempotency record completed', () => {
    expect(result.left).toBe(0);
    expect(result.records.map((record) => record['status'])).toEqual(Array(EVENTS).fill('COMPLETED'));
  });
});
