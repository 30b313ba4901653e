import { costPerMillionRecords, DYNAMODB_PRICES, dollars, LAMBDA_PRICES, type CostInputs } from '../../bench/cost';

/** One SQS batch of 10 records per invocation, 2 WRU per record, no reads. */
function batchOf10(billedMsPerInvocation: number): CostInputs {
  return { billedMsPerInvocation, invocationsPerRecord: 0.1, writeUnitsPerRecord: 2, readUnitsPerRecord: 0 };
}

describe('bench cost per million records', () => {
  it('bills Lambda duration in GB-seconds of 1,024 MB: 1 ms per record at 1,024 MB is 1,000 GB-s per million records', () => {
    const cost = costPerMillionRecords(
      { billedMsPerInvocation: 1, invocationsPerRecord: 1, writeUnitsPerRecord: 0, readUnitsPerRecord: 0 },
      1024,
    );

    expect(cost.lambdaX86).toBeCloseTo(1000 * LAMBDA_PRICES.x86GbSecond, 12);
    expect(cost.lambdaArm64).toBeCloseTo(1000 * LAMBDA_PRICES.arm64GbSecond, 12);
  });

  it('scales the duration cost with the memory size', () => {
    const at512 = costPerMillionRecords(batchOf10(100), 512);
    const at1769 = costPerMillionRecords(batchOf10(100), 1769);

    expect(at1769.lambdaX86 / at512.lambdaX86).toBeCloseTo(1769 / 512, 9);
  });

  it('spreads a batch invocation over its records: 100 ms per batch of 10 at 512 MB', () => {
    const cost = costPerMillionRecords(batchOf10(100), 512);

    // 10 ms per record × 1e6 records = 10,000 s × 0.5 GB = 5,000 GB-s.
    expect(cost.lambdaX86).toBeCloseTo(5000 * 0.0000166667, 9);
    expect(cost.lambdaArm64).toBeCloseTo(5000 * 0.0000133334, 9);
    // 100,000 invocations at $0.20 per million.
    expect(cost.lambdaRequests).toBeCloseTo(0.02, 12);
  });

  it('prices DynamoDB write and read request units per million', () => {
    const cost = costPerMillionRecords(
      { billedMsPerInvocation: 0, invocationsPerRecord: 0, writeUnitsPerRecord: 2, readUnitsPerRecord: 1 },
      512,
    );

    expect(cost.dynamoWrites).toBeCloseTo(2 * 0.625, 12);
    expect(cost.dynamoReads).toBeCloseTo(0.125, 12);
    expect(DYNAMODB_PRICES.writeRequestUnit * 1e6).toBeCloseTo(0.625, 12);
  });

  it('adds every item into each architecture’s total', () => {
    const cost = costPerMillionRecords(
      { billedMsPerInvocation: 20, invocationsPerRecord: 0.1, writeUnitsPerRecord: 2, readUnitsPerRecord: 0.5 },
      512,
    );

    expect(cost.totalX86).toBeCloseTo(cost.lambdaX86 + cost.lambdaRequests + cost.dynamoWrites + cost.dynamoReads, 12);
    expect(cost.totalArm64).toBeCloseTo(cost.lambdaArm64 + cost.lambdaRequests + cost.dynamoWrites + cost.dynamoReads, 12);
    expect(cost.totalArm64).toBeLessThan(cost.totalX86);
  });

  it('refuses a memory size that is not positive and a negative input', () => {
    expect(() => costPerMillionRecords(batchOf10(1), 0)).toThrow(
      new RangeError('Expected the memory size to be a positive number of MB, got 0'),
    );
    expect(() => costPerMillionRecords({ ...batchOf10(1), writeUnitsPerRecord: -1 }, 512)).toThrow(
      new RangeError('Expected writeUnitsPerRecord to be a finite number ≥ 0, got -1'),
    );
  });

  it('names its price sources and the date they were read', () => {
    expect(LAMBDA_PRICES.source).toBe('https://aws.amazon.com/lambda/pricing/');
    expect(DYNAMODB_PRICES.source).toBe('https://aws.amazon.com/dynamodb/pricing/on-demand/');
    expect(LAMBDA_PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(DYNAMODB_PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('writes dollars with three significant figures and at least two decimals', () => {
    expect(dollars(1.2345)).toBe('$1.23');
    expect(dollars(0.045678)).toBe('$0.0457');
    expect(dollars(12.5)).toBe('$12.50');
    expect(dollars(0)).toBe('$0');
  });
});
