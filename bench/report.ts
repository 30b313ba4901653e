/**
 * The benchmark's results document, its markdown tables, its targets and its chart rows. Pure code.
 */
import type { JsonPathResult } from './json-path';
import type { ChartSection, RatioChart } from './chart';
import { contenderCost, dollars, DYNAMODB_PRICES, LAMBDA_PRICES, type RecordCost } from './cost';
import { FLOOR } from './floor';
import { floorTable, floorTargets, largeBatchTable } from './floor-report';
import type { FootprintResult } from './footprint';
import type { LambdaRunResult, ScenarioResult, TargetResult } from './result-types';
import type { BillingCheck, ContenderResult } from './measure';
import { ratio, type Summary } from './stats';

/** The machine a run happened on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly memory: string;
  readonly os: string;
  readonly node: string;
}

/**
 * What `npm run bench` writes to `bench/results/<date>.json`. Schema 2 adds the Lambda model (`lambda`,
 * `lambdaTargets`); schema 1 files (earlier runs) have neither and redraw as before.
 */
export interface BenchResults {
  readonly schema: 1 | 2;
  readonly date: string;
  readonly durationSeconds: number;
  readonly scale: number;
  readonly machine: MachineInfo;
  /** `os.loadavg()` (1, 5, 15 minutes) when the run started and ended: other work on the machine. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly versions: Readonly<Record<string, string>>;
  readonly warmup: {
    readonly requests: number;
    readonly seconds: number;
    /** Median latency of each block of raw requests, ms, in order. */
    readonly blockMedianMs: readonly number[];
    readonly blockSize: number;
  };
  readonly billingCheck: BillingCheck;
  /** The uncapped in-process run (empty when `--lambda-mb` left `none` out). */
  readonly scenarios: readonly ScenarioResult[];
  readonly levers: readonly ScenarioResult[];
  /** The Lambda model, one entry per memory size. */
  readonly lambda?: readonly LambdaRunResult[];
  /** The targets of the Lambda model (issue 15). */
  readonly lambdaTargets?: readonly TargetResult[];
  readonly footprint: FootprintResult | undefined;
  /** Why the footprint is missing, when measuring it failed. */
  readonly footprintError?: string;
  /** The JSON path (numbers kept exact against `JSON.parse`), when measured (bench/json-path.ts). */
  readonly jsonPath?: JsonPathResult;
  readonly targets: readonly TargetResult[];
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Three significant figures, without exponent notation for the magnitudes used here. */
export function sig(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  return value.toFixed(Math.max(0, 2 - magnitude));
}

