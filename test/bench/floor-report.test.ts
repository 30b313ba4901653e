import { floorChart, floorOf, floorTable, floorTargets, isTargetScenario, largeBatchTable, shareOfFloor } from '../../bench/floor-report';
import type { ContenderResult } from '../../bench/measure';
import type { LambdaRunResult, ScenarioResult } from '../../bench/result-types';

const SUMMARY = { n: 1, min: 1, median: 1, p99: 1, max: 1, mean: 1 };

/** A contender of an SQS batch scenario (10 records per invocation, 2 WRU per record unless said). */
function contender(
  library: string,
  variant: string,
  recordsPerSecond: number,
  measured: { billedMs?: number; wru?: number } = {},
): ContenderResult {
  return {
    library,
    variant,
    iterations: 1,
    records: 10,
    latencyMs: SUMMARY,
    recordsPerSecond,
    cpuMicrosPerRecord: 100,
    serverCpuMicrosPerRecord: undefined,
    requestsPerRecord: 0.2,
    byCommand: {},
    writeUnitsPerRecord: measured.wru ?? 2,
    readUnitsPerRecord: 0,
    maxItemBytes: 200,
    attemptsPerRequest: 1,
    billedMsPerInvocation: measured.billedMs ?? 20,
    invocationsPerRecord: 0.1,
    check: { executionsPerIteration: SUMMARY, failuresPerIteration: SUMMARY, ok: true, problems: [] },
  };
}

/** A scenario: the incumbent, ours in lease mode, the floor's two shapes. */
function scenario(id: string, rates: { incumbent: number; lease: number; batched: number; single: number }): ScenarioResult {
  return {
    id,
    title: `title of ${id}`,
    short: id,
    recordsPerIteration: 10,
    contenders: [
      contender('incumbent', 'Powertools', rates.incumbent),
      contender('ours', 'lease', rates.lease),
      contender('floor', 'BatchExecuteStatement per phase', rates.batched),
      contender('floor', '10 single requests at once', rates.single),
    ],
  };
}

function run(memoryMb: number, scenarios: ScenarioResult[]): LambdaRunResult {
  return {
    memoryMb,
    rttMs: 3,
    periodUs: 20_000,
    confinement: {
      quota: undefined,
      cgroup: undefined,
      contenderCpu: undefined,
      serverCpu: undefined,
      serverPrioritized: false,
      notes: [],
    },
    scenarios,
    billingCheck: { checked: 0, agreed: 0, mismatches: [] },
    throttling: [],
    seconds: 60,
  };
}

