/**
 * The Lambda model's CPU: a process confined to `memory / 1,769 MB` of one core by a CPU cgroup quota
 * (Lambda gives a function one vCPU at 1,769 MB and a proportional share below), pinned to one core with
 * `taskset`. cgroup v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) or v2 (`cpu.max`), whichever the machine
 * mounts with the cpu controller; writing them needs root.
 *
 * The groups also get the highest CPU weight (v1 `cpu.shares`, v2 `cpu.weight`): on a machine shared with
 * other work, a contender then gets its whole quota whenever it wants it, as a Lambda function does, and
 * DynamoDB Local (in a group without quota) its core. The pure parts are checked by
 * test/bench/confine.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Memory at which Lambda gives a function one full vCPU (Lambda Developer Guide, "Configuring memory"). */
export const MB_PER_VCPU = 1769;

/** The smallest quota and period the kernel accepts, microseconds. */
const MIN_QUOTA_US = 1000;

/** A CPU quota: `quotaUs` of CPU time per `periodUs` of wall time. */
export interface CpuQuota {
  readonly quotaUs: number;
  readonly periodUs: number;
  /** `quotaUs / periodUs`: the share of one core. */
  readonly share: number;
}

/**
 * The quota of a Lambda function of `memoryMb`: `memoryMb / 1,769` of one core per period. Above
 * 1,769 MB the share exceeds one core (Lambda gives more vCPUs); the benchmark pins the process to one
 * core, so it gets at most one.
 * @throws RangeError for a non-positive memory size or a period under 1 ms
 */
export function lambdaCpuQuota(memoryMb: number, periodUs: number): CpuQuota {
  if (!(Number.isFinite(memoryMb) && memoryMb > 0))
    throw new RangeError(`Expected the memory size to be a positive number of MB, got ${memoryMb}`);
  if (!(Number.isInteger(periodUs) && periodUs >= MIN_QUOTA_US)) {
    throw new RangeError(`Expected the CFS period to be a whole number of microseconds ≥ ${MIN_QUOTA_US}, got ${periodUs}`);
  }
  const quotaUs = Math.max(MIN_QUOTA_US, Math.round((memoryMb / MB_PER_VCPU) * periodUs));
  return { quotaUs, periodUs, share: quotaUs / periodUs };
}

/** Where the cpu controller is mounted. */
export interface CpuController {
  readonly version: 1 | 2;
  /** Mount point. */
  readonly root: string;
}

/**
 * Finds the cpu controller in /proc/mounts: a cgroup v1 mount whose options name `cpu`, else a cgroup2
 * mount (whether v2's cpu controller is enabled is found out when the group is created).
 */
export function findCpuController(mounts: string): CpuController | undefined {
  let v2: CpuController | undefined;
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (mountPoint === undefined || options === undefined) continue;
    if (type === 'cgroup' && options.split(',').includes('cpu')) return { version: 1, root: mountPoint };
    if (type === 'cgroup2' && v2 === undefined) v2 = { version: 2, root: mountPoint };
  }
  return v2;
}

/**
 * This process's own group under the controller, from /proc/self/cgroup (`N:cpu,cpuacct:/path` for v1,
 * `0::/path` for v2); `/` when it is not listed.
 */
export function ownGroup(procSelfCgroup: string, version: 1 | 2): string {
  for (const line of procSelfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, , controllers = '', path = '/'] = match;
    if (version === 2 ? controllers === '' : controllers.split(',').includes('cpu')) return path;
  }
  return '/';
}

/** The highest CPU weight: cgroup v1 `cpu.shares` (default 1024) and v2 `cpu.weight` (default 100). */
export const MAX_WEIGHT = { 1: 262144, 2: 10000 } as const;