/** `0.52×` or `—`. */
export function times(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}×`;
}

/** `PutItem 1 · UpdateItem 1`, commands sorted by name. */
export function describeCommands(byCommand: Readonly<Record<string, number>>): string {
  const entries = Object.entries(byCommand).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'none';
  return entries.map(([name, count]) => `${name} ${sig(count)}`).join(' · ');
}

/** Ratios of a contender to the reference (the scenario's first contender). */
export interface Ratios {
  readonly recordsPerSecond: number | undefined;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly cpu: number | undefined;
  readonly requests: number | undefined;
  readonly writeUnits: number | undefined;
}

export function ratios(contender: ContenderResult, reference: ContenderResult): Ratios {
  return {
    recordsPerSecond: ratio(contender.recordsPerSecond, reference.recordsPerSecond),
    p50: ratio(contender.latencyMs.median, reference.latencyMs.median),
    p99: ratio(contender.latencyMs.p99, reference.latencyMs.p99),
    cpu: ratio(contender.cpuMicrosPerRecord, reference.cpuMicrosPerRecord),
    requests: ratio(contender.requestsPerRecord, reference.requestsPerRecord),
    writeUnits: ratio(contender.writeUnitsPerRecord, reference.writeUnitsPerRecord),
  };
}

function latencyCell(summary: Summary): [string, string] {
  return [sig(summary.median), sig(summary.p99)];
}

/** The main table: one row per contender, ratios to the scenario's first contender. */
export function scenarioTable(scenarios: readonly ScenarioResult[], referenceLabel = 'incumbent'): string {
  const header =
    '| Scenario | Contender | p50 ms | p99 ms | records/s | Node CPU µs/record | DynamoDB Local CPU µs/record | requests/record | by command | WRU/record | ' +
    `records/s vs ${referenceLabel} | p50 | p99 | CPU | requests | WRU |`;
  const rule = '|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|';
  const rows: string[] = [];
  for (const scenario of scenarios) {
    const [reference] = scenario.contenders;
    if (!reference) continue;
    scenario.contenders.forEach((contender, index) => {
      const r = index === 0 ? undefined : ratios(contender, reference);
      const [p50, p99] = latencyCell(contender.latencyMs);
      const name = contender.library === contender.variant ? contender.variant : `${contender.library}: ${contender.variant}`;
      const flag = contender.check.ok ? '' : ' ⚠';
      rows.push(
        `| ${index === 0 ? scenario.title : ''} | ${name}${flag} | ${p50} | ${p99} | ${sig(contender.recordsPerSecond)} | ${sig(
          contender.cpuMicrosPerRecord,
        )} | ${contender.serverCpuMicrosPerRecord === undefined ? 'n/a' : sig(contender.serverCpuMicrosPerRecord)} | ${sig(
          contender.requestsPerRecord,
        )} | ${describeCommands(contender.byCommand)} | ${sig(contender.writeUnitsPerRecord)}${
          contender.readUnitsPerRecord > 0 ? ` (+${sig(contender.readUnitsPerRecord)} RRU)` : ''
        } | ${r ? times(r.recordsPerSecond) : ''} | ${r ? times(r.p50) : ''} | ${r ? times(r.p99) : ''} | ${r ? times(r.cpu) : ''} | ${
          r ? times(r.requests) : ''
        } | ${r ? times(r.writeUnits) : ''} |`,
      );
    });
  }
  return [header, rule, ...rows].join('\n');
}

/** The footprint table. */
export function footprintTable(footprint: FootprintResult): string {
  const rows = [
    `| Handler | Library | bundle bytes (minified) | gzip bytes | load ms (median of ${footprint.runs}) | load CPU ms | of which SDK CPU ms | own load CPU ms | bundle vs incumbent | load vs incumbent | load CPU vs incumbent | own load CPU vs incumbent |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const bundle of footprint.bundles) {
    const reference = footprint.bundles.find((b) => b.name === bundle.name && b.library === 'incumbent');
    const isOurs = bundle.library !== 'incumbent' && reference !== undefined;
    const library = bundle.stubbed.length > 0 ? `${bundle.library}: without ${bundle.stubbed.join(', ')}` : bundle.library;
    const optional = (value: number | undefined): string => (value === undefined ? 'n/a' : fixed(value, 1));
    rows.push(
      `| ${bundle.name} | ${library} | ${bundle.bytes} | ${bundle.gzipBytes} | ${fixed(bundle.loadMs, 1)} | ${fixed(bundle.loadCpuMs, 1)} | ${optional(
        bundle.sdkLoadCpuMs,
      )} | ${optional(bundle.ownLoadCpuMs)} | ${isOurs ? times(ratio(bundle.bytes, reference.bytes)) : ''} | ${
        isOurs ? times(ratio(bundle.loadMs, reference.loadMs)) : ''
      } | ${isOurs ? times(ratio(bundle.loadCpuMs, reference.loadCpuMs)) : ''} | ${
        isOurs ? times(ratio(bundle.ownLoadCpuMs, reference.ownLoadCpuMs)) : ''
      } |`,
    );
  }
  return rows.join('\n');
}

