/**
 * Footprint: the size of an esbuild-minified handler bundle written with each library (the AWS SDK left
 * external, as the Lambda Node.js runtime provides it), and the median time a fresh Node process takes
 * to `require` it (timed inside that process, wall and CPU), minus the same for an empty file.
 *
 * Cold start: the same process first requires the SDK modules the bundle itself requires at load (found
 * by a discovery process), then the bundle; the second part is the library's own load (plus the
 * handler's few lines), the first the bare SDK's, which both libraries pay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { median } from './stats';

/** Fresh processes per file for the load time. */
export const LOAD_RUNS = 15;

/** One bundle. */
export interface BundleResult {
  readonly name: string;
  /** `'ours'`, `'incumbent'`, or `'ours (what if)'` for a variant with modules stubbed out. */
  readonly library: string;
  /** What-if variants: the modules replaced by an empty stub (as if the library did not load them). */
  readonly stubbed: readonly string[];
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /**
   * Median wall time of the `require` of the bundle in a fresh `node -e` process, minus the same for an
   * empty file, milliseconds.
   */
  readonly loadMs: number;
  /** The same in CPU time (user + system) of that process: less sensitive to a busy machine. */
  readonly loadCpuMs: number;
  /** The external modules (the SDK) the bundle requires while it loads, as it names them. */
  readonly sdkModules?: readonly string[];
  /** Median CPU time of requiring {@link sdkModules} alone, first in the same process, milliseconds. */
  readonly sdkLoadCpuMs?: number;
  /**
   * Median CPU time of requiring the bundle once its SDK modules are loaded, minus an empty file's,
   * milliseconds: the library's own load CPU at cold start (bundle load minus the bare SDK load).
   */
  readonly ownLoadCpuMs?: number;
  /** The same in wall time. */
  readonly ownLoadMs?: number;
  /** What weighs most in the bundle: bytes in the minified output by package (`lib` is our own code). */
  readonly largestInputs: readonly { readonly path: string; readonly bytes: number }[];
}

/** Load time of a bare `require` of modules the bundles leave external (the SDK). */
export interface ModuleLoad {
  readonly name: string;
  readonly modules: readonly string[];
  readonly loadMs: number;
  readonly loadCpuMs: number;
}

export interface FootprintResult {
  readonly bundles: readonly BundleResult[];
  readonly modules: readonly ModuleLoad[];
  /** Median wall time of the `require` of an empty file (subtracted from the others). */
  readonly emptyRequireMs: number;
  readonly runs: number;
}

/** One bundle to build: a handler entry written with one library, and the modules stubbed out of it. */
export interface Probe {
  readonly name: string;
  readonly library: string;
  readonly entry: string;
  readonly stubbed: readonly string[];
}

export const PROBES: readonly Probe[] = [
  { name: 'idempotent handler', library: 'incumbent', entry: 'bench/handlers/incumbent-handler.ts', stubbed: [] },
  { name: 'idempotent handler', library: 'ours', entry: 'bench/handlers/ours-handler.ts', stubbed: [] },
  { name: 'SQS batch handler', library: 'incumbent', entry: 'bench/handlers/incumbent-batch.ts', stubbed: [] },
  { name: 'SQS batch handler', library: 'ours', entry: 'bench/handlers/ours-batch.ts', stubbed: [] },
  // What removing the heavy dependencies would give: no `jmespath` package and no Powertools Logger in the
  // bundle, then also no eager `@aws-sdk/lib-dynamodb` at load.
  {
    name: 'idempotent handler',
    library: 'ours (what if)',
    entry: 'bench/handlers/ours-handler.ts',
    stubbed: ['jmespath', '@aws-lambda-powertools/logger', '@aws-sdk/lib-dynamodb'],
  },
  {
    name: 'SQS batch handler',
    library: 'ours (what if)',
    entry: 'bench/handlers/ours-batch.ts',
    stubbed: ['jmespath', '@aws-lambda-powertools/logger'],
  },
  {
    name: 'SQS batch handler',
    library: 'ours (what if)',
    entry: 'bench/handlers/ours-batch.ts',
    stubbed: ['jmespath', '@aws-lambda-powertools/logger', '@aws-sdk/lib-dynamodb'],
  },
];

/**
 * What a stubbed module becomes: empty, except the Logger, which becomes the few lines of console logger
 * that would replace it (the library builds its default logger when a handler is wrapped).
 */
const STUBS: Readonly<Record<string, string>> = {
  '@aws-lambda-powertools/logger':
    'class Logger{constructor(o){this.l=o&&o.logLevel==="WARN"?2:0}debug(...a){this.l<1&&console.debug(...a)}info(...a){this.l<2&&console.info(...a)}warn(...a){console.warn(...a)}error(...a){console.error(...a)}}module.exports={Logger};',
};

/**
 * Where the package's build imports a stubbed module under other names: the ES module build carries
 * `jmespath` inside its engine module (`scripts/build-esm.ts`), which `selectors/compile` imports as a sibling
 * (a module outside `selectors/` would name its directory).
 */