/** The file contents that give a group the highest weight and, when given, `quota`. */
export function groupFiles(version: 1 | 2, quota: CpuQuota | undefined): Record<string, string> {
  const files: Record<string, string> = version === 1 ? { 'cpu.shares': String(MAX_WEIGHT[1]) } : { 'cpu.weight': String(MAX_WEIGHT[2]) };
  if (quota === undefined) return files;
  return version === 1
    ? { ...files, 'cpu.cfs_period_us': String(quota.periodUs), 'cpu.cfs_quota_us': String(quota.quotaUs) }
    : { ...files, 'cpu.max': `${quota.quotaUs} ${quota.periodUs}` };
}

/** A CPU cgroup with the highest weight and an optional quota, for the processes added to it. */
export interface CpuGroup {
  readonly version: 1 | 2;
  readonly path: string;
  readonly quota: CpuQuota | undefined;
  /** Moves process `pid` (all its threads) into the group. */
  add(pid: number): void;
  /** Moves process `pid` back to the group it came from (this process's own). */
  release(pid: number): void;
  /** Throttling the group saw: periods, throttled periods, throttled time (ms). */
  stats(): { periods: number; throttledPeriods: number; throttledMs: number } | undefined;
  /** Removes the group (its processes must have exited). */
  remove(): void;
}

let groups = 0;

/**
 * Creates a CPU cgroup named after this process, with the highest weight and, when given, `quota`.
 * @throws Error saying why when the machine has no writable cpu controller (not root, no cgroup mount,
 *   v2 without the cpu controller delegated)
 */
export function createCpuGroup(quota: CpuQuota | undefined): CpuGroup {
  const controller = existsSync('/proc/mounts') ? findCpuController(readFileSync('/proc/mounts', 'utf8')) : undefined;
  if (!controller) throw new Error('no cgroup mount with the cpu controller in /proc/mounts');
  const own = ownGroup(readFileSync('/proc/self/cgroup', 'utf8'), controller.version);
  const name = `effectively-once-bench-${process.pid}-${(groups += 1)}`;
  const problems: string[] = [];
  // Our own group first; under cgroup v2 a non-root group with processes cannot delegate controllers,
  // so the root is tried too.
  for (const parent of [...new Set([join(controller.root, own), controller.root])]) {
    const path = join(parent, name);
    try {
      if (controller.version === 2) enableV2Cpu(parent);
      mkdirSync(path);
      try {
        for (const [file, value] of Object.entries(groupFiles(controller.version, quota))) writeFileSync(join(path, file), value);
      } catch (error) {
        rmdirSync(path);
        throw error;
      }
      return groupAt(controller.version, path, join(controller.root, own), quota);
    } catch (error) {
      problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`cannot create a CPU cgroup (${problems.join('; ')})`);
}

function enableV2Cpu(parent: string): void {
  const controllers = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').split(/\s+/);
  if (!controllers.includes('cpu')) throw new Error('the cpu controller is not available to this group');
  const enabled = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  if (!enabled.includes('cpu')) writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
}

function groupAt(version: 1 | 2, path: string, home: string, quota: CpuQuota | undefined): CpuGroup {
  return {
    version,
    path,
    quota,
    add(pid) {
      writeFileSync(join(path, 'cgroup.procs'), String(pid));
    },
    release(pid) {
      writeFileSync(join(home, 'cgroup.procs'), String(pid));
    },
    stats() {
      try {
        const text = readFileSync(join(path, 'cpu.stat'), 'utf8');
        const field = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
        const throttledMs = version === 1 ? field('throttled_time') / 1e6 : field('throttled_usec') / 1e3;
        return { periods: field('nr_periods'), throttledPeriods: field('nr_throttled'), throttledMs };
      } catch {
        return undefined;
      }
    },
    remove() {
      try {
        rmdirSync(path);
      } catch {
        // still busy or already gone: a stale empty group is harmless
      }
    },
  };
}

/**
 * Pins process `pid` and all its threads to `cpus` (a `taskset` list such as `0` or `0-1`); threads it
 * starts later inherit the affinity.
 * @throws Error when `taskset` is missing or refuses
 */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}
