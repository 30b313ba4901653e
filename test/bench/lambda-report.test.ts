import type { FootprintResult } from '../../bench/footprint';
import type { LambdaRunResult, ScenarioResult } from '../../bench/result-types';
import type { ContenderResult } from '../../bench/measure';
import { comparedWithReference, confinementLine, costTable, evaluateLambdaTargets, lambdaSummaryTable } from '../../bench/report';

const SUMMARY = { n: 1, min: 1, median: 1, p99: 1, max: 1, mean: 1 };

/** A contender of an SQS batch scenario (10 records per invocation, 2 WRU per record). */
function contender(
  library: string,
  variant: string,
  measured: { recordsPerSecond: number; billedMs: number; requests?: number; cpu?: number },
): ContenderResult {
  return {
    library,
    variant,
    iterations: 1,
    records: 10,
    latencyMs: SUMMARY,
    recordsPerSecond: measured.recordsPerSecond,
    cpuMicrosPerRecord: measured.cpu ?? 100,
    serverCpuMicrosPerRecord: undefined,
    requestsPerRecord: measured.requests ?? 2,
    byCommand: {},
    writeUnitsPerRecord: 2,
    readUnitsPerRecord: 0,
    maxItemBytes: 200,
    attemptsPerRequest: 1,
    billedMsPerInvocation: measured.billedMs,
    invocationsPerRecord: 0.1,
    check: { executionsPerIteration: SUMMARY, failuresPerIteration: SUMMARY, ok: true, problems: [] },
  };
}

function scenario(id: string, contenders: ContenderResult[]): ScenarioResult {
  return { id, title: id, short: id, recordsPerIteration: 10, contenders };
}

function run(memoryMb: number, scenarios: ScenarioResult[]): LambdaRunResult {
  return {
    memoryMb,
    rttMs: 3,
    periodUs: 20_000,
    confinement: {
      quota: { quotaUs: 5789, periodUs: 20_000, share: 0.28945 },
      cgroup: 'cgroup v1',
      contenderCpu: '0',
      serverCpu: '1',
      serverPrioritized: true,
      notes: [],
    },
    scenarios,
    billingCheck: { checked: 0, agreed: 0, mismatches: [] },
    throttling: [{ scenario: scenarios[0]?.id ?? '', variant: 'lease', periods: 100, throttledPeriods: 40, throttledMs: 300 }],
    seconds: 60,
  };
}

/** The three SQS scenarios with the incumbent at 100 records/s and 200 ms per batch. */
function sqsScenarios(ours: { recordsPerSecond: number; billedMs: number }): ScenarioResult[] {
  return ['sqs-standard', 'sqs-fifo-10', 'sqs-fifo-1'].map((id) =>
    scenario(id, [
      contender('incumbent', 'Powertools', { recordsPerSecond: 100, billedMs: 200 }),
      contender('ours', 'lease', { ...ours, requests: 0.2 }),
    ]),
  );
}

