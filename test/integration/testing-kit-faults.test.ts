import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { TestKitConfigError, withFaults } from '../../lib/testing';
import type { FaultOptions } from '../../lib/testing';
import { createTestQueue, createTestTable, dynamoClient, newDynamoClient, newSqsClient } from '../helpers/local';

let table: string;
const clients: Array<{ destroy(): void }> = [];

function client(config: { maxAttempts?: number } = {}): DynamoDBClient {
  const made = newDynamoClient(config);
  clients.push(made);
  return made;
}

function put(id: string, conditional = false): PutItemCommand {
  return new PutItemCommand({
    TableName: table,
    Item: { id: { S: id }, value: { S: 'v' } },
    ...(conditional ? { ConditionExpression: 'attribute_not_exists(id)' } : {}),
  });
}

async function exists(id: string): Promise<boolean> {
  const { Item } = await dynamoClient().send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
  return Item !== undefined;
}

let ids = 0;
const newId = (): string => `item-${Date.now()}-${(ids += 1)}`;

beforeAll(async () => {
  table = await createTestTable('faults');
});

afterEach(() => {
  for (const made of clients.splice(0)) made.destroy();
});

describe('withFaults: lost responses', () => {
  it('makes the SDK retry a conditional put that was applied, so the retry fails its own condition', async () => {
    const ddb = client();
    const faults = withFaults(ddb, { seed: 1, lostResponseRate: 1, maxFaults: 1 });
    const id = newId();

    const attempt = ddb.send(put(id, true));

    await expect(attempt).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { attempts: 2 } });
    expect(await exists(id)).toBe(true);
    expect(faults.injected()).toEqual({ requests: 2, throttled: 0, lostResponses: 1, delayed: 0, slowAnswers: 0, outaged: 0 });
  });

  it('is invisible to the caller of an unconditional put: the retry succeeds', async () => {
    const ddb = client();
    const faults = withFaults(ddb, { seed: 1, lostResponseRate: 1, maxFaults: 1 });
    const id = newId();

    const output = await ddb.send(put(id));

    expect(output.$metadata.attempts).toBe(2);
    expect(await exists(id)).toBe(true);
    expect(faults.injected().lostResponses).toBe(1);
  });

  it('surfaces as the network error once the SDK runs out of attempts', async () => {
    const ddb = client({ maxAttempts: 2 });
    withFaults(ddb, { seed: 1, lostResponseRate: 1, lostResponseError: 'TimeoutError' });

    await expect(ddb.send(put(newId()))).rejects.toMatchObject({
      name: 'TimeoutError',
      message: 'Request timed out (response lost, injected by effectively-once/testing)',
      $metadata: { attempts: 2 },
    });
  });

  it('raises ECONNRESET by default', async () => {
    const ddb = client({ maxAttempts: 1 });
    withFaults(ddb, { seed: 1, lostResponseRate: 1 });

    await expect(ddb.send(put(newId()))).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: 'socket hang up (response lost, injected by effectively-once/testing)',
    });
  });
});

describe('withFaults: throttling', () => {
  it('is retried by the SDK, and counted', async () => {
    const ddb = client();
    const faults = withFaults(ddb, { seed: 7, throttleRate: 1, maxFaults: 2 });
    const id = newId();

    const output = await ddb.send(put(id, true));

    expect(output.$metadata.attempts).toBe(3);
    expect(faults.injected()).toEqual({ requests: 3, throttled: 2, lostResponses: 0, delayed: 0, slowAnswers: 0, outaged: 0 });
    expect(await exists(id)).toBe(true);
  });

  it('never sends the throttled request', async () => {
    const ddb = client({ maxAttempts: 1 });
    withFaults(ddb, { seed: 7, throttleRate: 1 });
    const id = newId();

    await expect(ddb.send(put(id))).rejects.toBeInstanceOf(ThrottlingException);
    expect(await exists(id)).toBe(false);
  });

  it('throws the DynamoDB exception class, shaped like the SDK’s, after the last attempt', async () => {
    const ddb = client({ maxAttempts: 3 });
    const faults = withFaults(ddb, { seed: 7, throttleRate: 1 });

    const attempt = ddb.send(put(newId()));

    await expect(attempt).rejects.toBeInstanceOf(ThrottlingException);
    await expect(attempt).rejects.toMatchObject({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 3, requestId: expect.stringMatching(/^[0-9A-Z]{32}$/) },
    });
    expect(faults.injected().throttled).toBe(3);
  });

  it('throws the error named by throttleErrorName', async () => {
    const ddb = client({ maxAttempts: 1 });
    withFaults(ddb, { seed: 7, throttleRate: 1, throttleErrorName: 'ProvisionedThroughputExceededException' });

    await expect(ddb.send(put(newId()))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('throws a throttling error the SDK retries on a non-DynamoDB client', async () => {
    const { queueUrl } = await createTestQueue('faults');
    const sqs = newSqsClient();
    clients.push(sqs);
    const faults = withFaults(sqs, { seed: 3, throttleRate: 1, maxFaults: 1 });

    const output = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));

    expect(output.$metadata.attempts).toBe(2);
    expect(faults.injected().throttled).toBe(1);
  });
});

