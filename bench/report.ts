/**
 * The benchmark's results document, its markdown tables, its targets and its chart rows. Pure code.
 */
import type { ChartSection, RatioChart } from './chart';
import type { FootprintResult } from './footprint';
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

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly short: string;
  readonly recordsPerIteration: number;
  readonly contenders: readonly ContenderResult[];
}

/** A target of the issue and whether this run met it. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** What `npm run bench` writes to `bench/results/<date>.json`. */
export interface BenchResults {
  readonly schema: 1;
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
  readonly scenarios: readonly ScenarioResult[];
  readonly levers: readonly ScenarioResult[];
  readonly footprint: FootprintResult | undefined;
  /** Why the footprint is missing, when measuring it failed. */
  readonly footprintError?: string;
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
    `| Handler | Library | bundle bytes (minified) | gzip bytes | load ms (median of ${footprint.runs}) | load CPU ms | bundle vs incumbent | load vs incumbent | load CPU vs incumbent |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const bundle of footprint.bundles) {
    const reference = footprint.bundles.find((b) => b.name === bundle.name && b.library === 'incumbent');
    const isOurs = bundle.library !== 'incumbent' && reference !== undefined;
    const library = bundle.stubbed.length > 0 ? `${bundle.library}: without ${bundle.stubbed.join(', ')}` : bundle.library;
    rows.push(
      `| ${bundle.name} | ${library} | ${bundle.bytes} | ${bundle.gzipBytes} | ${fixed(bundle.loadMs, 1)} | ${fixed(bundle.loadCpuMs, 1)} | ${
        isOurs ? times(ratio(bundle.bytes, reference.bytes)) : ''
      } | ${isOurs ? times(ratio(bundle.loadMs, reference.loadMs)) : ''} | ${isOurs ? times(ratio(bundle.loadCpuMs, reference.loadCpuMs)) : ''} |`,
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
    for (const contender of scenario.contenders.slice(1)) {
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
    `Billing model checked against DynamoDB Local's ConsumedCapacity on ${results.billingCheck.checked} successful warm-up requests: ${results.billingCheck.agreed} agree${
      results.billingCheck.mismatches.length > 0
        ? ` (first mismatches: ${JSON.stringify(results.billingCheck.mismatches.slice(0, 3))})`
        : ''
    }.`,
    '',
    '### Scenarios (ratios: ours / incumbent)',
    '',
    scenarioTable(results.scenarios),
    '',
  ];
  const problems = results.scenarios.flatMap((s) =>
    s.contenders.filter((c) => !c.check.ok).map((c) => `- ⚠ ${s.id} ${c.library} ${c.variant}: ${c.check.problems.join('; ')}`),
  );
  if (problems.length > 0) lines.push('Sanity checks that failed:', '', ...problems, '');
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
  lines.push(
    '### Levers (ratios: alternative / first row)',
    '',
    scenarioTable(results.levers, 'first row'),
    '',
    '### Targets',
    '',
    targetList(results.targets),
    '',
  );
  return lines.join('\n');
}