const IMPORTED_AS: Readonly<Record<string, readonly string[]>> = {
  jmespath: ['./jmespath-engine.mjs', './selectors/jmespath-engine.mjs'],
};

/** Resolves `modules` to stubs (see {@link STUBS}; an empty CommonJS module otherwise). */
function stubPlugin(modules: readonly string[]): Plugin {
  const specifiers = modules.flatMap((name) => [name, ...(IMPORTED_AS[name] ?? [])]);
  const filter = new RegExp(`^(${specifiers.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'bench-stub',
    setup(builder) {
      builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'bench-stub' }));
      builder.onLoad({ filter: /.*/, namespace: 'bench-stub' }, (args) => ({
        contents: STUBS[args.path] ?? 'module.exports = {};',
        loader: 'js',
      }));
    },
  };
}

/**
 * `node_modules/@scope/name/...` → `@scope/name`; our own files → `lib`, except the ES module build's
 * JMESPath engine module, which is the `jmespath` package (bundled into it, a few lines aside).
 */
export function packageOf(path: string): string {
  if (path.endsWith('/selectors/jmespath-engine.mjs')) return 'jmespath';
  const parts = path.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return parts[0] === 'bench' ? 'bench' : 'lib';
  const first = parts[at + 1] ?? '';
  return first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first;
}

const MODULE_PROBES = [
  { name: 'client-dynamodb', modules: ['@aws-sdk/client-dynamodb'] },
  { name: 'client-dynamodb + lib-dynamodb', modules: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'] },
] as const;

function largestInputs(metafile: Metafile): { path: string; bytes: number }[] {
  const output = Object.values(metafile.outputs)[0];
  if (!output) return [];
  const byPackage = new Map<string, number>();
  for (const [path, info] of Object.entries(output.inputs)) {
    const name = packageOf(path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...byPackage.entries()]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
}

/** What one fresh process measured around its `require`s: all of them, and the preloaded SDK alone. */
interface LoadSample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly sdkWallMs: number;
  readonly sdkCpuMs: number;
}

/**
 * The child: a fresh `node -e` that times its own `require`s (wall and CPU), so that Node's start-up,
 * identical for every file, does not add its noise to the difference: first the modules of argv[2] (a JSON
 * list of resolved paths: the SDK modules the bundle requires), then the file.
 */
const CHILD = [
  'const f=process.argv[1];const pre=JSON.parse(process.argv[2]||"[]");',
  'const t=process.hrtime.bigint();const c=process.cpuUsage();',
  'for(const p of pre)require(p);',
  'const ts=process.hrtime.bigint();const cs=process.cpuUsage(c);',
  'require(f);',
  'const u=process.cpuUsage(c);const te=process.hrtime.bigint();',
  'process.stdout.write(JSON.stringify({wallMs:Number(te-t)/1e6,cpuMs:(u.user+u.system)/1e3,sdkWallMs:Number(ts-t)/1e6,sdkCpuMs:(cs.user+cs.system)/1e3}));',
].join('');

/**
 * The discovery: a fresh `node -e` that requires the file and lists the non-built-in modules the file
 * itself requires while it loads (the externals of a bundle), each with the path it resolves to.
 */
const DISCOVER = [
  'const f=require.resolve(process.argv[1]);const M=require("module");const seen=new Map();const load=M._load;',
  'M._load=function(r,parent,main){if(parent&&parent.filename===f&&!M.isBuiltin(r)&&!seen.has(r))seen.set(r,M._resolveFilename(r,parent,main));return load.apply(this,arguments)};',
  'require(f);M._load=load;',
  'process.stdout.write(JSON.stringify([...seen].map(([name,path])=>({name,path}))));',
].join('');

function failure(file: string, child: ReturnType<typeof spawnSync>): Error {
  const stderr = child.stderr?.toString() ?? '';
  const error = stderr.split('\n').find((line) => /^\w*Error\b/.test(line)) ?? stderr.slice(-500);
  return new Error(`Loading ${file} in a fresh node process failed (exit ${String(child.status)}): ${error}`);
}

/** One fresh process that requires `preload`, then `file`. @throws when the process fails */
function loadOnce(file: string, env: NodeJS.ProcessEnv, preload: readonly string[] = []): LoadSample {
  const child = spawnSync(process.execPath, ['-e', CHILD, file, JSON.stringify(preload)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.status !== 0) throw failure(file, child);
  return JSON.parse(child.stdout.toString()) as LoadSample;
}

/** The modules `file` requires while it loads (not built-ins), with their resolved paths. @throws when the process fails */
export function requiredAtLoad(file: string, env: NodeJS.ProcessEnv): { name: string; path: string }[] {
  const child = spawnSync(process.execPath, ['-e', DISCOVER, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.status !== 0) throw failure(file, child);
  return JSON.parse(child.stdout.toString()) as { name: string; path: string }[];
}

/**
 * Bundles `probe` into `outfile` as CDK's `NodejsFunction` would (esbuild, CommonJS, minified, `@aws-sdk/*`
 * external), with its stubs; returns esbuild's result with the metafile.
 */
export async function bundleProbe(root: string, probe: Probe, outfile: string): Promise<{ metafile: Metafile }> {
  return build({
    entryPoints: [resolve(root, probe.entry)],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@aws-sdk/*'],
    // No tsconfig: its `paths` would send `effectively-once` to the sources instead of the package.
    tsconfigRaw: {},
    outfile,
    metafile: true,
    logLevel: 'silent',
    plugins: probe.stubbed.length > 0 ? [stubPlugin(probe.stubbed)] : [],
  });
}

/**
 * Bundles the probes and times their loading. `root` is the repository, built: our probes import
 * `effectively-once`, which esbuild resolves through the package's own `exports` to the ES module build in
 * `dist/esm`, exactly as a user's bundler resolves the installed package (the tsconfig `paths` that point
 * the type checker at the sources are not applied here).
 * @throws when the package is not built
 */
export async function measureFootprint(root: string, runs = LOAD_RUNS): Promise<FootprintResult> {
  const built = resolve(root, 'dist/esm/index.mjs');
  if (!existsSync(built)) throw new Error(`The footprint bundles the built package, and ${built} is missing: run \`npm run build\` first`);
  // Inside the repository (ignored by git) so that the bundles find the SDK in node_modules.
  const dir = resolve(root, '.tmp', `bench-footprint-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files: { key: string; file: string; preload?: readonly string[] }[] = [];
    const bundles: Omit<BundleResult, 'loadMs' | 'loadCpuMs'>[] = [];
    for (const [index, probe] of PROBES.entries()) {
      const outfile = join(dir, `${index}-${probe.library.replace(/\W+/g, '-')}-${probe.name.replace(/\W+/g, '-')}.js`);
      const result = await bundleProbe(root, probe, outfile);
      const code = readFileSync(outfile);
      bundles.push({
        name: probe.name,
        library: probe.library,
        stubbed: probe.stubbed,
        entry: probe.entry,
        bytes: code.byteLength,
        gzipBytes: gzipSync(code, { level: 9 }).byteLength,
        largestInputs: largestInputs(result.metafile),
      });
      files.push({ key: outfile, file: outfile });
    }
    const env = { ...process.env, IDEMPOTENCY_TABLE_NAME: 'idempotency', AWS_REGION: 'us-east-1', NODE_OPTIONS: '' };
    bundles.forEach((bundle, index) => {
      const entry = files[index] as { key: string; file: string; preload?: readonly string[] };
      const required = requiredAtLoad(entry.file, env);
      bundles[index] = { ...bundle, sdkModules: required.map((m) => m.name) };
      entry.preload = required.map((m) => m.path);
    });
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, '');
    files.push({ key: 'empty', file: empty });
    for (const probe of MODULE_PROBES) {
      const file = join(dir, `modules-${probe.name.replace(/\W+/g, '-')}.js`);
      writeFileSync(file, probe.modules.map((name) => `require(${JSON.stringify(name)});`).join('\n'));
      files.push({ key: `modules:${probe.name}`, file });
    }
    const samples = new Map<string, LoadSample[]>(files.map((f) => [f.key, []]));
    loadOnce(empty, env); // the first process pays for cold file caches
    for (let round = 0; round < runs; round += 1) {
      // Rotate the order every round so no file always runs first or last.
      for (let k = 0; k < files.length; k += 1) {
        const entry = files[(round + k) % files.length] as { key: string; file: string; preload?: readonly string[] };
        samples.get(entry.key)?.push(loadOnce(entry.file, env, entry.preload));
      }
    }
    const medianOf = (key: string, field: keyof LoadSample): number => median((samples.get(key) ?? []).map((sample) => sample[field]));
    const emptyWall = medianOf('empty', 'wallMs');
    const emptyCpu = medianOf('empty', 'cpuMs');
    const net = (key: string): { loadMs: number; loadCpuMs: number } => ({
      loadMs: medianOf(key, 'wallMs') - emptyWall,
      loadCpuMs: medianOf(key, 'cpuMs') - emptyCpu,
    });
    /** The bundle's part of each process (after its SDK modules), minus an empty file's. */
    const own = (key: string): { sdkLoadCpuMs: number; ownLoadCpuMs: number; ownLoadMs: number } => {
      const list = samples.get(key) ?? [];
      return {
        sdkLoadCpuMs: median(list.map((sample) => sample.sdkCpuMs)),
        ownLoadCpuMs: median(list.map((sample) => sample.cpuMs - sample.sdkCpuMs)) - emptyCpu,
        ownLoadMs: median(list.map((sample) => sample.wallMs - sample.sdkWallMs)) - emptyWall,
      };
    };
    return {
      bundles: bundles.map((bundle, index) => ({ ...bundle, ...net(files[index]?.key ?? ''), ...own(files[index]?.key ?? '') })),
      modules: MODULE_PROBES.map((probe) => ({ name: probe.name, modules: probe.modules, ...net(`modules:${probe.name}`) })),
      emptyRequireMs: emptyWall,
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
