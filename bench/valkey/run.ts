/**
 * The Valkey part of `npm run bench`: ValkeyStore against Powertools' CachePersistenceLayer on ONE local
 * Valkey / Redis server (startLocalValkey), in the Lambda model: each contender runs in its own process
 * (bench/valkey/child.ts) pinned to core 0 and confined to `memory / 1,769` of that core by a CPU cgroup;
 * the server is pinned to core 1. Iterations are interleaved in a rotating order, as the DynamoDB runs are.
 * No round trip is added: the server answers over loopback (ElastiCache in the same Availability Zone adds
 * a few hundred microseconds per command, the same for both libraries per command sent).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startLocalValkey } from '../../lib/testing';
import { createCpuGroup, lambdaCpuQuota, pin, type CpuGroup } from '../confine';
import { rotation } from '../measure';
import { median, quantile } from '../stats';
import type { ValkeyChildInit, ValkeyChildResult } from './child';
import { VALKEY_CONTENDERS, valkeyScenarios } from './scenarios';

/** One contender's figures in one scenario and configuration. */
export interface ValkeyContenderResult {
  readonly variant: string;
  readonly library: string;
  readonly iterations: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly recordsPerSecond: number;
  readonly cpuMicrosPerRecord: number;
  readonly commandsPerRecord: number;
  /** Lambda's billed milliseconds per invocation (the wall time rounded up to the next ms), mean. */
  readonly billedMsPerInvocation: number;
  readonly wrongIterations: number;
}

export interface ValkeyScenarioResult {
  readonly id: string;
  readonly title: string;
  /** `uncapped` or the Lambda memory size in MB. */
  readonly config: string;
  readonly contenders: readonly ValkeyContenderResult[];
}

export interface ValkeyBenchOptions {
  readonly scale: number;
  /** `none` (no quota) and Lambda memory sizes in MB. */
  readonly configs: readonly (number | 'none')[];
  readonly periodMs: number;
  readonly progress: (line: string) => void;
}

class Child {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<void>;
  #next = 0;

  public constructor() {
    this.#child = fork(join(__dirname, 'child.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (reply: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply.value);
      else pending?.reject(new Error(reply.error));
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  public get pid(): number {
    return this.#child.pid as number;
  }

  public call(request: Record<string, unknown>): Promise<unknown> {
    const id = (this.#next += 1);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ ...request, id });
    });
  }

  public async stop(): Promise<void> {
    if (this.#child.connected) this.#child.disconnect();
    await this.#exited;
  }
}

function summarise(variant: string, library: string, result: ValkeyChildResult): ValkeyContenderResult {
  const sorted = [...result.wallMs].sort((a, b) => a - b);
  const records = result.iterations * result.recordsPerIteration;
  const totalMs = result.wallMs.reduce((sum, ms) => sum + ms, 0);
  return {
    variant,
    library,
    iterations: result.iterations,
    medianMs: median(sorted),
    p95Ms: quantile(sorted, 0.95),
    recordsPerSecond: records / (totalMs / 1000),
    cpuMicrosPerRecord: result.cpuMicros / records,
    commandsPerRecord: result.commands / records,
    billedMsPerInvocation: result.wallMs.reduce((sum, ms) => sum + Math.ceil(ms), 0) / result.iterations,
    wrongIterations: result.wrong,
  };
}

/** Runs every Valkey scenario in every configuration. */
export async function runValkeyBench(options: ValkeyBenchOptions): Promise<ValkeyScenarioResult[]> {
  const server = await startLocalValkey();
  const notes = new Set<string>();
  const twoCores = cpus().length >= 2;
  try {
    if (twoCores) {
      try {
        pin(server.pid, '1');
      } catch (error) {
        notes.add(`the server is not pinned: ${(error as Error).message}`);
      }
    }
    const results: ValkeyScenarioResult[] = [];
    const shapes = valkeyScenarios({ client: {}, scale: options.scale }, 0);
    for (const config of options.configs) {
      for (const shape of shapes) {
        const started = Date.now();
        const children = VALKEY_CONTENDERS.map(() => new Child());
        const groups: (CpuGroup | undefined)[] = [];
        try {
          await Promise.all(
            children.map((child, contender) =>
              child.call({
                op: 'init',
                init: { url: server.url, scale: options.scale, scenarioId: shape.id, contender } satisfies ValkeyChildInit,
              }),
            ),
          );
          for (const child of children) {
            if (twoCores) {
              try {
                pin(child.pid, '0');
              } catch (error) {
                notes.add(`contenders not pinned: ${(error as Error).message}`);
              }
            }
            let group: CpuGroup | undefined;
            if (config !== 'none') {
              try {
                group = createCpuGroup(lambdaCpuQuota(config, Math.round(options.periodMs * 1000)));
                group.add(child.pid);
              } catch (error) {
                group?.remove();
                group = undefined;
                notes.add(`no CPU quota, the contenders ran uncapped: ${(error as Error).message}`);
              }
            }
            groups.push(group);
          }
          for (const child of children) await child.call({ op: 'setup' });
          for (let i = 0; i < shape.warmup; i += 1) {
            for (const child of rotation(children, i)) await child.call({ op: 'iterate', timed: false });
          }
          for (let i = 0; i < shape.iterations; i += 1) {
            for (const child of rotation(children, i)) await child.call({ op: 'iterate', timed: true });
          }
          const measured = (await Promise.all(children.map((child) => child.call({ op: 'result' })))) as ValkeyChildResult[];
          results.push({
            id: shape.id,
            title: shape.title,
            config: config === 'none' ? 'uncapped' : `${config} MB`,
            contenders: measured.map((result, index) => {
              const { variant, library } = VALKEY_CONTENDERS[index] as (typeof VALKEY_CONTENDERS)[number];
              return summarise(variant, library, result);
            }),
          });
        } finally {
          await Promise.all(children.map((child) => child.stop()));
          for (const group of groups) group?.remove();
        }
        options.progress(
          `  Valkey ${config === 'none' ? 'uncapped' : `${config} MB`} ${shape.id}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      }
    }
    for (const note of notes) options.progress(`  ${note}\n`);
    return results;
  } finally {
    await server.stop();
  }
}

/** The side-by-side table of the Valkey scenarios. */
export function formatValkeyBench(results: readonly ValkeyScenarioResult[]): string {
  const lines = ['ValkeyStore vs Powertools CachePersistenceLayer, one local redis-server:'];
  for (const scenario of results) {
    lines.push(`\n${scenario.title} — ${scenario.config}`);
    lines.push('  contender                   median ms   p95 ms   records/s   CPU µs/record   commands/record   billed ms/invocation');
    for (const c of scenario.contenders) {
      lines.push(
        `  ${c.variant.padEnd(26)} ${c.medianMs.toFixed(3).padStart(10)} ${c.p95Ms.toFixed(3).padStart(8)} ${Math.round(c.recordsPerSecond).toString().padStart(11)} ${Math.round(c.cpuMicrosPerRecord).toString().padStart(15)} ${c.commandsPerRecord.toFixed(2).padStart(17)} ${c.billedMsPerInvocation.toFixed(2).padStart(22)}${c.wrongIterations > 0 ? `   (${c.wrongIterations} WRONG iterations)` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
