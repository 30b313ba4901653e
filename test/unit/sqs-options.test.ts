/**
 * processSqsBatch's options: validated once with messages naming the value, and the engine kept per options
 * so its local cache survives invocations (test/unit/defaults.test.ts checks the documented defaults).
 */
import { IdempotencyConfigError, InMemoryStore } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { SQS_OPTIONS } from '../../lib/sqs/options';
import { jsonRecord, recordingLogger, recordingStore, type Order } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';

const event = () => sqsEvent([jsonRecord({ orderId: 'o-1' })]);
const handler = async (): Promise<void> => undefined;
const run = (options: unknown) => processSqsBatch(event(), handler, options as SqsBatchOptions);

describe('validation', () => {
  it('refuses an unknown option, listing the known ones', async () => {
    await expect(run({ store: new InMemoryStore(), concurency: 5 })).rejects.toThrow(
      new IdempotencyConfigError(
        `Unknown option \`concurency\` of processSqsBatch: did you mean \`concurrency\`? (known options: ${SQS_OPTIONS.names.join(', ')})`,
      ),
    );
  });

  it('refuses an unknown option without a store too', async () => {
    await expect(run({ concurency: 5 })).rejects.toThrow(
      /^Unknown option `concurency` of processSqsBatch: did you mean `concurrency`\? \(known options: store, key/,
    );
  });

  it.each([
    [{ concurrency: 0 }, 'Expected `concurrency` to be a positive whole number, got 0'],
    [{ concurrency: 2.5 }, 'Expected `concurrency` to be a positive whole number, got 2.5'],
    [{ concurrency: '10' }, 'Expected `concurrency` to be a positive whole number, got "10"'],
    [{ fifoOnFailure: 'skip' }, "Expected `fifoOnFailure` to be one of 'skip-group', 'stop', got \"skip\""],
    [{ parse: 'json' }, 'Expected `parse` to be a function, got "json"'],
    [{ context: {} }, 'Expected `context` to be the Lambda context (with getRemainingTimeInMillis), got an object ([object Object])'],
  ])('refuses %j', async (options, message) => {
    await expect(run(options)).rejects.toThrow(new IdempotencyConfigError(message));
  });

  it('refuses an idempotency option without a store, naming it', async () => {
    await expect(run({ key: 'orderId', leaseSeconds: 5 })).rejects.toThrow(
      new IdempotencyConfigError(
        'Option `key` is an idempotency option and needs `store`: pass a store (a DynamoDBStore) or remove `key`, `leaseSeconds`',
      ),
    );
  });

  it('accepts a logger without a store, and idempotency options left undefined', async () => {
    await expect(run({ logger: recordingLogger(), key: undefined, store: undefined })).resolves.toEqual({ batchItemFailures: [] });
  });

  it('refuses a store that is not one', async () => {
    await expect(run({ store: { get: () => undefined } })).rejects.toThrow(
      new IdempotencyConfigError(
        'Expected `store` to be an IdempotencyStore (a DynamoDBStore, an InMemoryStore or your own), got an object ([object Object])',
      ),
    );
  });

  it('refuses a malformed JMESPath key before any record runs', async () => {
    const ran = jest.fn();
    await expect(processSqsBatch(event(), ran, { store: new InMemoryStore(), key: 'body.[' })).rejects.toThrow(
      /^Expected `key` to be a valid JMESPath expression, got "body\.\[": /,
    );
    expect(ran).not.toHaveBeenCalled();
  });

  it('refuses options that are not an object', async () => {
    await expect(run('fast')).rejects.toThrow(
      new IdempotencyConfigError('Expected processSqsBatch\'s options to be an object, got "fast"'),
    );
  });

  describe('of visibility', () => {
    const client = { send: async () => ({}) };
    it.each([
      [{ visibility: true }, 'Expected `visibility` to be an object with a `client`, got true'],
      [{ visibility: {} }, 'Expected `visibility.client` to be an SQSClient (an object with a send method), got undefined'],
      [
        { visibility: { client, extendBy: 30 } },
        'Unknown option `visibility.extendBy`: did you mean `visibility.extendBySeconds`? (known options: client, extendBySeconds, extendWhenRemainingSeconds, queueUrl)',
      ],
      [{ visibility: { client, extendBySeconds: 0 } }, 'Expected `visibility.extendBySeconds` to be a positive whole number, got 0'],
      [
        { visibility: { client, extendBySeconds: 1 } },
        'Expected `visibility.extendBySeconds` to be at least 2 (an extension must be sent before the last one runs out), got 1',
      ],
      [
        { visibility: { client, extendBySeconds: 43_201 } },
        "Expected `visibility.extendBySeconds` to be at most 43200 (SQS's largest visibility timeout), got 43201",
      ],
      [
        { visibility: { client, extendBySeconds: 30, extendWhenRemainingSeconds: 30 } },
        'Expected `visibility.extendWhenRemainingSeconds` (30) to be less than `visibility.extendBySeconds` (30)',
      ],
      [
        { visibility: { client, extendWhenRemainingSeconds: -1 } },
        'Expected `visibility.extendWhenRemainingSeconds` to be a positive whole number, got -1',
      ],
      [
        { visibility: { client, queueUrl: 'orders' } },
        'Expected `visibility.queueUrl` to be a queue URL (http(s)://HOST/ACCOUNT/NAME), got "orders"',
      ],
    ])('refuses %j', async (options, message) => {
      await expect(run(options)).rejects.toThrow(new IdempotencyConfigError(message));
    });
  });
});

describe('the engine kept per options', () => {
  const orderKey = (_r: unknown, { body }: { body: Order }): string => body.orderId;

  it('validates an options object once', async () => {
    let reads = 0;
    const options = {
      store: new InMemoryStore(),
      get concurrency(): number {
        reads += 1;
        return 4;
      },
    };
    await processSqsBatch(event(), handler, options);
    const afterFirst = reads;
    await processSqsBatch(event(), handler, options);
    await processSqsBatch(event(), handler, options);
    expect(afterFirst).toBeGreaterThan(0);
    expect(reads).toBe(afterFirst);
  });

  it('keeps the local cache across invocations given the same options object', async () => {
    const store = recordingStore();
    const options: SqsBatchOptions<Order> = { store, key: orderKey, localCache: { maxItems: 10 } };
    await processSqsBatch(event(), handler, options);
    await processSqsBatch(event(), handler, options);
    expect(store.calls.claim).toHaveLength(1);
  });

  it('keeps it too for `{ ...options, context }` built on every invocation', async () => {
    const store = recordingStore();
    const options: SqsBatchOptions<Order> = { store, key: orderKey, localCache: { maxItems: 10 } };
    await processSqsBatch(event(), handler, { ...options, context: lambdaContext() });
    await processSqsBatch(event(), handler, { ...options, context: lambdaContext(), localCache: { maxItems: 10 } });
    expect(store.calls.claim).toHaveLength(1);
  });

  it('builds a new engine for options with other values (a new key function)', async () => {
    const store = recordingStore();
    const options = (): SqsBatchOptions<Order> => ({ store, key: (_r, { body }) => body.orderId, localCache: { maxItems: 10 } });
    await processSqsBatch(event(), handler, options());
    await processSqsBatch(event(), handler, options());
    // No local cache hit: the second engine asked the store (which replayed the completed record).
    expect(store.calls.claim).toHaveLength(2);
  });
});
