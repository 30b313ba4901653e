/**
 * Mutants: deliberately broken variants of the protocol, made by patching a copy of the real sources
 * (lib/), each run through the simulator in a child process. The simulator has teeth if it finds a
 * violation in every mutant.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

interface Patch {
  /** File under the repository root. */
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Mutant {
  readonly name: string;
  readonly patches: readonly Patch[];
  /**
   * The configuration explored first, where the mutant is expected to show (the others follow), so that a
   * mutant only a late configuration can catch is not searched for through every earlier one.
   */
  readonly firstConfig?: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'completion without the token condition',
    firstConfig: 'commitWith, 1 s lease, 2.5 s handler (late holder)',
    patches: [
      {
        file: 'lib/persistence/memory.ts',
        find: "    const record = this.#owned(input.key, input.token, 'store the result');",
        replace: "    const record = this.#records.get(input.key) ?? this.#owned(input.key, input.token, 'store the result');",
      },
    ],
  },
  {
    // With the fixed engine a release never meets a completed record of its own, so the store's in-progress
    // condition alone is an equivalent mutant; the protocol broke (the original bug) when the engine also
    // released after a failed completion. This mutant removes both guards.
    name: 'release without the in-progress condition (and a release after a failed completion)',
    patches: [
      {
        file: 'lib/persistence/memory.ts',
        find: '    if (record.status === RecordStatus.Completed) return;\n    if (input.keepCheckpoints) {',
        replace: '    if (input.keepCheckpoints) {',
      },
      {
        file: 'lib/engine/execution.ts',
        find: '    if (definite && this.#effects.any) {',
        replace: '    if (!(error instanceof IdempotencyLeaseLostError)) {',
      },
    ],
  },
  {
    name: 'no recognition of our own write after a lost response',
    patches: [
      {
        file: 'lib/engine/engine.ts',
        find: '      if (found.token === token) return this.#leased(execution(found.steps, found));',
        replace: '',
      },
    ],
  },
  {
    name: 'lease renewal without the expiry',
    firstConfig: 'renewed 1 s lease, 1 s expiry, 6 s handler',
    patches: [
      {
        file: 'lib/engine/held-lease.ts',
        find: '      const expiresAt = Math.max(this.#expiresAt, this.#io.expiresBeyondLease(leaseUntil));',
        replace: '      const expiresAt = this.#expiresAt;',
      },
    ],
  },
  {
    name: 'claim ignoring expiry (a live record is claimed over)',
    patches: [
      {
        file: 'lib/persistence/memory.ts',
        find: '    const existing = this.#live(input.key, input.now);\n    if (existing) return { claimed: false, existing: clone(existing) };\n    this.#records.set(',
        replace: '    this.#records.set(',
      },
    ],
  },
  {
    // A FIFO batch claims its records ahead: a record that waited for the ones before it would run on a
    // lease that is nearly gone, or already ended and taken over.
    name: 'claims ahead without the half-lease renewal',
    firstConfig: 'FIFO batches of 3 keys, 2 s lease claimed ahead, 1.5 s per record',
    patches: [
      {
        file: 'lib/batch/claims-ahead.ts',
        find: "      if (settled.begun.kind === 'execute' && settled.begun.execution.leaseRunsShort()) await settled.begun.execution.keepLease();\n",
        replace: '',
      },
    ],
  },
  {
    // Issue 22, as the code was: the claim built once and re-sent by every retry, its lease measured from
    // before the first attempt's throttle and backoff.
    name: 'lease computed once before the retry loop',
    firstConfig: 'plain effect, 2 s lease, slow store, 3 s outage',
    patches: [{ file: 'lib/engine/engine.ts', find: '        sent = claimAt(o.clock());\n', replace: '' }],
  },
  {
    // Issue 22, as the code was: a record claimed ahead renewed once half a lease had passed since its claim
    // landed, not once half of the lease as written was gone (a claim that landed late never renewed).
    name: 'claims-ahead renewal measured from when the claim landed',
    firstConfig: 'FIFO batches of 3 keys, 2 s lease claimed ahead, 0.6 s per record, slow store',
    patches: [
      {
        file: 'lib/batch/claims-ahead.ts',
        find: '      (begun): Settled<TResult> => ({ ok: true, begun }),',
        replace: '      (begun): Settled<TResult> => ({ ok: true, begun, at: engine.options.clock() }) as Settled<TResult>,',
      },
      {
        file: 'lib/batch/claims-ahead.ts',
        find: "      if (settled.begun.kind === 'execute' && settled.begun.execution.leaseRunsShort()) await settled.begun.execution.keepLease();",
        replace:
          "      if (settled.begun.kind === 'execute' && engine.options.clock() - (settled as unknown as { at: number }).at >= settled.begun.execution.leaseMs / 2) await settled.begun.execution.extendLease(settled.begun.execution.leaseMs);",
      },
    ],
  },
  {
    // The work starts on whatever lease the claim landed with.
    name: 'no half-lease check after a claim lands',
    firstConfig: 'plain effect, 2 s lease, slow store, 3 s outage',
    patches: [
      {
        file: 'lib/engine/engine.ts',
        find: "    if (begun.kind !== 'execute' || !begun.execution.leaseRunsShort()) return begun;\n",
        replace: '    return begun;\n',
      },
    ],
  },
  {
    name: 'lease comparisons without the clock-skew margin',
    patches: [
      {
        file: 'lib/engine/lease-time.ts',
        find: '    return record.leaseUntil + this.#o.clockSkewMs < this.#o.clock();',
        replace: '    return record.leaseUntil < this.#o.clock();',
      },
    ],
  },
];

export interface MutantReport {
  readonly mutant: string;
  readonly caught: boolean;
  /** The line the simulator printed for the violation it found (configuration, seed, what broke). */
  readonly evidence: string;
  readonly ms: number;
}

/** Runs the simulator against one mutant, in a patched copy of the sources. */
export function runMutant(mutant: Mutant, seeds: number): MutantReport {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'eo-mutant-'));
  try {
    cpSync(join(ROOT, 'lib'), join(dir, 'lib'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'simulate'), join(dir, 'scripts', 'simulate'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'simulate.ts'), join(dir, 'scripts', 'simulate.ts'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const patch of mutant.patches) {
      const file = join(dir, patch.file);
      const text = readFileSync(file, 'utf8');
      if (!text.includes(patch.find))
        throw new Error(`Mutant "${mutant.name}": ${patch.file} no longer contains the patched code:\n${patch.find}`);
      writeFileSync(file, text.replace(patch.find, patch.replace));
    }
    const child = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        join(dir, 'scripts', 'simulate.ts'),
        '--seeds',
        String(seeds),
        '--brief',
        ...(mutant.firstConfig === undefined ? [] : ['--first-config', mutant.firstConfig]),
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    const violation = (child.stdout ?? '').split('\n').find((line) => line.startsWith('VIOLATION'));
    const evidence =
      violation ??
      (child.error !== undefined
        ? `the simulator did not finish: ${child.error.message}`
        : child.status === 0
          ? `no violation in ${seeds} seeds of every configuration and every schedule of the small ones`
          : `the simulator failed (exit ${String(child.status ?? child.signal)}): ${(child.stderr ?? '').split('\n').slice(0, 3).join(' ')}`);
    return { mutant: mutant.name, caught: child.status === 1 && evidence.startsWith('VIOLATION'), evidence, ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
