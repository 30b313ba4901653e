/**
 * Options DynamoDB can never store are refused at wrap time with IdempotencyConfigError naming the option
 * and the value, instead of failing every call with "retry the invocation".
 */
import { DynamoDBStore, IdempotencyConfigError, InMemoryStore, makeIdempotent, type IdempotencyOptions } from '../../lib';

const store = new InMemoryStore();
const wrap = (options: Partial<IdempotencyOptions<[unknown]>>) => (): unknown =>
  makeIdempotent(async (_event: unknown) => 1, { store, name: 'limits', ...options });

describe('options a store cannot honour', () => {
  it.each([
    [{ expiresAfterSeconds: 1e200 }, 'Expected `expiresAfterSeconds` to be at most 315360000 (ten years), got 1e+200'],
    [{ leaseSeconds: 1e130 }, 'Expected `leaseSeconds` to be at most 43200 (12 hours), got 1e+130'],
    [
      { name: 'n'.repeat(2_100) },
      "Expected `name` to be at most 1024 bytes (record keys must fit DynamoDB's 2048-byte partition key), got 2100 bytes",
    ],
    [
      { name: 'é'.repeat(600) },
      "Expected `name` to be at most 1024 bytes (record keys must fit DynamoDB's 2048-byte partition key), got 1200 bytes",
    ],
    [
      { clock: () => '2026-11-29' as unknown as number },
      'Expected `clock` to return epoch milliseconds (a finite number), got "2026-11-29"',
    ],
    [{ clock: () => Number.NaN }, 'Expected `clock` to return epoch milliseconds (a finite number), got NaN'],
    [{ clockSkewMs: -1 }, 'Expected `clockSkewMs` to be a number >= 0, got -1'],
    [{ clockSkewMs: 3_600_000 }, 'Expected `clockSkewMs` to be at most 300000 (5 minutes), got 3600000'],
    [{ completionRetrySeconds: 0 }, 'Expected `completionRetrySeconds` to be a positive number, got 0'],
    [{ completionRetrySeconds: 86_400 }, 'Expected `completionRetrySeconds` to be at most 3600 (one hour), got 86400'],
  ])('refuses %p', (options, message) => {
    expect(wrap(options)).toThrow(new IdempotencyConfigError(message));
  });

  it.each([
    { expiresAfterSeconds: 315_360_000 },
    { leaseSeconds: 43_200 },
    { name: 'n'.repeat(1_024) },
    { clockSkewMs: 0 },
    { clock: () => 1_800_000_000_000 },
  ])('accepts the largest value that works: %p', (options) => {
    expect(wrap(options)).not.toThrow();
  });
});

describe('options that mean nothing, or not what was meant', () => {
  it.each([
    [{ leaseSeconds: 1e-9 }, 'Expected `leaseSeconds` to be at least 1 (second), got 1e-9'],
    [{ expiresAfterSeconds: 1e-9 }, 'Expected `expiresAfterSeconds` to be at least 1 (second), got 1e-9'],
    [{ localCache: { maxItem: 5 } }, 'Unknown option `localCache.maxItem`: did you mean `localCache.maxItems`? (known options: maxItems)'],
    [
      { localCache: { maxItems: 1e9 } },
      'Expected `localCache.maxItems` to be at most 100000 (each item holds a result of up to maxResultBytes in memory), got 1000000000',
    ],
    [{ maxResultBytes: 1e12 }, 'Expected `maxResultBytes` to be at most 67108864 (64 MiB), got 1000000000000'],
    [
      { mode: 'optimistic', onInProgress: 'wait' },
      "`onInProgress: 'wait'` does nothing with `mode: 'optimistic'` (an optimistic run claims nothing, so there is no holder to wait for): use mode 'lease', or leave onInProgress out",
    ],
    [{ name: 'orders\u0000v2' }, 'Expected `name` to hold no control character, got "orders\\u0000v2" (U+0000 at index 6)'],
    [{ name: 'orders\nv2' }, 'Expected `name` to hold no control character, got "orders\\nv2" (U+000A at index 6)'],
  ])('refuses %p', (options, message) => {
    expect(wrap(options as Partial<IdempotencyOptions<[unknown]>>)).toThrow(new IdempotencyConfigError(message));
  });

  it.each([
    { leaseSeconds: 1 },
    { expiresAfterSeconds: 1 },
    { localCache: { maxItems: 100_000 } },
    { localCache: {} },
    { mode: 'optimistic' as const },
  ])('accepts %p', (options) => {
    expect(wrap(options)).not.toThrow();
  });
});

describe('DynamoDBStore options', () => {
  it.each([
    [
      { client: {} },
      'Expected `client` to be a DynamoDBClient from @aws-sdk/client-dynamodb (an object with send()), got an object ([object Object])',
    ],
    [
      { client: 'dynamodb' },
      'Expected `client` to be a DynamoDBClient from @aws-sdk/client-dynamodb (an object with send()), got "dynamodb"',
    ],
    [{ logger: {} }, 'Expected `logger` to have debug, info, warn and error methods, got an object ([object Object])'],
  ])('refuses %p', (options, message) => {
    expect(() => new DynamoDBStore({ tableName: 'records', ...(options as object) })).toThrow(new IdempotencyConfigError(message));
  });
});