/** The targets of the issue, evaluated on our default (lease) mode. */
export function evaluateTargets(scenarios: readonly ScenarioResult[], footprint: FootprintResult | undefined): TargetResult[] {
  const targets: TargetResult[] = [];
  const find = (id: string): ScenarioResult | undefined => scenarios.find((s) => s.id === id);
  const throughput = (id: string, minimum: number, label: string): void => {
    const scenario = find(id);
    const reference = scenario?.contenders[0];
    const ours = scenario?.contenders.filter((c) => c.library === 'ours') ?? [];
    const lease = ours.find((c) => c.variant === 'lease');
    if (!reference || !lease) return;
    const value = ratio(lease.recordsPerSecond, reference.recordsPerSecond) ?? 0;
    const others = ours
      .filter((c) => c !== lease)
      .map((c) => `${c.variant} ${times(ratio(c.recordsPerSecond, reference.recordsPerSecond))}`)
      .join(', ');
    targets.push({
      target: `${label}: records/s at least ${minimum}× the incumbent's`,
      measured: `${times(value)} (lease)${others ? `; ${others}` : ''}`,
      met: value >= minimum,
    });
  };
  throughput('sqs-standard', 1.5, 'SQS standard batches');
  throughput('sqs-fifo-10', 2, 'SQS FIFO batches, 10 groups');
  const worse: string[] = [];
  for (const scenario of scenarios) {
    const reference = scenario.contenders[0];
    if (!reference) continue;
    for (const contender of scenario.contenders.slice(1)) {
      if (contender.library !== 'ours') continue;
      if (contender.requestsPerRecord > reference.requestsPerRecord + 1e-9) {
        worse.push(`${scenario.id} (${contender.variant}): ${sig(contender.requestsPerRecord)} vs ${sig(reference.requestsPerRecord)}`);
      }
    }
  }
  targets.push({
    target: "Requests per record at most the incumbent's in every scenario",
    measured: worse.length === 0 ? 'at most equal everywhere' : `more in ${worse.join('; ')}`,
    met: worse.length === 0,
  });
  if (footprint) {
    for (const name of new Set(footprint.bundles.map((b) => b.name))) {
      const ours = footprint.bundles.find((b) => b.name === name && b.library === 'ours');
      const theirs = footprint.bundles.find((b) => b.name === name && b.library === 'incumbent');
      if (!ours || !theirs) continue;
      const size = ratio(ours.bytes, theirs.bytes) ?? Infinity;
      targets.push({
        target: `Bundle (${name}) at most half the incumbent's`,
        measured: `${ours.bytes} vs ${theirs.bytes} bytes (${times(size)})`,
        met: size <= 0.5,
      });
      targets.push({
        target: `Load time (${name}) no worse than the incumbent's`,
        measured: `CPU ${fixed(ours.loadCpuMs, 1)} vs ${fixed(theirs.loadCpuMs, 1)} ms (wall ${fixed(ours.loadMs, 1)} vs ${fixed(theirs.loadMs, 1)} ms)`,
        // CPU time: on a shared machine the wall time also measures the neighbours.
        met: ours.loadCpuMs <= theirs.loadCpuMs,
      });
    }
  }
  return targets;
}

/** The targets as a markdown list. */
export function targetList(targets: readonly TargetResult[]): string {
  return targets.map((t) => `- ${t.met ? '✅ met' : '❌ not met'}: ${t.target} — ${t.measured}`).join('\n');
}

/**
 * The contenders a ratio to the scenario's reference (its first contender) is drawn for: not the floor (it
 * has its own table), and not another variant of the reference's own library (the Kinesis scenario's
 * incumbent runs in order and in parallel), which the full tables still list.
 */
export function comparedWithReference(scenario: ScenarioResult): ContenderResult[] {
  const reference = scenario.contenders[0];
  if (!reference) return [];
  return scenario.contenders.slice(1).filter((c) => c.library !== FLOOR && c.library !== reference.library);
}

