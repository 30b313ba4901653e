/**
 * Runs contenders interleaved and turns what it saw into per-contender results.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BillingModel, type LoggedRequest } from './billing';
import { beginLog, endLog, setCapacityCheck } from './instrument';
import type { Contender, IterationFacts, Scenario } from './scenarios';
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

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Runs scenarios with one billing model, so that replays are billed on the items earlier writes left. */
export class Runner {
  readonly #billing = new BillingModel(['id']);
  readonly #serverPid: number | undefined;
  readonly #ticksPerSecond = clockTicksPerSecond();

  /** @param serverPid the DynamoDB Local process, whose CPU is read from /proc around each iteration */
  public constructor(serverPid?: number) {
    this.#serverPid = serverPid;
  }
  /** The model checked against DynamoDB Local's reported capacity. */
  public readonly billingCheck: BillingCheck = { checked: 0, agreed: 0, mismatches: [] };

  /** Bills a request log (after the clock stopped) into `acc`, or only checks the model when `acc` is absent. */
  public bill(
    requests: readonly LoggedRequest[],
    acc?: { writeUnits: number; readUnits: number; maxItemBytes: number; byCommand: Record<string, number>; requests: number },
  ): void {
    for (const request of requests) {
      const bill = this.#billing.apply(request);
      if (request.reportedUnits !== undefined) {
        const model = bill.writeUnits + bill.readUnits;
        this.billingCheck.checked += 1;
        if (Math.abs(model - request.reportedUnits) < 1e-9) this.billingCheck.agreed += 1;
        else if (this.billingCheck.mismatches.length < 10) {
          this.billingCheck.mismatches.push({ command: request.command, model, reported: request.reportedUnits });
        }
      }
      if (!acc) continue;
      acc.requests += 1;
      const name = shortCommand(request.command);
      acc.byCommand[name] = (acc.byCommand[name] ?? 0) + 1;
      acc.writeUnits += bill.writeUnits;
      acc.readUnits += bill.readUnits;
      for (const bytes of bill.itemBytes) acc.maxItemBytes = Math.max(acc.maxItemBytes, bytes);
    }
  }

  /** One iteration of `contender`: prepared outside the clock, timed, then billed. */
  async #iterate(contender: Contender, recordsPerIteration: number, acc: Accumulator | undefined): Promise<void> {
    const run = contender.prepare();
    const serverBefore = acc ? processTicks(this.#serverPid) : undefined;
    const log = beginLog();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let facts: IterationFacts;
    try {
      facts = await run();
    } finally {
      endLog();
    }
    const elapsed = process.hrtime.bigint() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = serverBefore === undefined ? undefined : processTicks(this.#serverPid);
    this.bill(log.requests, acc);
    if (!acc) return;
    if (serverBefore !== undefined && serverAfter !== undefined) acc.serverTicks += serverAfter - serverBefore;
    else acc.serverTicks = Number.NaN;
    acc.iterations += 1;
    acc.records += recordsPerIteration;
    acc.wallNs += elapsed;
    acc.cpuMicros += cpu.user + cpu.system;
    acc.latencies.push(Number(elapsed) / 1e6);
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

  /**
   * Runs a scenario: setup, warm-up (untimed; the billing model is checked against DynamoDB Local's
   * reported capacity here), then the timed iterations. Contenders are interleaved and their order rotates
   * every iteration (A B C, B C A, C A B, ...), so a noisy machine hurts all alike.
   */
  public async run(scenario: Scenario): Promise<ContenderResult[]> {
    for (const contender of scenario.contenders) {
      if (!contender.setup) continue;
      const log = beginLog();
      try {
        await contender.setup();
      } finally {
        endLog();
      }
      this.bill(log.requests); // so that the model knows the items the replays meet
    }
    const order = (i: number): Contender[] => {
      const list = scenario.contenders;
      return list.map((_, k) => list[(i + k) % list.length] as Contender);
    };
    setCapacityCheck(true);
    try {
      for (let i = 0; i < scenario.warmup; i += 1) {
        for (const contender of order(i)) await this.#iterate(contender, scenario.recordsPerIteration, undefined);
      }
    } finally {
      setCapacityCheck(false);
    }
    const accs = new Map<Contender, Accumulator>(scenario.contenders.map((c) => [c, accumulator()]));
    for (let i = 0; i < scenario.iterations; i += 1) {
      for (const contender of order(i)) await this.#iterate(contender, scenario.recordsPerIteration, accs.get(contender));
    }
    return scenario.contenders.map((contender) => finish(contender, accs.get(contender) as Accumulator, this.#ticksPerSecond));
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
    check: {
      executionsPerIteration: summarize(acc.executions),
      failuresPerIteration: summarize(acc.failures),
      ok: acc.problems.length === 0,
      problems: acc.problems,
    },
  };
}
