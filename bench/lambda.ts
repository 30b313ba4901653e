/**
 * The Lambda model of `npm run bench`: each contender runs its scenario in a child process
 * (bench/lambda-child.ts) pinned to core 0 and confined by a CPU cgroup quota of `memory / 1,769` of one
 * core, as Lambda shares a vCPU out by memory; DynamoDB Local is pinned to core 1, so its work is not the
 * function's; every request attempt waits a round trip (bench/round-trip.ts). The parent only orchestrates:
 * it asks the children for one iteration at a time, interleaved and rotated as in-process runs are
 * (bench/measure.ts `interleave`), and collects what each child measured.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BillingCheck, ContenderDriver, ContenderResult } from './measure';
import { interleave } from './measure';
import { createCpuGroup, lambdaCpuQuota, pin, type CpuGroup } from './confine';
import type { LambdaConfig, LambdaRunResult, ScenarioResult, Throttling } from './result-types';
import type { LibraryTables, Scenario } from './scenario-types';

/** The core the contenders run on. */
export const CONTENDER_CPU = '0';
/** The core DynamoDB Local (and this orchestrating process) run on. */
export const SERVER_CPU = '1';

/** What a child needs to build its contender. */
export interface ChildConfig {
  readonly endpoint: string;
  readonly region: string;
  /** DynamoDB Local keeps one database per access key: the children use the parent's. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly tables: { readonly ours: LibraryTables; readonly incumbent: LibraryTables };
  readonly scale: number;
  readonly scenarioId: string;
  /** Index of the contender in the scenario. */
  readonly contender: number;
  readonly rttMs: number;
  readonly serverPid: number | undefined;
}

/** What the parent asks a child to do. */
export type ChildCall =
  | { readonly op: 'init'; readonly config: ChildConfig }
  | { readonly op: 'setup' }
  | { readonly op: 'iterate'; readonly timed: boolean }
  | { readonly op: 'result' };

/** A call as sent, numbered so that the reply finds it. */
export type ChildRequest = ChildCall & { readonly id: number };

