/**
 * Options DynamoDB can never store are refused at wrap time with IdempotencyConfigError naming the option
 * and the value, instead of failing every call with "retry the invocation".
 */
import { IdempotencyConfigError, InMemoryStore, makeIdempotent, type IdempotencyOptions } from '../../lib';

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
