/**
 * Numbers of DynamoDB Streams images: DynamoDB holds up to 38 significant digits, a JavaScript number about 17.
 * The handler gets a `number` when the number holds the value exactly, a `bigint` for an integer beyond
 * 2^53, and a `NumberValue` with DynamoDB's digits for any other value; never a rounded `number`. Records are
 * written in DynamoDB JSON as the stream delivers them.
 */
// The class @aws-sdk/lib-dynamodb exports as `NumberValue` (util-dynamodb exports it as `NumberValueImpl`).
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { NumberValueImpl } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import type { IdempotencyLogger } from '../../lib/options';
import { processStreamBatch, type DynamoDBRecordInfo, type StreamAttributeValue } from '../../lib/streams';
import { dynamodbEvent, dynamodbRecord } from '../helpers/stream-events';

/** A decimal with 21 significant digits: `Number()` rounds it to 0.12345678901234568. */
const LONG_DECIMAL = '0.123456789012345678901';

/** A stream record whose Keys, NewImage and OldImage are the given DynamoDB JSON. */
function recordWith(images: {
  keys?: Record<string, StreamAttributeValue>;
  newImage?: Record<string, StreamAttributeValue>;
  oldImage?: Record<string, StreamAttributeValue>;
}): DynamoDBRecord {
  const record = dynamodbRecord({ eventName: 'MODIFY', keys: { id: 'n' } });
  record.dynamodb = {
    ...record.dynamodb,
    Keys: images.keys ?? { id: { S: 'n' } },
    ...(images.newImage === undefined ? {} : { NewImage: images.newImage }),
    ...(images.oldImage === undefined ? {} : { OldImage: images.oldImage }),
  };
  return record;
}

/** What the handler received for `record`. */
async function infoOf(record: DynamoDBRecord): Promise<DynamoDBRecordInfo> {
  const seen: DynamoDBRecordInfo[] = [];
  const result = await processStreamBatch(dynamodbEvent([record]), (_r, info) => {
    seen.push(info);
  });
  expect(result).toEqual({ batchItemFailures: [] });
  expect(seen).toHaveLength(1);
  return seen[0] as DynamoDBRecordInfo;
}

/** Asserts `value` is a NumberValue holding exactly `digits`. */
function expectExact(value: unknown, digits: string): void {
  expect(value).toBeInstanceOf(NumberValue);
  expect(String(value)).toBe(digits);
}

describe('a decimal a number cannot hold exactly comes back as a NumberValue with its digits', () => {
  it('in the new image', async () => {
    const info = await infoOf(recordWith({ newImage: { id: { S: 'n' }, rate: { N: LONG_DECIMAL } } }));
    expectExact(info.newImage?.['rate'], LONG_DECIMAL);
  });

  it('in the old image', async () => {
    const info = await infoOf(recordWith({ oldImage: { id: { S: 'n' }, rate: { N: LONG_DECIMAL } } }));
    expectExact(info.oldImage?.['rate'], LONG_DECIMAL);
  });

  it('in the keys (a sort key that is a long decimal)', async () => {
    const info = await infoOf(recordWith({ keys: { id: { S: 'n' }, at: { N: LONG_DECIMAL } } }));
    expectExact(info.keys['at'], LONG_DECIMAL);
  });

  it('nested in maps and lists', async () => {
    const info = await infoOf(
      recordWith({
        newImage: {
          id: { S: 'n' },
          order: { M: { lines: { L: [{ M: { price: { N: '19.990000000000000000001' } } }, { N: LONG_DECIMAL }] } } },
        },
      }),
    );
    const order = info.newImage?.['order'] as { lines: [{ price: unknown }, unknown] };
    expectExact(order.lines[0].price, '19.990000000000000000001');
    expectExact(order.lines[1], LONG_DECIMAL);
  });

  it('in number sets (NS), beside members a number holds', async () => {
    const info = await infoOf(recordWith({ newImage: { id: { S: 'n' }, rates: { NS: ['0.5', LONG_DECIMAL] } } }));
    const rates = [...(info.newImage?.['rates'] as Set<unknown>)];
    expect(rates).toHaveLength(2);
    expect(rates).toContain(0.5);
    expectExact(
      rates.find((rate) => rate instanceof NumberValue),
      LONG_DECIMAL,
    );
  });

  it.each([
    ['17 significant digits, one more than a double round-trips', '0.12345678901234567'],
    ['an amount beyond 2^53 with cents', '90071992547409.935'],
    ['a large number with a fraction', '12345678901234567890.5'],
    ['38 significant digits, the most DynamoDB holds', '1.2345678901234567890123456789012345678'],
    ['a tiny number with many digits', '1.2345678901234567891E-100'],
  ])('%s (%s)', async (_label, digits) => {
    const info = await infoOf(recordWith({ newImage: { id: { S: 'n' }, value: { N: digits } } }));
    expectExact(info.newImage?.['value'], digits);
  });
});

