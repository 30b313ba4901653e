/**
 * Runs contenders interleaved and turns what it saw into per-contender results.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BillingModel, type LoggedRequest } from './billing';
import { beginLog, endLog, setCapacityCheck } from './instrument';
import type { Contender, IterationFacts, Scenario } from './scenario-types';
import { summarize, type Summary } from './stats';

/** Everything measured for one contender of one scenario. */
export interface ContenderResult {
  readonly library: Contender['library'];
  readonly variant: string;
  readonly iterations: number;
  readonly records: number;
  /** Wall time of one iteration (an invocation, a storm, a batch), milliseconds. */
  readonly latencyMs: Summary;
  /** Records over the summed wall time of this contender's iterations. */
  readonly recordsPerSecond: number;
  /** Node CPU (user + system) per record, microseconds. */
  readonly cpuMicrosPerRecord: number;
  /**
   * CPU of the DynamoDB Local process per record, microseconds (from /proc, in clock ticks of 10 ms summed
   * over all iterations; undefined where /proc is not available).
   */
  readonly serverCpuMicrosPerRecord: number | undefined;
  /** DynamoDB requests per record. */
  readonly requestsPerRecord: number;
  /** Requests per record by command (`PutItem`, `UpdateItem`, ...). */
  readonly byCommand: Readonly<Record<string, number>>;
  /** Write request units an on-demand table would bill, per record. */
  readonly writeUnitsPerRecord: number;
  /** Read request units an on-demand table would bill, per record. */
  readonly readUnitsPerRecord: number;
  /** Largest item written, bytes (all billing rounds up to 1 KB per item). */
  readonly maxItemBytes: number;
  /** Attempts on the wire per request (1 unless the SDK retried). */
  readonly attemptsPerRequest: number;
  /**
   * Lambda's billed duration of one invocation, milliseconds, averaged over the invocations: the wall time
   * of each handler call rounded up to the next millisecond, as Lambda bills it. (Absent from results
   * written before the Lambda model.)
   */
  readonly billedMsPerInvocation?: number;
  /** Handler invocations per record (1 for the handler scenarios, 1/10 for a batch of 10). */
  readonly invocationsPerRecord?: number;
  /**
   * Peak resident memory of the contender's process, MB (`process.resourceUsage().maxRSS`): only in the
   * Lambda model, where each contender of each scenario has its own process, modules included.
   */
  readonly peakRssMb?: number;
  /** Work executions and failures per iteration, against what a correct run does. */
  readonly check: {
    readonly executionsPerIteration: Summary;
    readonly failuresPerIteration: Summary;
    readonly ok: boolean;
    readonly problems: readonly string[];
  };
}

/** Model against DynamoDB Local's own `ConsumedCapacity`, on the warm-up iterations. */
export interface BillingCheck {
  checked: number;
  agreed: number;
  readonly mismatches: { command: string; model: number; reported: number }[];
}

interface Accumulator {
  iterations: number;
  records: number;
  wallNs: bigint;
  cpuMicros: number;
  serverTicks: number;
  latencies: number[];
  billedMs: number;
  invocations: number;
  requests: number;
  attempts: number;
  byCommand: Record<string, number>;
  writeUnits: number;
  readUnits: number;
  maxItemBytes: number;
  executions: number[];
  failures: number[];
  problems: string[];
}

function accumulator(): Accumulator {
  return {
    iterations: 0,
    records: 0,
    wallNs: 0n,
    cpuMicros: 0,
    serverTicks: 0,
    latencies: [],
    billedMs: 0,
    invocations: 0,
    requests: 0,
    attempts: 0,
    byCommand: {},
    writeUnits: 0,
    readUnits: 0,
    maxItemBytes: 0,
    executions: [],
    failures: [],
    problems: [],
  };
}

/** `PutItemCommand` → `PutItem`. */
export function shortCommand(command: string): string {
  return command.replace(/Command$/, '');
}

function within(value: number, expected: number | readonly [number, number]): boolean {
  return typeof expected === 'number' ? value === expected : value >= expected[0] && value <= expected[1];
}

/** CPU time (user + system) of process `pid` in clock ticks, or undefined without /proc. */
export function processTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The kernel's clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat CPU times. */
export function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Lambda's billed duration of one invocation: its wall time rounded up to the next millisecond (at least 1). */
export function billedMilliseconds(wallMs: number): number {
  return Math.max(1, Math.ceil(wallMs));
}

