/**
 * The floor's part of the report (issue 28): for each scenario that has a floor, the faster of the floor's
 * shapes, each contender's share of it (records/s ÷ the floor's), the targets, and a chart of the shares.
 */
import type { ChartPanel, RatioChart } from './chart';
import { contenderCost } from './cost';
import { FLOOR } from './floor';
import type { ContenderResult } from './measure';
import type { LambdaRunResult, ScenarioResult, TargetResult } from './result-types';
import { ratio } from './stats';

/** The scenarios issue 28's floor and incumbent targets apply to: every SQS and stream (Kinesis) scenario. */
export function isTargetScenario(id: string): boolean {
  return id.startsWith('sqs-') || id.startsWith('kinesis');
}

/** Our records/s at least this share of the floor's in every SQS and stream scenario (lease mode). */
export const FLOOR_SHARE_TARGET = 0.9;
/** Our records/s at least this many times the incumbent's in every SQS and stream scenario, at every memory size (lease mode). */
export const INCUMBENT_TARGET = 1.1;
/** Optimistic mode on a standard queue at 512 MB: records/s and cost per million records against the incumbent's. */
export const OPTIMISTIC_TARGETS = { memoryMb: 512, scenario: 'sqs-standard', throughput: 2, cost: 0.5 } as const;
/** The memory sizes the floor-share target applies to. */
const FLOOR_TARGET_MEMORY = [512, 1769];

function sig(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function share(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(2);
}

function times(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(2)}×`;
}

function megabytes(memoryMb: number): string {
  return `${memoryMb.toLocaleString('en-US')} MB`;
}

/** The scenario's floor: the floor contender with the most records/s, or undefined without one. */
export function floorOf(scenario: ScenarioResult): ContenderResult | undefined {
  return scenario.contenders
    .filter((c) => c.library === FLOOR)
    .reduce<ContenderResult | undefined>(
      (best, c) => (best === undefined || c.recordsPerSecond > best.recordsPerSecond ? c : best),
      undefined,
    );
}

/** The contenders that are not the floor (the libraries). */
export function libraries(scenario: ScenarioResult): ContenderResult[] {
  return scenario.contenders.filter((c) => c.library !== FLOOR);
}

/** `contender`'s share of the scenario's floor: its records/s ÷ the floor's. */
export function shareOfFloor(scenario: ScenarioResult, contender: ContenderResult): number | undefined {
  return ratio(contender.recordsPerSecond, floorOf(scenario)?.recordsPerSecond);
}

function name(contender: ContenderResult): string {
  return contender.library === contender.variant ? contender.variant : `${contender.library}: ${contender.variant}`;
}

/**
 * One row per scenario with a floor: the floor's records/s in each shape (the faster in bold), then each
 * library contender's records/s and share of the floor.
 */
export function floorTable(scenarios: readonly ScenarioResult[]): string {
  const withFloor = scenarios.filter((s) => floorOf(s) !== undefined);
  if (withFloor.length === 0) return '';
  const rows = withFloor.flatMap((scenario) => {
    const floor = floorOf(scenario) as ContenderResult;
    const shapes = scenario.contenders
      .filter((c) => c.library === FLOOR)
      .map((c) => `${c.variant} ${c === floor ? `**${sig(c.recordsPerSecond)}**` : sig(c.recordsPerSecond)}`)
      .join('; ');
    return libraries(scenario).map(
      (contender, index) =>
        `| ${index === 0 ? scenario.title : ''} | ${index === 0 ? shapes : ''} | ${name(contender)} | ${sig(contender.recordsPerSecond)} | ${share(
          shareOfFloor(scenario, contender),
        )} |`,
    );
  });
  return [
    '| Scenario | Floor records/s (the faster counts) | Contender | records/s | share of the floor |',
    '|---|---|---|--:|--:|',
    ...rows,
  ].join('\n');
}

/** Issue 28's targets in the Lambda model (lease mode, optimistic where said). */
export function floorTargets(runs: readonly LambdaRunResult[]): TargetResult[] {
  const targets: TargetResult[] = [];
  const lease = (s: ScenarioResult): ContenderResult | undefined => s.contenders.find((c) => c.library === 'ours' && c.variant === 'lease');
  for (const run of runs) {
    for (const scenario of run.scenarios.filter((s) => isTargetScenario(s.id))) {
      const ours = lease(scenario);
      const incumbent = scenario.contenders[0];
      const floor = floorOf(scenario);
      if (!ours || !incumbent) continue;
      if (floor && FLOOR_TARGET_MEMORY.includes(run.memoryMb)) {
        const value = shareOfFloor(scenario, ours);
        targets.push({
          target: `${megabytes(run.memoryMb)}, ${scenario.short}: records/s at least ${FLOOR_SHARE_TARGET} of the floor's`,
          measured: `${share(value)} (lease ${sig(ours.recordsPerSecond)} vs floor ${sig(floor.recordsPerSecond)}, ${floor.variant}); incumbent ${share(
            shareOfFloor(scenario, incumbent),
          )}`,
          met: value !== undefined && value >= FLOOR_SHARE_TARGET,
        });
      }
      const value = ratio(ours.recordsPerSecond, incumbent.recordsPerSecond);
      targets.push({
        target: `${megabytes(run.memoryMb)}, ${scenario.short}: records/s at least ${INCUMBENT_TARGET}× the incumbent's`,
        measured: `${times(value)} (lease ${sig(ours.recordsPerSecond)} vs ${sig(incumbent.recordsPerSecond)})`,
        met: value !== undefined && value >= INCUMBENT_TARGET,
      });
    }
  }
  const run = runs.find((r) => r.memoryMb === OPTIMISTIC_TARGETS.memoryMb);
  const scenario = run?.scenarios.find((s) => s.id === OPTIMISTIC_TARGETS.scenario);
  const optimistic = scenario?.contenders.find((c) => c.library === 'ours' && c.variant === 'optimistic');
  const incumbent = scenario?.contenders[0];
  if (run && scenario && optimistic && incumbent) {
    const throughput = ratio(optimistic.recordsPerSecond, incumbent.recordsPerSecond);
    targets.push({
      target: `${megabytes(run.memoryMb)}, ${scenario.short}, optimistic: records/s at least ${OPTIMISTIC_TARGETS.throughput}× the incumbent's`,
      measured: `${times(throughput)} (${sig(optimistic.recordsPerSecond)} vs ${sig(incumbent.recordsPerSecond)}; ${sig(optimistic.requestsPerRecord)} requests/record)`,
      met: throughput !== undefined && throughput >= OPTIMISTIC_TARGETS.throughput,
    });
    const mine = contenderCost(optimistic, run.memoryMb);
    const theirs = contenderCost(incumbent, run.memoryMb);
    const x86 = ratio(mine?.totalX86, theirs?.totalX86);
    const arm64 = ratio(mine?.totalArm64, theirs?.totalArm64);
    targets.push({
      target: `${megabytes(run.memoryMb)}, ${scenario.short}, optimistic: cost per million records at most ${OPTIMISTIC_TARGETS.cost}× the incumbent's`,
      measured: `x86 ${times(x86)}, arm64 ${times(arm64)}`,
      met: x86 !== undefined && arm64 !== undefined && x86 <= OPTIMISTIC_TARGETS.cost && arm64 <= OPTIMISTIC_TARGETS.cost,
    });
  }
  return targets;
}

