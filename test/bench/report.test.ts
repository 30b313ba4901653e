import { packageOf } from '../../bench/footprint';
import type { ContenderResult } from '../../bench/measure';
import { describeCommands, evaluateTargets, scenarioTable, sig } from '../../bench/report';
import type { ScenarioResult } from '../../bench/result-types';

function contender(library: string, variant: string, recordsPerSecond: number, requestsPerRecord: number): ContenderResult {
  const summary = { n: 1, min: 1, median: 1, p99: 1, max: 1, mean: 1 };
  return {
    library,
    variant,
    iterations: 1,
    records: 10,
    latencyMs: summary,
    recordsPerSecond,
    cpuMicrosPerRecord: 100,
    serverCpuMicrosPerRecord: undefined,
    requestsPerRecord,
    byCommand: { PutItem: 1, UpdateItem: requestsPerRecord - 1 },
    writeUnitsPerRecord: requestsPerRecord,
    readUnitsPerRecord: 0,
    maxItemBytes: 200,
    attemptsPerRequest: 1,
    check: { executionsPerIteration: summary, failuresPerIteration: summary, ok: true, problems: [] },
  };
}

function scenario(id: string, contenders: ContenderResult[]): ScenarioResult {
  return { id, title: id, short: id, recordsPerIteration: 10, contenders };
}

describe('bench report', () => {
  it('writes numbers with three significant figures', () => {
    expect(sig(1234.5)).toBe('1235');
    expect(sig(12.345)).toBe('12.3');
    expect(sig(0.012345)).toBe('0.0123');
    expect(sig(0)).toBe('0');
  });

  it('lists requests per record by command, sorted by name', () => {
    expect(describeCommands({ UpdateItem: 1, PutItem: 1 })).toBe('PutItem 1.00 · UpdateItem 1.00');
    expect(describeCommands({})).toBe('none');
  });

  it('meets the SQS throughput targets on the lease mode only', () => {
    const targets = evaluateTargets(
      [
        scenario('sqs-standard', [
          contender('incumbent', 'Powertools', 100, 2),
          contender('ours', 'lease', 120, 2),
          contender('ours', 'optimistic', 300, 1),
        ]),
        scenario('sqs-fifo-10', [contender('incumbent', 'Powertools', 100, 2), contender('ours', 'lease', 250, 2)]),
      ],
      undefined,
    );
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["SQS standard batches: records/s at least 1.5× the incumbent's", false],
      ["SQS FIFO batches, 10 groups: records/s at least 2× the incumbent's", true],
      ["Requests per record at most the incumbent's in every scenario", true],
    ]);
    expect(targets[0]?.measured).toBe('1.20× (lease); optimistic 3.00×');
  });

  it('names every scenario where ours sends more requests per record than the incumbent', () => {
    const targets = evaluateTargets(
      [scenario('storm', [contender('incumbent', 'Powertools', 100, 1.1), contender('ours', 'lease', 100, 1.2)])],
      undefined,
    );
    expect(targets).toEqual([
      {
        target: "Requests per record at most the incumbent's in every scenario",
        measured: 'more in storm (lease): 1.20 vs 1.10',
        met: false,
      },
    ]);
  });

  it('puts each scenario’s ratios to its first contender in the table', () => {
    const table = scenarioTable([
      scenario('sqs-standard', [contender('incumbent', 'Powertools', 100, 2), contender('ours', 'lease', 150, 2)]),
    ]);
    const rows = table.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[3]).toContain('| ours: lease |');
    expect(rows[3]).toContain('| 1.50× |');
  });

  it('attributes bundle inputs to their package, our own files to lib', () => {
    expect(packageOf('node_modules/jmespath/jmespath.js')).toBe('jmespath');
    expect(
      packageOf('node_modules/@aws-lambda-powertools/idempotency/node_modules/@aws-lambda-powertools/jmespath/lib/esm/Parser.js'),
    ).toBe('@aws-lambda-powertools/jmespath');
    expect(packageOf('lib/engine.ts')).toBe('lib');
    expect(packageOf('bench/handlers/ours-batch.ts')).toBe('bench');
  });

  it("attributes the ES module build's JMESPath engine module to jmespath, which it carries", () => {
    expect(packageOf('dist/esm/selectors/jmespath-engine.mjs')).toBe('jmespath');
    expect(packageOf('dist/esm/selectors/plain-path.mjs')).toBe('lib');
  });
});
