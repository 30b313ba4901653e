/**
 * What a million records cost on AWS in the Lambda model: Lambda duration (GB-seconds of the billed
 * duration measured per invocation) and requests, plus DynamoDB on-demand write and read request units
 * measured per record. Pure code; test/bench/cost.test.ts checks the arithmetic. docs/benchmark.md
 * cites the prices.
 */
import type { ContenderResult } from './measure';

/**
 * Lambda on-demand prices, US East (N. Virginia), first tier (the first 6 billion x86 / 7.5 billion arm64
 * GB-seconds of a month), looked up 2026-11-29 on https://aws.amazon.com/lambda/pricing/ (the page
 * renders its rate table client-side; the figures as quoted from it by
 * https://cloudchipr.com/blog/aws-lambda-pricing).
 */
export const LAMBDA_PRICES = {
  /** USD per GB-second, x86_64. */
  x86GbSecond: 0.0000166667,
  /** USD per GB-second, arm64 (Graviton2). */
  arm64GbSecond: 0.0000133334,
  /** USD per request (invocation): $0.20 per million, both architectures. */
  request: 0.2 / 1e6,
  source: 'https://aws.amazon.com/lambda/pricing/',
  date: '2026-11-29',
} as const;

/**
 * DynamoDB on-demand prices, Standard table class, US East (N. Virginia), since the 50% cut of
 * 2024-11-01, looked up 2026-11-29 on https://aws.amazon.com/dynamodb/pricing/on-demand/ (figures as quoted
 * from it by https://airbyte.com/data-engineering-resources/dynamodb-pricing).
 */
export const DYNAMODB_PRICES = {
  /** USD per write request unit: $0.625 per million. */
  writeRequestUnit: 0.625 / 1e6,
  /** USD per read request unit: $0.125 per million. */
  readRequestUnit: 0.125 / 1e6,
  source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  date: '2026-11-29',
} as const;

/** Lambda bills memory in GB of 1,024 MB (a 512 MB function is 0.5 GB). */
export const MB_PER_GB = 1024;

/** Records the costs are given for. */
export const RECORDS = 1e6;

/** What `RECORDS` records cost, USD, by item. */
export interface RecordCost {
  /** Lambda duration on x86_64: billed ms per record × memory × price. */
  readonly lambdaX86: number;
  /** Lambda duration on arm64, from the same billed duration (measured on this machine's x86 CPU). */
  readonly lambdaArm64: number;
  /** Lambda requests: invocations per record × price. */
  readonly lambdaRequests: number;
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  /** Everything, x86_64. */
  readonly totalX86: number;
  /** Everything, arm64. */
  readonly totalArm64: number;
}

/** What the cost is computed from: per record, as the benchmark measured it. */
export interface CostInputs {
  /** Billed duration per invocation, ms (wall time rounded up to 1 ms). */
  readonly billedMsPerInvocation: number;
  readonly invocationsPerRecord: number;
  readonly writeUnitsPerRecord: number;
  readonly readUnitsPerRecord: number;
}

/**
 * The cost of {@link RECORDS} records for a function of `memoryMb`.
 * @throws RangeError for a non-positive memory size or a negative input
 */
export function costPerMillionRecords(inputs: CostInputs, memoryMb: number): RecordCost {
  if (!(Number.isFinite(memoryMb) && memoryMb > 0))
    throw new RangeError(`Expected the memory size to be a positive number of MB, got ${memoryMb}`);
  for (const [name, value] of Object.entries(inputs)) {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`Expected ${name} to be a finite number ≥ 0, got ${String(value)}`);
  }
  const gbSeconds = ((inputs.billedMsPerInvocation * inputs.invocationsPerRecord) / 1000) * (memoryMb / MB_PER_GB) * RECORDS;
  const lambdaX86 = gbSeconds * LAMBDA_PRICES.x86GbSecond;
  const lambdaArm64 = gbSeconds * LAMBDA_PRICES.arm64GbSecond;
  const lambdaRequests = inputs.invocationsPerRecord * RECORDS * LAMBDA_PRICES.request;
  const dynamoWrites = inputs.writeUnitsPerRecord * RECORDS * DYNAMODB_PRICES.writeRequestUnit;
  const dynamoReads = inputs.readUnitsPerRecord * RECORDS * DYNAMODB_PRICES.readRequestUnit;
  const rest = lambdaRequests + dynamoWrites + dynamoReads;
  return { lambdaX86, lambdaArm64, lambdaRequests, dynamoWrites, dynamoReads, totalX86: lambdaX86 + rest, totalArm64: lambdaArm64 + rest };
}

/** The cost of a measured contender, or undefined for results without a billed duration (before the Lambda model). */
export function contenderCost(contender: ContenderResult, memoryMb: number): RecordCost | undefined {
  if (contender.billedMsPerInvocation === undefined || contender.invocationsPerRecord === undefined) return undefined;
  return costPerMillionRecords(
    {
      billedMsPerInvocation: contender.billedMsPerInvocation,
      invocationsPerRecord: contender.invocationsPerRecord,
      writeUnitsPerRecord: contender.writeUnitsPerRecord,
      readUnitsPerRecord: contender.readUnitsPerRecord,
    },
    memoryMb,
  );
}

/** `$1.23`, `$0.0456`: dollars with three significant figures (at least two decimals). */
export function dollars(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value === 0) return '$0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  return `$${value.toFixed(Math.max(2, 2 - magnitude))}`;
}