/** The ratio chart (ours / incumbent): the scenarios, then the footprint. */
export function chartOf(results: BenchResults): RatioChart {
  const rows: string[] = [];
  const values: Record<'rps' | 'p50' | 'cpu' | 'requests' | 'wru', (number | undefined)[]> = {
    rps: [],
    p50: [],
    cpu: [],
    requests: [],
    wru: [],
  };
  for (const scenario of results.scenarios) {
    const reference = scenario.contenders[0];
    if (!reference) continue;
    for (const contender of comparedWithReference(scenario)) {
      const r = ratios(contender, reference);
      rows.push(`${scenario.short} — ${contender.variant}`);
      values.rps.push(r.recordsPerSecond);
      values.p50.push(r.p50);
      values.cpu.push(r.cpu);
      values.requests.push(r.requests);
      values.wru.push(r.writeUnits);
    }
  }
  const sections: ChartSection[] = [
    {
      heading: 'Scenarios (DynamoDB Local)',
      rows,
      panels: [
        { title: 'records/s', better: 'higher', values: values.rps },
        { title: 'p50 latency', better: 'lower', values: values.p50 },
        { title: 'Node CPU per record', better: 'lower', values: values.cpu },
        { title: 'requests per record', better: 'lower', values: values.requests },
        { title: 'write units per record', better: 'lower', values: values.wru },
      ],
    },
  ];
  const bundles = (results.footprint?.bundles ?? []).filter((bundle) => bundle.library !== 'incumbent');
  const pairs = bundles.flatMap((bundle) => {
    const reference = results.footprint?.bundles.find((b) => b.name === bundle.name && b.library === 'incumbent');
    return reference ? [{ bundle, reference }] : [];
  });
  if (pairs.length > 0) {
    sections.push({
      heading: 'Footprint (esbuild, minified, AWS SDK external)',
      rows: pairs.map(({ bundle }) =>
        bundle.stubbed.length === 0
          ? bundle.name
          : `what if: ${bundle.name.replace(/ handler$/, '')} ${bundle.stubbed.map((name) => `−${name.replace(/^@[^/]+\//, '')}`).join(' ')}`,
      ),
      panels: [
        { title: 'bundle bytes', better: 'lower', values: pairs.map(({ bundle, reference }) => ratio(bundle.bytes, reference.bytes)) },
        {
          title: 'load time (CPU)',
          better: 'lower',
          values: pairs.map(({ bundle, reference }) => ratio(bundle.loadCpuMs, reference.loadCpuMs)),
        },
        {
          title: 'load time (wall)',
          better: 'lower',
          values: pairs.map(({ bundle, reference }) => ratio(bundle.loadMs, reference.loadMs)),
        },
      ],
    });
  }
  const m = results.machine;
  return {
    title: 'effectively-once / Powertools idempotency + batch',
    subtitle: `${results.date} · ${m.cpuModel}, ${m.nproc} vCPU, ${m.memory} RAM · Node ${m.node} · ratios of medians and per-record means, ours / incumbent`,
    sections,
  };
}

/** The whole markdown report printed at the end of a run. */
export function markdownReport(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `## Benchmark run of ${results.date}`,
    '',
    `Machine: ${m.cpuModel}, ${m.nproc} vCPU (nproc), ${m.memory} RAM, ${m.os}, Node ${m.node}. ` +
      `Versions: ${Object.entries(results.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}. Run took ${results.durationSeconds.toFixed(0)} s${results.scale === 1 ? '' : ` (scale ${results.scale})`}.`,
    `Load average (1/5/15 min) at start ${results.loadAverage.start.map((l) => l.toFixed(2)).join('/')}, at end ${results.loadAverage.end
      .map((l) => l.toFixed(2))
      .join('/')}.`,
    '',
    `DynamoDB Local warm-up: ${results.warmup.requests} requests in ${results.warmup.seconds.toFixed(1)} s; median per block of ${
      results.warmup.blockSize
    }: ${results.warmup.blockMedianMs.map((ms) => ms.toFixed(2)).join(' → ')} ms.`,
    '',
  ];
  if (results.scenarios.length > 0) {
    lines.push(
      `Billing model checked against DynamoDB Local's ConsumedCapacity on ${results.billingCheck.checked} successful warm-up requests: ${results.billingCheck.agreed} agree${
        results.billingCheck.mismatches.length > 0
          ? ` (first mismatches: ${JSON.stringify(results.billingCheck.mismatches.slice(0, 3))})`
          : ''
      }.`,
      '',
    );
  }
  if (results.scenarios.length > 0) {
    lines.push('### Uncapped, in one process (ratios: ours / incumbent)', '', scenarioTable(results.scenarios), '');
    const floor = floorTable(results.scenarios);
    if (floor) lines.push("Each contender's share of the floor (the raw protocol, no library), uncapped:", '', floor, '');
    const large = largeBatchTable(results.scenarios);
    if (large) lines.push('Standard-queue batches by size, uncapped (one process: no memory per contender):', '', large, '');
  }
  const problems = results.scenarios.flatMap((s) =>
    s.contenders.filter((c) => !c.check.ok).map((c) => `- ⚠ ${s.id} ${c.library} ${c.variant}: ${c.check.problems.join('; ')}`),
  );
  if (problems.length > 0) lines.push('Sanity checks that failed:', '', ...problems, '');
  lines.push(...lambdaReport(results));
  if (results.footprint) lines.push('### Footprint', '', footprintTable(results.footprint), '');
  if (results.footprintError !== undefined) lines.push('### Footprint', '', `Not measured: ${results.footprintError}`, '');
  if (results.footprint) {
    lines.push(
      'What weighs in each bundle (minified bytes by package; `lib` is our own code):',
      '',
      ...results.footprint.bundles
        .filter((bundle) => bundle.stubbed.length === 0)
        .map(
          (bundle) =>
            `- ${bundle.name}, ${bundle.library}: ${bundle.largestInputs.map((input) => `${input.path} ${input.bytes}`).join(', ')}`,
        ),
      '',
      `Bare requires of modules the bundles leave external, same method: ${results.footprint.modules
        .map((mod) => `${mod.name} ${mod.loadMs.toFixed(1)} ms (CPU ${mod.loadCpuMs.toFixed(1)} ms)`)
        .join(', ')}; an empty file ${results.footprint.emptyRequireMs.toFixed(2)} ms.`,
      '',
    );
  }
  if (results.levers.length > 0)
    lines.push('### Levers (ratios: alternative / first row)', '', scenarioTable(results.levers, 'first row'), '');
  if (results.targets.length > 0) lines.push('### Targets of the uncapped run', '', targetList(results.targets), '');
  return lines.join('\n');
}

// --- the Lambda model --------------------------------------------------------------------------------------

/** `512 MB`, `1,769 MB`. */
export function megabytes(memoryMb: number): string {
  return `${memoryMb.toLocaleString('en-US')} MB`;
}

/** One line on how a Lambda configuration was confined (and what could not be done). */
export function confinementLine(run: LambdaRunResult): string {
  const c = run.confinement;
  const quota =
    c.quota === undefined
      ? 'no CPU quota (uncapped)'
      : `CPU quota ${c.quota.quotaUs} µs per ${c.quota.periodUs} µs (${(c.quota.share * 100).toFixed(1)}% of a core, ${c.cgroup ?? 'cgroup'})`;
  const where = `contenders ${c.contenderCpu === undefined ? 'not pinned' : `on core ${c.contenderCpu}`}, DynamoDB Local ${
    c.serverCpu === undefined ? 'not pinned' : `on core ${c.serverCpu}`
  }${c.serverPrioritized === true ? ' (all at the highest CPU weight)' : ''}`;
  const throttled = run.throttling.reduce((sum, t) => sum + t.throttledPeriods, 0);
  const periods = run.throttling.reduce((sum, t) => sum + t.periods, 0);
  const throttling = periods > 0 ? `; ${throttled} of ${periods} quota periods with CPU demand were throttled` : '';
  const notes = c.notes.length > 0 ? ` ⚠ ${c.notes.join('; ')}` : '';
  return `${quota}; ${where}; ${run.rttMs} ms slept per request attempt${throttling}; ${run.seconds.toFixed(0)} s.${notes}`;
}

function contenderName(contender: ContenderResult): string {
  return contender.library === contender.variant ? contender.variant : `${contender.library}: ${contender.variant}`;
}

/** The Lambda model's table for one memory size: throughput, latency, billed duration, CPU, requests, units. */
export function lambdaTable(run: LambdaRunResult): string {
  const header =
    '| Scenario | Contender | records/s | p50 ms | p99 ms | billed ms/invocation | Node CPU µs/record | DynamoDB Local CPU µs/record | requests/record | WRU/record | RRU/record | ' +
    'records/s vs incumbent | p50 | p99 | CPU | requests | cost (x86) |';
  const rule = '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const rows: string[] = [];
  for (const scenario of run.scenarios) {
    const [reference] = scenario.contenders;
    if (!reference) continue;
    const referenceCost = contenderCost(reference, run.memoryMb);
    scenario.contenders.forEach((contender, index) => {
      const r = index === 0 ? undefined : ratios(contender, reference);
      const cost = contenderCost(contender, run.memoryMb);
      const flag = contender.check.ok ? '' : ' ⚠';
      rows.push(
        `| ${index === 0 ? scenario.title : ''} | ${contenderName(contender)}${flag} | ${sig(contender.recordsPerSecond)} | ${sig(
          contender.latencyMs.median,
        )} | ${sig(contender.latencyMs.p99)} | ${contender.billedMsPerInvocation === undefined ? 'n/a' : sig(contender.billedMsPerInvocation)} | ${sig(
          contender.cpuMicrosPerRecord,
        )} | ${contender.serverCpuMicrosPerRecord === undefined ? 'n/a' : sig(contender.serverCpuMicrosPerRecord)} | ${sig(
          contender.requestsPerRecord,
        )} | ${sig(contender.writeUnitsPerRecord)} | ${sig(contender.readUnitsPerRecord)} | ${
          r ? times(r.recordsPerSecond) : ''
        } | ${r ? times(r.p50) : ''} | ${r ? times(r.p99) : ''} | ${r ? times(r.cpu) : ''} | ${r ? times(r.requests) : ''} | ${
          r ? times(ratio(cost?.totalX86, referenceCost?.totalX86)) : ''
        } |`,
      );
    });
  }
  return [header, rule, ...rows].join('\n');
}

/** The cost of a million records for each contender at one memory size, by item. */
export function costTable(run: LambdaRunResult): string {
  const header =
    '| Scenario | Contender | Lambda duration x86 | Lambda duration arm64 | Lambda requests | DynamoDB writes | DynamoDB reads | total x86 | total arm64 | x86 vs incumbent | arm64 vs incumbent |';
  const rule = '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const rows: string[] = [];
  for (const scenario of run.scenarios) {
    const [reference] = scenario.contenders;
    if (!reference) continue;
    const referenceCost = contenderCost(reference, run.memoryMb);
    scenario.contenders.forEach((contender, index) => {
      const cost = contenderCost(contender, run.memoryMb);
      const cell = (pick: (c: RecordCost) => number): string => (cost ? dollars(pick(cost)) : 'n/a');
      rows.push(
        `| ${index === 0 ? scenario.title : ''} | ${contenderName(contender)} | ${cell((c) => c.lambdaX86)} | ${cell((c) => c.lambdaArm64)} | ${cell(
          (c) => c.lambdaRequests,
        )} | ${cell((c) => c.dynamoWrites)} | ${cell((c) => c.dynamoReads)} | ${cell((c) => c.totalX86)} | ${cell((c) => c.totalArm64)} | ${
          index === 0 ? '' : times(ratio(cost?.totalX86, referenceCost?.totalX86))
        } | ${index === 0 ? '' : times(ratio(cost?.totalArm64, referenceCost?.totalArm64))} |`,
      );
    });
  }
  return [header, rule, ...rows].join('\n');
}

/**
 * Ours ÷ incumbent at every memory size, one row per contender of ours: records/s ratio and each side's
 * Node CPU per record (where the time goes).
 */
export function lambdaSummaryTable(runs: readonly LambdaRunResult[]): string {
  const header = `| Scenario | Contender | ${runs
    .map((run) => `${megabytes(run.memoryMb)}: records/s vs incumbent | CPU µs/record (ours / incumbent)`)
    .join(' | ')} |`;
  const rule = `|---|---|${runs.map(() => '--:|--:|').join('')}`;
  const rows: string[] = [];
  const first = runs[0];
  if (!first) return '';
  for (const scenario of first.scenarios) {
    for (const contender of comparedWithReference(scenario)) {
      const cells = runs.map((run) => {
        const same = run.scenarios.find((s) => s.id === scenario.id);
        const reference = same?.contenders[0];
        const ours = same?.contenders.find((c) => c.library === contender.library && c.variant === contender.variant);
        if (!reference || !ours) return 'n/a | n/a';
        return `${times(ratio(ours.recordsPerSecond, reference.recordsPerSecond))} | ${sig(ours.cpuMicrosPerRecord)} / ${sig(reference.cpuMicrosPerRecord)}`;
      });
      rows.push(`| ${scenario.short} | ${contender.variant} | ${cells.join(' | ')} |`);
    }
  }
  return [header, rule, ...rows].join('\n');
}

/** The ratio chart of one memory size: throughput, latency, CPU, requests and cost, ours / incumbent. */
export function lambdaChartOf(results: BenchResults, run: LambdaRunResult): RatioChart {
  const rows: string[] = [];
  const panels = {
    rps: [] as (number | undefined)[],
    p50: [] as (number | undefined)[],
    cpu: [] as (number | undefined)[],
    requests: [] as (number | undefined)[],
    costX86: [] as (number | undefined)[],
    costArm64: [] as (number | undefined)[],
  };
  for (const scenario of run.scenarios) {
    const reference = scenario.contenders[0];
    if (!reference) continue;
    const referenceCost = contenderCost(reference, run.memoryMb);
    for (const contender of comparedWithReference(scenario)) {
      const r = ratios(contender, reference);
      const cost = contenderCost(contender, run.memoryMb);
      rows.push(`${scenario.short} — ${contender.variant}`);
      panels.rps.push(r.recordsPerSecond);
      panels.p50.push(r.p50);
      panels.cpu.push(r.cpu);
      panels.requests.push(r.requests);
      panels.costX86.push(ratio(cost?.totalX86, referenceCost?.totalX86));
      panels.costArm64.push(ratio(cost?.totalArm64, referenceCost?.totalArm64));
    }
  }
  const quota = run.confinement.quota;
  return {
    title: `Lambda model, ${megabytes(run.memoryMb)}: effectively-once / Powertools idempotency + batch`,
    subtitle: `${results.date} · ${quota ? `${(quota.share * 100).toFixed(0)}% of one core (cgroup quota)` : 'uncapped (no cgroup)'}, DynamoDB Local on its own core, ${
      run.rttMs
    } ms per request attempt · cost: Lambda GB-s + requests + DynamoDB on-demand units, us-east-1`,
    sections: [
      {
        heading: `Scenarios at ${megabytes(run.memoryMb)}`,
        rows,
        panels: [
          { title: 'records/s', better: 'higher', values: panels.rps },
          { title: 'p50 latency', better: 'lower', values: panels.p50 },
          { title: 'Node CPU per record', better: 'lower', values: panels.cpu },
          { title: 'requests per record', better: 'lower', values: panels.requests },
          { title: 'cost per M records (x86)', better: 'lower', values: panels.costX86 },
          { title: 'cost per M records (arm64)', better: 'lower', values: panels.costArm64 },
        ],
      },
    ],
  };
}

/** Issue 15's records/s targets by memory size (lease mode): standard, FIFO 10 groups, FIFO 1 group. */
export const LAMBDA_THROUGHPUT_TARGETS: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  512: { 'sqs-standard': 2.5, 'sqs-fifo-10': 4, 'sqs-fifo-1': 1.6 },
  1769: { 'sqs-standard': 1.2, 'sqs-fifo-10': 4, 'sqs-fifo-1': 1.6 },
};