/** What a meter shares with the other meters of the same process. */
export interface MeterContext {
  /** One billing model per process, so that replays are billed on the items earlier writes left. */
  readonly billing: BillingModel;
  /** The model checked against DynamoDB Local's reported capacity (on the untimed iterations). */
  readonly billingCheck: BillingCheck;
  /** The DynamoDB Local process, whose CPU is read from /proc around each iteration. */
  readonly serverPid: number | undefined;
  readonly ticksPerSecond: number;
}

/** A fresh meter context: a new billing model and check. */
export function meterContext(serverPid?: number): MeterContext {
  return {
    billing: new BillingModel(['id']),
    billingCheck: { checked: 0, agreed: 0, mismatches: [] },
    serverPid,
    ticksPerSecond: clockTicksPerSecond(),
  };
}

/** Bills a request log (after the clock stopped) into `acc`, or only checks the model when `acc` is absent. */
export function bill(
  context: Pick<MeterContext, 'billing' | 'billingCheck'>,
  requests: readonly LoggedRequest[],
  acc?: { writeUnits: number; readUnits: number; maxItemBytes: number; byCommand: Record<string, number>; requests: number },
): void {
  const check = context.billingCheck;
  for (const request of requests) {
    const result = context.billing.apply(request);
    if (request.reportedUnits !== undefined) {
      const model = result.writeUnits + result.readUnits;
      check.checked += 1;
      if (Math.abs(model - request.reportedUnits) < 1e-9) check.agreed += 1;
      else if (check.mismatches.length < 10) {
        check.mismatches.push({ command: request.command, model, reported: request.reportedUnits });
      }
    }
    if (!acc) continue;
    acc.requests += 1;
    const name = shortCommand(request.command);
    acc.byCommand[name] = (acc.byCommand[name] ?? 0) + 1;
    acc.writeUnits += result.writeUnits;
    acc.readUnits += result.readUnits;
    for (const bytes of result.itemBytes) acc.maxItemBytes = Math.max(acc.maxItemBytes, bytes);
  }
}

/**
 * One contender of a scenario as the interleaving sees it: set up once, then iterations one at a time,
 * then its result. {@link ContenderMeter} runs it in this process; the Lambda model runs it in a child
 * process (bench/lambda.ts).
 */
export interface ContenderDriver {
  setup(): Promise<void>;
  /**
   * One iteration. Untimed ones (`timed: false`) warm up and check the billing model against DynamoDB
   * Local's reported capacity; timed ones are measured.
   */
  iterate(timed: boolean): Promise<void>;
  result(): Promise<ContenderResult>;
}

/** Runs and measures one contender's iterations in this process. */
export class ContenderMeter implements ContenderDriver {
  readonly #contender: Contender;
  readonly #recordsPerIteration: number;
  readonly #context: MeterContext;
  readonly #acc = accumulator();

  public constructor(contender: Contender, recordsPerIteration: number, context: MeterContext) {
    this.#contender = contender;
    this.#recordsPerIteration = recordsPerIteration;
    this.#context = context;
  }