export type ChildReply =
  { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** What the parent shares with every child, and where DynamoDB Local runs. */
export interface LambdaEnvironment extends Omit<ChildConfig, 'scenarioId' | 'contender' | 'rttMs'> {
  /** The scenarios to run (built in the parent for their ids, counts and titles; the children build their own). */
  readonly scenarios: readonly Scenario[];
}

/** A contender in a child process. */
class ChildContender implements ContenderDriver {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  #next = 0;

  public constructor(label: string) {
    this.#child = fork(join(__dirname, 'lambda-child.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (reply: ChildReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply.value);
      else pending?.reject(new Error(`${label}: ${reply.error}`));
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        for (const pending of this.#pending.values()) {
          pending.reject(new Error(`${label}: the child process exited (code ${String(code)}, signal ${String(signal)})`));
        }
        this.#pending.clear();
        resolve();
      });
    });
  }

  public get pid(): number {
    return this.#child.pid as number;
  }

  #call(request: ChildCall): Promise<unknown> {
    const id = (this.#next += 1);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ ...request, id });
    });
  }

  public async init(config: ChildConfig): Promise<void> {
    await this.#call({ op: 'init', config });
  }

  public async setup(): Promise<void> {
    await this.#call({ op: 'setup' });
  }

  public async iterate(timed: boolean): Promise<void> {
    await this.#call({ op: 'iterate', timed });
  }

  public billingCheck: BillingCheck | undefined;

  public async result(): Promise<ContenderResult> {
    const value = (await this.#call({ op: 'result' })) as { result: ContenderResult; billingCheck: BillingCheck };
    this.billingCheck = value.billingCheck;
    return value.result;
  }

  /** Disconnects (the child exits) and waits for the exit. */
  public async stop(): Promise<void> {
    if (this.#child.connected) this.#child.disconnect();
    await this.#exited;
  }
}

/** Where DynamoDB Local runs during the Lambda model, and how to give it back. */
export interface ServerPlacement {
  /** The core DynamoDB Local (and this process) were pinned to, undefined where they were not. */
  readonly serverCpu: string | undefined;
  /** Whether they run in a CPU group of the highest weight (their core is theirs on a shared machine). */
  readonly prioritized: boolean;
  readonly notes: readonly string[];
  /** Gives both processes all cores and their own group back. */
  restore(): void;
}

/**
 * Pins DynamoDB Local and this process to {@link SERVER_CPU} (the contenders get {@link CONTENDER_CPU}) and
 * puts them in a CPU group of the highest weight without quota; says what it could not do.
 */
export function placeServer(serverPid: number | undefined): ServerPlacement {
  const notes: string[] = [];
  const pids = serverPid === undefined ? [process.pid] : [serverPid, process.pid];
  if (serverPid === undefined) notes.push('no DynamoDB Local pid: the server is not pinned');
  let serverCpu: string | undefined;
  if (cpus().length < 2) notes.push('one CPU only: nothing pinned');
  else if (serverPid !== undefined) {
    try {
      for (const pid of pids) pin(pid, SERVER_CPU);
      serverCpu = SERVER_CPU;
    } catch (error) {
      notes.push(`taskset failed, the server is not pinned: ${(error as Error).message}`);
    }
  }
  let group: CpuGroup | undefined;
  try {
    group = createCpuGroup(undefined);
    for (const pid of pids) group.add(pid);
  } catch (error) {
    notes.push(`DynamoDB Local runs at normal CPU weight: ${(error as Error).message}`);
  }
  return {
    serverCpu,
    prioritized: group !== undefined,
    notes,
    restore() {
      for (const pid of pids) {
        try {
          if (serverCpu !== undefined) pin(pid, `0-${cpus().length - 1}`);
          group?.release(pid);
        } catch {
          // the server may have exited already
        }
      }
      group?.remove();
    },
  };
}

/**
 * Runs every scenario of `environment` in one Lambda configuration. DynamoDB Local should already be
 * placed (see {@link placeServer}); `server` says how.
 */
export async function runLambdaConfig(
  config: LambdaConfig,
  environment: LambdaEnvironment,
  server: ServerPlacement,
  progress: (line: string) => void,
): Promise<LambdaRunResult> {
  const started = process.hrtime.bigint();
  const quota = lambdaCpuQuota(config.memoryMb, config.periodUs);
  const notes = [...server.notes];
  let cgroup: string | undefined;
  let contenderCpu: string | undefined = cpus().length >= 2 ? CONTENDER_CPU : undefined;
  let quotaApplied = true;
  const billingCheck: BillingCheck = { checked: 0, agreed: 0, mismatches: [] };
  const throttling: Throttling[] = [];
  const results: ScenarioResult[] = [];
  for (const scenario of environment.scenarios) {
    const t0 = Date.now();
    const children = scenario.contenders.map((c) => new ChildContender(`${scenario.id} ${c.library} ${c.variant}`));
    const limits: (CpuGroup | undefined)[] = [];
    try {
      await Promise.all(
        children.map((child, index) =>
          child.init({
            endpoint: environment.endpoint,
            region: environment.region,
            credentials: environment.credentials,
            tables: environment.tables,
            scale: environment.scale,
            scenarioId: scenario.id,
            contender: index,
            rttMs: config.rttMs,
            serverPid: environment.serverPid,
          }),
        ),
      );
      for (const child of children) {
        if (contenderCpu !== undefined) {
          try {
            pin(child.pid, CONTENDER_CPU);
          } catch (error) {
            contenderCpu = undefined;
            notes.push(`taskset failed, contenders not pinned: ${(error as Error).message}`);
          }
        }
        let limit: CpuGroup | undefined;
        if (quotaApplied) {
          try {
            limit = createCpuGroup(quota);
            limit.add(child.pid);
            cgroup = `cgroup v${limit.version}`;
          } catch (error) {
            limit?.remove();
            limit = undefined;
            quotaApplied = false;
            cgroup = undefined;
            const note = `no CPU quota, the contenders run uncapped: ${(error as Error).message}`;
            notes.push(note);
            progress(`  ${note}\n`);
          }
        }
        limits.push(limit);
      }
      const contenders = await interleave(children, scenario.warmup, scenario.iterations);
      for (const [index, child] of children.entries()) {
        const check = child.billingCheck;
        if (check) {
          billingCheck.checked += check.checked;
          billingCheck.agreed += check.agreed;
          billingCheck.mismatches.push(...check.mismatches.slice(0, Math.max(0, 10 - billingCheck.mismatches.length)));
        }
        const stats = limits[index]?.stats();
        if (stats) throttling.push({ scenario: scenario.id, variant: contenders[index]?.variant ?? '', ...stats });
      }
      results.push({
        id: scenario.id,
        title: scenario.title,
        short: scenario.short,
        recordsPerIteration: scenario.recordsPerIteration,
        contenders,
      });
    } finally {
      await Promise.all(children.map((child) => child.stop()));
      for (const limit of limits) limit?.remove();
    }
    progress(`  ${config.memoryMb} MB ${scenario.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return {
    ...config,
    confinement: {
      quota: quotaApplied ? quota : undefined,
      cgroup,
      contenderCpu,
      serverCpu: server.serverCpu,
      serverPrioritized: server.prioritized,
      notes: [...new Set(notes)],
    },
    scenarios: results,
    billingCheck,
    throttling,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