/** Memory size at which ours must cost at most half the incumbent's on every SQS scenario. */
export const LAMBDA_COST_TARGET = { memoryMb: 512, maximum: 0.5 } as const;

/** The targets of the Lambda model (issue 15), on our default (lease) mode. */
export function evaluateLambdaTargets(runs: readonly LambdaRunResult[], footprint: FootprintResult | undefined): TargetResult[] {
  const targets: TargetResult[] = [];
  const lease = (scenario: ScenarioResult): ContenderResult | undefined =>
    scenario.contenders.find((c) => c.library === 'ours' && c.variant === 'lease');
  for (const run of runs) {
    for (const [id, minimum] of Object.entries(LAMBDA_THROUGHPUT_TARGETS[run.memoryMb] ?? {})) {
      const scenario = run.scenarios.find((s) => s.id === id);
      const reference = scenario?.contenders[0];
      const ours = scenario ? lease(scenario) : undefined;
      if (!scenario || !reference || !ours) continue;
      const value = ratio(ours.recordsPerSecond, reference.recordsPerSecond) ?? 0;
      targets.push({
        target: `${megabytes(run.memoryMb)}, ${scenario.short}: records/s at least ${minimum}× the incumbent's`,
        measured: `${times(value)} (lease, ${sig(ours.recordsPerSecond)} vs ${sig(reference.recordsPerSecond)} records/s)`,
        met: value >= minimum,
      });
    }
  }
  const worse: string[] = [];
  for (const run of runs) {
    for (const scenario of run.scenarios) {
      const reference = scenario.contenders[0];
      for (const contender of scenario.contenders.slice(1)) {
        if (reference && contender.library === 'ours' && contender.requestsPerRecord > reference.requestsPerRecord + 1e-9) {
          worse.push(
            `${megabytes(run.memoryMb)} ${scenario.id} (${contender.variant}): ${sig(contender.requestsPerRecord)} vs ${sig(reference.requestsPerRecord)}`,
          );
        }
      }
    }
  }
  if (runs.length > 0) {
    targets.push({
      target: "Requests per record at most the incumbent's in every scenario",
      measured: worse.length === 0 ? 'at most equal everywhere' : `more in ${worse.join('; ')}`,
      met: worse.length === 0,
    });
  }
  const costRun = runs.find((run) => run.memoryMb === LAMBDA_COST_TARGET.memoryMb);
  for (const scenario of costRun?.scenarios.filter((s) => s.id.startsWith('sqs-')) ?? []) {
    const reference = scenario.contenders[0];
    const ours = lease(scenario);
    if (!costRun || !reference || !ours) continue;
    const theirs = contenderCost(reference, costRun.memoryMb);
    const mine = contenderCost(ours, costRun.memoryMb);
    const x86 = ratio(mine?.totalX86, theirs?.totalX86);
    const arm64 = ratio(mine?.totalArm64, theirs?.totalArm64);
    targets.push({
      target: `${megabytes(costRun.memoryMb)}, ${scenario.short}: cost per million records at most ${LAMBDA_COST_TARGET.maximum}× the incumbent's`,
      measured: `x86 ${mine ? dollars(mine.totalX86) : 'n/a'} vs ${theirs ? dollars(theirs.totalX86) : 'n/a'} (${times(x86)}), arm64 ${times(arm64)} (lease)`,
      met: x86 !== undefined && arm64 !== undefined && x86 <= LAMBDA_COST_TARGET.maximum && arm64 <= LAMBDA_COST_TARGET.maximum,
    });
  }
  for (const handler of new Set(footprint?.bundles.map((b) => b.name) ?? [])) {
    const ours = footprint?.bundles.find((b) => b.name === handler && b.library === 'ours');
    const theirs = footprint?.bundles.find((b) => b.name === handler && b.library === 'incumbent');
    if (ours?.ownLoadCpuMs === undefined || theirs?.ownLoadCpuMs === undefined) continue;
    targets.push({
      target: `Cold start (${handler}): the library's own load CPU (bundle minus the bare SDK) no worse than the incumbent's`,
      measured: `${fixed(ours.ownLoadCpuMs, 1)} vs ${fixed(theirs.ownLoadCpuMs, 1)} ms (${times(ratio(ours.ownLoadCpuMs, theirs.ownLoadCpuMs))}); SDK ${fixed(
        ours.sdkLoadCpuMs ?? Number.NaN,
        1,
      )} vs ${fixed(theirs.sdkLoadCpuMs ?? Number.NaN, 1)} ms`,
      met: ours.ownLoadCpuMs <= theirs.ownLoadCpuMs,
    });
  }
  return targets;
}