  public async setup(): Promise<void> {
    if (!this.#contender.setup) return;
    const log = beginLog();
    try {
      await this.#contender.setup();
    } finally {
      endLog();
    }
    bill(this.#context, log.requests); // so that the model knows the items the replays meet
  }

  /** One iteration: prepared outside the clock, timed, then billed. */
  public async iterate(timed: boolean): Promise<void> {
    const acc = timed ? this.#acc : undefined;
    const contender = this.#contender;
    const run = contender.prepare();
    const serverBefore = acc ? processTicks(this.#context.serverPid) : undefined;
    setCapacityCheck(!timed);
    const log = beginLog();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let facts: IterationFacts;
    try {
      facts = await run();
    } finally {
      endLog();
      setCapacityCheck(false);
    }
    const elapsed = process.hrtime.bigint() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = serverBefore === undefined ? undefined : processTicks(this.#context.serverPid);
    bill(this.#context, log.requests, acc);
    if (!acc) return;
    if (serverBefore !== undefined && serverAfter !== undefined) acc.serverTicks += serverAfter - serverBefore;
    else acc.serverTicks = Number.NaN;
    const elapsedMs = Number(elapsed) / 1e6;
    acc.iterations += 1;
    acc.records += this.#recordsPerIteration;
    acc.wallNs += elapsed;
    acc.cpuMicros += cpu.user + cpu.system;
    acc.latencies.push(elapsedMs);
    // Each invocation is billed on its own wall time; an iteration is one invocation unless it says otherwise.
    const invocations = facts.invocationMs ?? [elapsedMs];
    acc.invocations += invocations.length;
    acc.billedMs += invocations.reduce((sum, ms) => sum + billedMilliseconds(ms), 0);
    acc.attempts += log.attempts;
    acc.executions.push(facts.executions);
    acc.failures.push(facts.failures);
    if (!within(facts.executions, contender.expect.executions) && acc.problems.length < 5) {
      acc.problems.push(
        `iteration ${acc.iterations}: the work ran ${facts.executions} times, expected ${JSON.stringify(contender.expect.executions)}`,
      );
    }
    if (!within(facts.failures, contender.expect.failures) && acc.problems.length < 5) {
      acc.problems.push(`iteration ${acc.iterations}: ${facts.failures} failures, expected ${JSON.stringify(contender.expect.failures)}`);
    }
  }

  public result(): Promise<ContenderResult> {
    return Promise.resolve(finish(this.#contender, this.#acc, this.#context.ticksPerSecond));
  }
}

/** The order of the contenders in iteration `i`: rotated by one every iteration (A B C, B C A, C A B, ...). */
export function rotation<T>(list: readonly T[], i: number): T[] {
  return list.map((_, k) => list[(i + k) % list.length] as T);
}

/**
 * Runs contenders interleaved: setup, `warmup` untimed iterations (the billing model is checked against
 * DynamoDB Local's reported capacity there), then `iterations` timed ones. Every iteration runs each
 * contender once, in an order that rotates every iteration, so a noisy machine hurts all alike.
 */
export async function interleave(drivers: readonly ContenderDriver[], warmup: number, iterations: number): Promise<ContenderResult[]> {
  for (const driver of drivers) await driver.setup();
  for (let i = 0; i < warmup; i += 1) {
    for (const driver of rotation(drivers, i)) await driver.iterate(false);
  }
  for (let i = 0; i < iterations; i += 1) {
    for (const driver of rotation(drivers, i)) await driver.iterate(true);
  }
  const results: ContenderResult[] = [];
  for (const driver of drivers) results.push(await driver.result());
  return results;
}

/** Runs scenarios in this process with one billing model, so that replays are billed on the items earlier writes left. */
export class Runner {
  readonly #context: MeterContext;

  /** @param serverPid the DynamoDB Local process, whose CPU is read from /proc around each iteration */
  public constructor(serverPid?: number) {
    this.#context = meterContext(serverPid);
  }

  /** The model checked against DynamoDB Local's reported capacity. */
  public get billingCheck(): BillingCheck {
    return this.#context.billingCheck;
  }

  /** Runs a scenario's contenders interleaved (see {@link interleave}). */
  public run(scenario: Scenario): Promise<ContenderResult[]> {
    const meters = scenario.contenders.map((contender) => new ContenderMeter(contender, scenario.recordsPerIteration, this.#context));
    return interleave(meters, scenario.warmup, scenario.iterations);
  }
}

function finish(contender: Contender, acc: Accumulator, ticksPerSecond: number): ContenderResult {
  const perRecord = (value: number): number => value / acc.records;
  return {
    library: contender.library,
    variant: contender.variant,
    iterations: acc.iterations,
    records: acc.records,
    latencyMs: summarize(acc.latencies),
    recordsPerSecond: acc.records / (Number(acc.wallNs) / 1e9),
    cpuMicrosPerRecord: perRecord(acc.cpuMicros),
    serverCpuMicrosPerRecord: Number.isNaN(acc.serverTicks) ? undefined : perRecord((acc.serverTicks * 1e6) / ticksPerSecond),
    requestsPerRecord: perRecord(acc.requests),
    byCommand: Object.fromEntries(Object.entries(acc.byCommand).map(([name, count]) => [name, perRecord(count)])),
    writeUnitsPerRecord: perRecord(acc.writeUnits),
    readUnitsPerRecord: perRecord(acc.readUnits),
    maxItemBytes: acc.maxItemBytes,
    attemptsPerRequest: acc.requests === 0 ? 1 : acc.attempts / acc.requests,
    billedMsPerInvocation: acc.invocations === 0 ? 0 : acc.billedMs / acc.invocations,
    invocationsPerRecord: perRecord(acc.invocations),
    check: {
      executionsPerIteration: summarize(acc.executions),
      failuresPerIteration: summarize(acc.failures),
      ok: acc.problems.length === 0,
      problems: acc.problems,
    },
  };
}