describe('the floor in the bench report', () => {
  const standard = scenario('sqs-standard', { incumbent: 400, lease: 450, batched: 500, single: 600 });

  it('takes the faster of the two shapes as the floor', () => {
    expect(floorOf(standard)?.variant).toBe('10 single requests at once');
    expect(floorOf(scenario('x', { incumbent: 1, lease: 1, batched: 700, single: 600 }))?.variant).toBe('BatchExecuteStatement per phase');
  });

  it("gives each contender's share of the floor as its records/s over the floor's", () => {
    const [incumbent, lease] = standard.contenders as [ContenderResult, ContenderResult];
    expect(shareOfFloor(standard, lease)).toBeCloseTo(0.75);
    expect(shareOfFloor(standard, incumbent)).toBeCloseTo(0.6667, 3);
  });

  it('has no floor, and no share, for a scenario the floor did not run', () => {
    const plain: ScenarioResult = { ...standard, contenders: standard.contenders.slice(0, 2) };
    expect(floorOf(plain)).toBeUndefined();
    expect(shareOfFloor(plain, plain.contenders[1] as ContenderResult)).toBeUndefined();
    expect(floorTable([plain])).toBe('');
  });

  it('tabulates both shapes, the faster in bold, and each library contender with its share', () => {
    const rows = floorTable([standard]).split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toBe(
      '| title of sqs-standard | BatchExecuteStatement per phase 500; 10 single requests at once **600** | incumbent: Powertools | 400 | 0.67 |',
    );
    expect(rows[3]).toBe('|  |  | ours: lease | 450 | 0.75 |');
  });

  it('judges ours (lease) against 0.9 of the floor at 512 and 1,769 MB and 1.1× the incumbent at every size', () => {
    const targets = floorTargets([
      run(512, [scenario('sqs-standard', { incumbent: 400, lease: 460, batched: 500, single: 480 })]),
      run(1769, [scenario('sqs-fifo-1', { incumbent: 100, lease: 105, batched: 120, single: 100 })]),
    ]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["512 MB, sqs-standard: records/s at least 0.9 of the floor's", true],
      ["512 MB, sqs-standard: records/s at least 1.1× the incumbent's", true],
      ["1,769 MB, sqs-fifo-1: records/s at least 0.9 of the floor's", false],
      ["1,769 MB, sqs-fifo-1: records/s at least 1.1× the incumbent's", false],
    ]);
    expect(targets[0]?.measured).toBe('0.92 (lease 460 vs floor 500, BatchExecuteStatement per phase); incumbent 0.80');
  });

  it('judges the Kinesis scenario against the same targets as the SQS ones', () => {
    const targets = floorTargets([run(512, [scenario('kinesis', { incumbent: 100, lease: 150, batched: 160, single: 140 })])]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["512 MB, kinesis: records/s at least 0.9 of the floor's", true],
      ["512 MB, kinesis: records/s at least 1.1× the incumbent's", true],
    ]);
  });

  it('leaves the handler scenarios out of the targets, floor or not', () => {
    expect(['sqs-standard', 'sqs-fifo-1', 'kinesis'].every(isTargetScenario)).toBe(true);
    expect(['first-call', 'replay', 'storm'].some(isTargetScenario)).toBe(false);
    expect(floorTargets([run(512, [scenario('first-call', { incumbent: 100, lease: 150, batched: 160, single: 140 })])])).toEqual([]);
  });

  it('judges optimistic mode on a standard queue at 512 MB: 2× the records/s and half the cost', () => {
    const base = scenario('sqs-standard', { incumbent: 400, lease: 460, batched: 500, single: 480 });
    const withOptimistic: ScenarioResult = {
      ...base,
      contenders: [
        contender('incumbent', 'Powertools', 400, { billedMs: 25, wru: 2 }),
        ...base.contenders.slice(1),
        contender('ours', 'optimistic', 900, { billedMs: 12, wru: 1 }),
      ],
    };
    const optimistic = floorTargets([run(512, [withOptimistic])]).filter((t) => t.target.includes('optimistic'));
    expect(optimistic.map((t) => [t.target, t.met])).toEqual([
      ["512 MB, sqs-standard, optimistic: records/s at least 2× the incumbent's", true],
      ["512 MB, sqs-standard, optimistic: cost per million records at most 0.5× the incumbent's", false],
    ]);
  });

  it('charts the share of every library contender, one section per configuration with a floor', () => {
    const chart = floorChart('2026-12-06', [
      { label: 'Uncapped', scenarios: [standard] },
      { label: 'Without a floor', scenarios: [{ ...standard, contenders: standard.contenders.slice(0, 2) }] },
    ]);
    expect(chart.sections).toHaveLength(1);
    expect(chart.sections[0]?.rows).toEqual(['sqs-standard — incumbent: Powertools', 'sqs-standard — ours: lease']);
    expect(chart.sections[0]?.panels[0]?.values.map((v) => v?.toFixed(2))).toEqual(['0.67', '0.75']);
  });
});

describe('large batches in the bench report', () => {
  it('puts the standard-queue batches of 10, 100 and 1,000 side by side, with peak memory where measured', () => {
    const sized = (id: string, records: number, rss?: number): ScenarioResult => ({
      id,
      title: id,
      short: id,
      recordsPerIteration: records,
      contenders: [
        { ...contender('incumbent', 'Powertools', 400), ...(rss === undefined ? {} : { peakRssMb: rss * 2 }) },
        { ...contender('ours', 'lease', 500), ...(rss === undefined ? {} : { peakRssMb: rss }) },
      ],
    });
    const rows = largeBatchTable([sized('sqs-standard', 10), sized('sqs-standard-1000', 1000, 90), sized('sqs-fifo-10', 10)]).split('\n');
    expect(rows.slice(2)).toEqual([
      '| 10 | incumbent: Powertools | 400 | 0.200 | 100 | n/a |  |',
      '|  | ours: lease | 500 | 0.200 | 100 | n/a | 1.25× |',
      '| 1,000 | incumbent: Powertools | 400 | 0.200 | 100 | 180 |  |',
      '|  | ours: lease | 500 | 0.200 | 100 | 90 | 1.25× |',
    ]);
  });

  it('has no table without a large batch', () => {
    expect(largeBatchTable([scenario('sqs-standard', { incumbent: 1, lease: 1, batched: 1, single: 1 })])).toBe('');
  });
});