/** The Lambda model's part of the markdown report. */
export function lambdaReport(results: BenchResults): string[] {
  const runs = results.lambda ?? [];
  if (runs.length === 0) return [];
  const lines = [
    '### Lambda model',
    '',
    'Each contender in its own process, pinned to one core and confined to `memory / 1,769` of it by a CPU cgroup quota; ' +
      'DynamoDB Local on the other core; every request attempt sleeps the round trip. Billed duration: each invocation’s wall time ' +
      `rounded up to 1 ms. Prices (us-east-1): Lambda $${LAMBDA_PRICES.x86GbSecond}/GB-s x86, $${LAMBDA_PRICES.arm64GbSecond}/GB-s arm64, ` +
      `$${(LAMBDA_PRICES.request * 1e6).toFixed(2)} per million requests (${LAMBDA_PRICES.source}, ${LAMBDA_PRICES.date}); DynamoDB on-demand ` +
      `$${(DYNAMODB_PRICES.writeRequestUnit * 1e6).toFixed(3)} per million WRU, $${(DYNAMODB_PRICES.readRequestUnit * 1e6).toFixed(3)} per million RRU ` +
      `(${DYNAMODB_PRICES.source}, ${DYNAMODB_PRICES.date}).`,
    '',
    'Ours ÷ incumbent at every memory size:',
    '',
    lambdaSummaryTable(runs),
    '',
  ];
  for (const run of runs) {
    const problems = run.scenarios.flatMap((s) =>
      s.contenders.filter((c) => !c.check.ok).map((c) => `- ⚠ ${s.id} ${c.library} ${c.variant}: ${c.check.problems.join('; ')}`),
    );
    lines.push(
      `#### ${megabytes(run.memoryMb)}`,
      '',
      confinementLine(run),
      '',
      `Billing model checked against DynamoDB Local's ConsumedCapacity on ${run.billingCheck.checked} warm-up requests: ${run.billingCheck.agreed} agree${
        run.billingCheck.mismatches.length > 0 ? ` (first mismatches: ${JSON.stringify(run.billingCheck.mismatches.slice(0, 3))})` : ''
      }.`,
      '',
      lambdaTable(run),
      '',
      ...(floorTable(run.scenarios)
        ? [`Each contender's share of the floor at ${megabytes(run.memoryMb)}:`, '', floorTable(run.scenarios), '']
        : []),
      ...(largeBatchTable(run.scenarios)
        ? [
            `Standard-queue batches by size at ${megabytes(run.memoryMb)} (peak RSS of each contender's own process):`,
            '',
            largeBatchTable(run.scenarios),
            '',
          ]
        : []),
      ...(problems.length > 0 ? ['Sanity checks that failed:', '', ...problems, ''] : []),
      `Cost per million records at ${megabytes(run.memoryMb)}:`,
      '',
      costTable(run),
      '',
    );
  }
  if (results.lambdaTargets && results.lambdaTargets.length > 0) {
    lines.push('### Targets of the Lambda model', '', targetList(results.lambdaTargets), '');
  }
  const floor = floorTargets(runs);
  if (floor.length > 0) lines.push('### Targets of issue 28: the floor, the incumbent, optimistic batches', '', targetList(floor), '');
  return lines;
}