/** The chart of each library contender's share of the floor, one section per configuration. */
export function floorChart(
  date: string,
  configurations: readonly { readonly label: string; readonly scenarios: readonly ScenarioResult[] }[],
): RatioChart {
  return {
    title: 'Share of the floor: records/s ÷ the raw protocol’s (no library)',
    subtitle: `${date} · the floor: the faster of one BatchExecuteStatement per phase and 10 single requests at once · 1 = as fast as the raw protocol`,
    sections: configurations.flatMap(({ label, scenarios }) => {
      const rows: string[] = [];
      const values: (number | undefined)[] = [];
      for (const scenario of scenarios.filter((s) => floorOf(s) !== undefined)) {
        for (const contender of libraries(scenario)) {
          rows.push(`${scenario.short} — ${name(contender)}`);
          values.push(shareOfFloor(scenario, contender));
        }
      }
      const panel: ChartPanel = { title: 'share of the floor (records/s)', better: 'higher', values };
      return rows.length > 0 ? [{ heading: label, rows, panels: [panel] }] : [];
    }),
  };
}

/** The standard-queue scenarios by batch size: 10, 100, 1,000 records. */
const STANDARD_BY_SIZE = /^sqs-standard(?:-(\d+))?$/;

/**
 * Standard-queue batches of 10, 100 and 1,000 records side by side: records/s, requests and Node CPU per
 * record, the peak memory of the contender's process (Lambda model only) and records/s against the incumbent.
 */
export function largeBatchTable(scenarios: readonly ScenarioResult[]): string {
  const standard = scenarios.filter((s) => STANDARD_BY_SIZE.test(s.id));
  if (standard.filter((s) => s.id !== 'sqs-standard').length === 0) return '';
  const rows = standard.flatMap((scenario) => {
    const incumbent = scenario.contenders[0];
    return libraries(scenario).map(
      (c, index) =>
        `| ${index === 0 ? scenario.recordsPerIteration.toLocaleString('en-US') : ''} | ${name(c)} | ${sig(c.recordsPerSecond)} | ${sig(
          c.requestsPerRecord,
        )} | ${sig(c.cpuMicrosPerRecord)} | ${c.peakRssMb === undefined ? 'n/a' : c.peakRssMb.toFixed(0)} | ${
          index === 0 ? '' : times(ratio(c.recordsPerSecond, incumbent?.recordsPerSecond))
        } |`,
    );
  });
  return [
    '| Records per batch | Contender | records/s | requests/record | Node CPU µs/record | peak RSS MB | records/s vs incumbent |',
    '|--:|---|--:|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}
