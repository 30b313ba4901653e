/**
 * The library's own load at cold start as a count of CPU instructions, which a busy machine does not
 * disturb: the footprint's bundles (`./footprint`) each loaded in a fresh `node` under valgrind
 * (`cachegrind`, no cache simulation), after the SDK modules the bundle requires at load, minus an empty
 * file loaded after the same modules. Address-space randomisation off (`setarch -R`) and V8's random seed
 * fixed make the count repeat within about 0.1 M instructions, where the load CPU time of 15 processes on a
 * shared 2-core machine moves by a millisecond (about 4 M instructions).
 *
 * Needs `valgrind` and `setarch` (Debian: `apt-get install valgrind`); about 10 s per process.
 *
 *     npm run build && npx tsx bench/load-instructions.ts [--runs=3] [--what-if] [--root=<another built checkout>]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleProbe, PROBES, requiredAtLoad } from './footprint';
import { median } from './stats';

const CHILD = 'for(const p of JSON.parse(process.argv[2]))require(p);require(process.argv[1]);';

/** Instructions executed by one fresh `node` that requires `preload`, then `file`. @throws when valgrind fails */
function instructions(file: string, preload: readonly string[], env: NodeJS.ProcessEnv): number {
  const args = [
    '-R',
    'valgrind',
    '--tool=cachegrind',
    '--cache-sim=no',
    '--cachegrind-out-file=/dev/null',
    '--smc-check=all-non-file',
    process.execPath,
    '--random-seed=1',
    '--no-warnings',
    '-e',
    CHILD,
    file,
    JSON.stringify(preload),
  ];
  const child = spawnSync('setarch', args, { env, encoding: 'utf8' });
  const refs = /I\s+refs:\s+([\d,]+)/.exec(child.stderr ?? '');
  if (child.status !== 0 || !refs?.[1]) {
    throw new Error(
      `valgrind on ${file} failed (exit ${String(child.status)}): ${(child.error?.message ?? child.stderr ?? '').slice(-400)}`,
    );
  }
  return Number(refs[1].replace(/,/g, ''));
}

async function main(): Promise<void> {
  const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const root = resolve(option('root') ?? resolve(__dirname, '..'));
  const runs = Number(option('runs') ?? 3);
  const whatIf = process.argv.includes('--what-if');
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
  const dir = resolve(root, '.tmp', `bench-instructions-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, IDEMPOTENCY_TABLE_NAME: 'idempotency', AWS_REGION: 'us-east-1', NODE_OPTIONS: '' };
  try {
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, '');
    const baselines = new Map<string, number>();
    for (const [index, probe] of PROBES.entries()) {
      if (probe.stubbed.length > 0 && !whatIf) continue;
      const file = join(dir, `${index}.js`);
      await bundleProbe(root, probe, file);
      const preload = requiredAtLoad(file, env).map((module) => module.path);
      const key = JSON.stringify(preload);
      const count = (target: string): number => median(Array.from({ length: runs }, () => instructions(target, preload, env)));
      const baseline = baselines.get(key) ?? count(empty);
      baselines.set(key, baseline);
      const own = count(file) - baseline;
      const bytes = readFileSync(file).byteLength;
      const stubbed = probe.stubbed.length > 0 ? ` without ${probe.stubbed.join(', ')}` : '';
      console.log(`${probe.name}, ${probe.library}${stubbed}: ${bytes} bytes, own load ${(own / 1e6).toFixed(1)} M instructions`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