describe('withFaults: latency', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Turns of the event loop (real I/O included) until `done()`, failing instead of waiting forever. */
  async function until(done: () => boolean, what: string): Promise<void> {
    for (let turn = 0; !done(); turn += 1) {
      if (turn > 10_000) throw new Error(`never ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Sends one put under jest's fake timers (and fake Date) and returns, in fake milliseconds, how long the
   * request waited between reaching the fault middleware and reaching the wire (the SDK's deserialize step).
   */
  async function wireDelay(latencyMs: FaultOptions['latencyMs'], expectedMs?: number): Promise<number> {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const ddb = client();
    const faults = withFaults(ddb, { seed: 1, latencyMs });
    const reachedWire: number[] = [];
    ddb.middlewareStack.add(
      (next) => async (args) => {
        reachedWire.push(Date.now());
        return next(args);
      },
      { step: 'deserialize', name: 'reachedWire' },
    );
    const sending = ddb.send(put(newId()));
    await until(() => faults.injected().delayed === 1, 'delayed');
    const delayedAt = Date.now();
    if (expectedMs !== undefined) {
      await jest.advanceTimersByTimeAsync(expectedMs - 1);
      expect(reachedWire).toEqual([]);
    }
    while (reachedWire.length === 0) {
      if (Date.now() - delayedAt > 1_000) throw new Error('the request never reached the wire');
      await jest.advanceTimersByTimeAsync(1);
    }
    await sending;
    expect(faults.injected().delayed).toBe(1);
    return (reachedWire[0] as number) - delayedAt;
  }

  it('delays each request by latencyMs', async () => {
    await expect(wireDelay(80, 80)).resolves.toBe(80);
  });

  it('draws the delay from [min, max]', async () => {
    const delay = await wireDelay([40, 60]);
    expect(delay).toBeGreaterThanOrEqual(40);
    expect(delay).toBeLessThanOrEqual(60);
  });
});

describe('withFaults: scope', () => {
  it('limits the faults to the named commands', async () => {
    const ddb = client({ maxAttempts: 1 });
    const faults = withFaults(ddb, { seed: 1, throttleRate: 1, commands: ['GetItemCommand'] });
    const id = newId();

    await expect(ddb.send(put(id))).resolves.toBeDefined();
    await expect(ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }))).rejects.toBeInstanceOf(ThrottlingException);
    expect(faults.injected()).toEqual({ requests: 1, throttled: 1, lostResponses: 0, delayed: 0, slowAnswers: 0, outaged: 0 });
  });

  it('sees the document client’s PutCommand as PutItemCommand', async () => {
    const ddb = client({ maxAttempts: 1 });
    const doc = DynamoDBDocumentClient.from(ddb);
    withFaults(doc, { seed: 1, throttleRate: 1, commands: ['PutItemCommand'] });

    await expect(doc.send(new PutCommand({ TableName: table, Item: { id: newId() } }))).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('remove() takes the middleware off', async () => {
    const ddb = client({ maxAttempts: 1 });
    const faults = withFaults(ddb, { seed: 1, throttleRate: 1 });

    faults.remove();
    faults.remove();

    await expect(ddb.send(put(newId()))).resolves.toBeDefined();
    expect(faults.injected().requests).toBe(0);
  });
});

describe('withFaults: reproducibility', () => {
  async function pattern(seed: number): Promise<string> {
    const ddb = client({ maxAttempts: 1 });
    withFaults(ddb, { seed, throttleRate: 0.5 });
    let outcomes = '';
    for (let i = 0; i < 24; i += 1) {
      outcomes += await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'x' } } })).then(
        () => '.',
        () => 'T',
      );
    }
    return outcomes;
  }

  it('injects the same faults into the same sequence of requests for the same seed', async () => {
    const first = await pattern(42);

    expect(await pattern(42)).toBe(first);
    expect(first).toContain('T');
    expect(first).toContain('.');
  });

  it('injects different faults for a different seed', async () => {
    expect(await pattern(43)).not.toBe(await pattern(42));
  });
});

describe('withFaults: options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['seed', { seed: 1.5 }, 'Expected `seed` to be an integer, got 1.5'],
    ['throttleRate', { seed: 1, throttleRate: 1.5 }, 'Expected `throttleRate` to be a number from 0 to 1, got 1.5'],
    ['lostResponseRate', { seed: 1, lostResponseRate: -0.1 }, 'Expected `lostResponseRate` to be a number from 0 to 1, got -0.1'],
    [
      'latencyMs',
      { seed: 1, latencyMs: [50, 10] },
      'Expected `latencyMs` to be a number >= 0 or [min, max] with 0 <= min <= max, got an array ([50,10])',
    ],
    [
      'commands',
      { seed: 1, commands: 'GetItemCommand' },
      'Expected `commands` to be a list of command names like \'GetItemCommand\', got "GetItemCommand"',
    ],
    [
      'lostResponseError',
      { seed: 1, lostResponseError: 'EPIPE' },
      "Expected `lostResponseError` to be one of 'ECONNRESET', 'TimeoutError', got \"EPIPE\"",
    ],
    ['maxFaults', { seed: 1, maxFaults: -1 }, 'Expected `maxFaults` to be an integer >= 0, got -1'],
    [
      'an unknown option',
      { seed: 1, throttlerate: 0.5 },
      'Unknown option `throttlerate` of withFaults: did you mean `throttleRate`? (known options: seed, throttleRate, lostResponseRate, latencyMs, commands, throttleErrorName, lostResponseError, maxFaults, slowAnswerRate, slowAnswerMs, outages)',
    ],
  ])('rejects an invalid %s, naming the value', (_name, options, message) => {
    expect(() => withFaults(client(), options as unknown as FaultOptions)).toThrow(new TestKitConfigError(message));
  });
});