it('NumberValue is the class of @aws-sdk/util-dynamodb (its NumberValueImpl) too', () => {
  expect(NumberValue).toBe(NumberValueImpl);
});

describe('a number a number holds exactly comes back as a number', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['7', 7],
    ['-12.5', -12.5],
    ['0.1', 0.1],
    ['19.99', 19.99],
    ['0.000001', 0.000001],
    ['1E-130', 1e-130],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', Number.MIN_SAFE_INTEGER],
    ['0.1234567890123456', 0.1234567890123456],
    ['1.50', 1.5],
    ['1E+2', 100],
  ])('%s', async (digits, expected) => {
    const info = await infoOf(
      recordWith({ newImage: { id: { S: 'n' }, value: { N: digits } }, keys: { id: { S: 'n' }, k: { N: digits } } }),
    );
    expect(info.newImage?.['value']).toBe(expected);
    expect(info.keys['k']).toBe(expected);
  });
});

describe('an integer beyond 2^53 comes back as a bigint, exact (the largest DynamoDB number too)', () => {
  it.each([
    ['9007199254740993', 9007199254740993n],
    ['18014398509481984', 18014398509481984n],
    ['-123456789012345678901234567890', -123456789012345678901234567890n],
    ['1E+30', 10n ** 30n],
    ['99999999999999999999999999999999999999', 99999999999999999999999999999999999999n],
    ['9.9999999999999999999999999999999999999E+125', (10n ** 38n - 1n) * 10n ** 88n],
  ])('%s', async (digits, expected) => {
    const info = await infoOf(recordWith({ newImage: { id: { S: 'n' }, value: { N: digits } } }));
    expect(info.newImage?.['value']).toBe(expected);
  });
});

describe('a number DynamoDB cannot hold fails the record (IdempotencyConfigError), never a NaN or a rounded value', () => {
  function capturingLogger(): IdempotencyLogger & { readonly errors: { message: string; extra: unknown[] }[] } {
    const errors: { message: string; extra: unknown[] }[] = [];
    const ignore = (): void => undefined;
    return { errors, debug: ignore, info: ignore, warn: ignore, error: (message, ...extra) => void errors.push({ message, extra }) };
  }

  it.each([
    ['not a number', 'abc', 'got N "abc"'],
    ['a number in another notation', '0x10', 'got N "0x10"'],
    ['more than 38 significant digits', '1.23456789012345678901234567890123456789', 'got N "1.23456789012345678901234567890123456789"'],
    ['above the largest DynamoDB number', '1E+126', 'got N "1E+126"'],
    ['below the smallest DynamoDB number', '1E-131', 'got N "1E-131"'],
    ['an exponent no DynamoDB number has', '1E+9999999999', 'got N "1E+9999999999"'],
  ])('%s', async (_label, digits, got) => {
    const record = recordWith({ newImage: { id: { S: 'n' }, value: { N: digits } } });
    const logger = capturingLogger();
    const handler = jest.fn();
    const result = await processStreamBatch(dynamodbEvent([record]), handler, { logger });
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber }] });
    expect(handler).not.toHaveBeenCalled();
    expect(logger.errors[0]?.message).toBe(
      `DynamoDB Streams record ${sequenceNumber} could not be parsed; the batch stops there (0 later record(s) not run) and Lambda resumes the shard from it`,
    );
    const error = logger.errors[0]?.extra[0] as Error;
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect(error.message).toBe(
      `Could not read dynamodb.NewImage of DynamoDB Streams record ${sequenceNumber}: Expected a DynamoDB number (at most 38 significant digits, magnitude within 1E-130 and 1E+126), ${got}`,
    );
    expect(error.cause).toBeInstanceOf(IdempotencyConfigError);
  });

  it('an attribute value of no DynamoDB type fails the record with a typed error whose cause is the SDK error', async () => {
    const record = recordWith({ newImage: { id: { S: 'n' }, value: { X: '1' } as never } });
    const logger = capturingLogger();
    await processStreamBatch(dynamodbEvent([record]), jest.fn(), { logger });
    const error = logger.errors[0]?.extra[0] as Error;
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect(error.message).toBe(
      `Could not read dynamodb.NewImage of DynamoDB Streams record ${record.dynamodb?.SequenceNumber}: Unsupported type passed: X`,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});