describe('bench Lambda model report', () => {
  it('judges the records/s targets of each memory size on the lease mode', () => {
    const targets = evaluateLambdaTargets(
      [run(512, sqsScenarios({ recordsPerSecond: 300, billedMs: 40 })), run(1769, sqsScenarios({ recordsPerSecond: 150, billedMs: 40 }))],
      undefined,
    );

    const throughput = targets.filter((t) => t.target.includes('records/s'));
    expect(throughput.map((t) => [t.target, t.met])).toEqual([
      ["512 MB, sqs-standard: records/s at least 2.5× the incumbent's", true],
      ["512 MB, sqs-fifo-10: records/s at least 4× the incumbent's", false],
      ["512 MB, sqs-fifo-1: records/s at least 1.6× the incumbent's", true],
      ["1,769 MB, sqs-standard: records/s at least 1.2× the incumbent's", true],
      ["1,769 MB, sqs-fifo-10: records/s at least 4× the incumbent's", false],
      ["1,769 MB, sqs-fifo-1: records/s at least 1.6× the incumbent's", false],
    ]);
    expect(throughput[0]?.measured).toBe('3.00× (lease, 300 vs 100 records/s)');
  });

  it('judges the 512 MB cost target on the whole bill: a 20× shorter duration alone is not half the cost', () => {
    // Both pay $1.25 of write units and $0.02 of requests per million records; only the duration differs.
    const cheap = evaluateLambdaTargets([run(512, sqsScenarios({ recordsPerSecond: 300, billedMs: 10 }))], undefined);
    const cost = cheap.filter((t) => t.target.includes('cost'));

    expect(cost).toHaveLength(3);
    expect(cost.every((t) => !t.met)).toBe(true);
    expect(cost[0]?.target).toBe("512 MB, sqs-standard: cost per million records at most 0.5× the incumbent's");
    expect(cost[0]?.measured).toBe('x86 $1.28 vs $1.44 (0.89×), arm64 0.91× (lease)');
  });

  it('names every scenario where ours sends more requests per record', () => {
    const scenarios = [
      scenario('sqs-fifo-1', [
        contender('incumbent', 'Powertools', { recordsPerSecond: 100, billedMs: 200 }),
        contender('ours', 'lease', { recordsPerSecond: 100, billedMs: 200, requests: 2.1 }),
      ]),
    ];
    const targets = evaluateLambdaTargets([run(1769, scenarios)], undefined);

    expect(targets.find((t) => t.target.startsWith('Requests per record'))).toEqual({
      target: "Requests per record at most the incumbent's in every scenario",
      measured: 'more in 1,769 MB sqs-fifo-1 (lease): 2.10 vs 2.00',
      met: false,
    });
  });

  it('judges the cold start on the library’s own load CPU, not the SDK’s', () => {
    const bundle = (library: string, loadCpuMs: number, sdkLoadCpuMs: number) => ({
      name: 'SQS batch handler',
      library,
      stubbed: [],
      entry: '',
      bytes: 1,
      gzipBytes: 1,
      loadMs: loadCpuMs,
      loadCpuMs,
      sdkModules: ['@aws-sdk/client-dynamodb'],
      sdkLoadCpuMs,
      ownLoadCpuMs: loadCpuMs - sdkLoadCpuMs,
      ownLoadMs: loadCpuMs - sdkLoadCpuMs,
      largestInputs: [],
    });
    const footprint: FootprintResult = {
      bundles: [bundle('incumbent', 80, 72), bundle('ours', 84, 78)],
      modules: [],
      emptyRequireMs: 0.1,
      runs: 15,
    };

    const [coldStart] = evaluateLambdaTargets([], footprint);

    expect(coldStart).toEqual({
      target: "Cold start (SQS batch handler): the library's own load CPU (bundle minus the bare SDK) no worse than the incumbent's",
      measured: '6.0 vs 8.0 ms (0.75×); SDK 78.0 vs 72.0 ms',
      met: true,
    });
  });

  it('lists each item of the cost of a million records, with the ratio to the incumbent', () => {
    const rows = costTable(run(512, sqsScenarios({ recordsPerSecond: 300, billedMs: 100 }).slice(0, 1))).split('\n');

    expect(rows).toHaveLength(4);
    // 200 ms per batch of 10 at 0.5 GB: 20 ms per record → 10,000 GB-s per million.
    expect(rows[2]).toBe('| sqs-standard | incumbent: Powertools | $0.167 | $0.133 | $0.0200 | $1.25 | $0 | $1.44 | $1.40 |  |  |');
    expect(rows[3]).toContain('| ours: lease | $0.0833 |');
    expect(rows[3]?.endsWith('| 0.94× | 0.95× |')).toBe(true);
  });

  it('sums up ours ÷ incumbent and each side’s CPU per record for every memory size', () => {
    const table = lambdaSummaryTable([
      run(512, sqsScenarios({ recordsPerSecond: 300, billedMs: 40 }).slice(0, 1)),
      run(1769, sqsScenarios({ recordsPerSecond: 120, billedMs: 40 }).slice(0, 1)),
    ]);

    expect(table.split('\n')[2]).toBe('| sqs-standard | lease | 3.00× | 100 / 100 | 1.20× | 100 / 100 |');
  });

  it('compares ours with the incumbent, not the floor or another variant of the incumbent', () => {
    const kinesis = scenario('kinesis', [
      contender('incumbent', 'Powertools, in order', { recordsPerSecond: 50, billedMs: 200 }),
      contender('ours', 'lease', { recordsPerSecond: 80, billedMs: 120 }),
      contender('incumbent', 'Powertools, parallel (its default)', { recordsPerSecond: 90, billedMs: 100 }),
      contender('floor', 'BatchExecuteStatement per phase', { recordsPerSecond: 85, billedMs: 110 }),
    ]);

    expect(comparedWithReference(kinesis).map((c) => c.variant)).toEqual(['lease']);
    expect(
      lambdaSummaryTable([run(512, [kinesis])])
        .split('\n')
        .slice(2),
    ).toEqual(['| kinesis | lease | 1.60× | 100 / 100 |']);
  });

  it('says how a configuration was confined and how often the quota throttled', () => {
    expect(confinementLine(run(512, []))).toBe(
      'CPU quota 5789 µs per 20000 µs (28.9% of a core, cgroup v1); contenders on core 0, DynamoDB Local on core 1 (all at the highest CPU weight); ' +
        '3 ms slept per request attempt; 40 of 100 quota periods with CPU demand were throttled; 60 s.',
    );
  });
});
