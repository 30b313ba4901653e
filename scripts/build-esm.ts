/**
 * The ES module build of the runtime library and the test kit (`dist/esm`), next to tsc's CommonJS build
 * (`dist/lib`). The package's `exports` send `import` here and `require` to `dist/lib`.
 *
 * Why a second build: bundlers tree-shake ES modules, not CommonJS. A Lambda handler that imports only
 * `makeIdempotent` from the CommonJS build drags every adapter (SQS, streams, HTTP, guards) into its
 * bundle; from this build it carries only what it uses. One file per entry point; dependencies stay external (the Lambda runtime provides the AWS SDK).
 *
 * `effectively-once/constructs` has no ES module build: CDK apps are not bundled, and aws-cdk-lib is
 * CommonJS whose lazily defined exports Node cannot import by name.
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const root = resolve(__dirname, '..');
const outdir = resolve(root, 'dist/esm');
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const external = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})].flatMap((name) => [name, `${name}/*`]);

/**
 * The runtime library's modules with an ES module counterpart (`<name>.esm.ts` beside `<name>.ts`): the
 * lazy load of an optional package, a `require` in CommonJS and an `import()` here.
 */
const esmCounterparts: Plugin = {
  name: 'esm-counterparts',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/load-sqs$/ }, (args) => ({ path: resolve(args.resolveDir, 'load-sqs.esm.ts') }));
  },
};

/**
 * The test kit loads its optional peers (DynamoDB Local, fauxqs, fast-check) with `require` and finds them
 * from `__filename`: both defined for its ES module here. Only the test kit gets this banner: the runtime
 * library may be bundled into CommonJS by a user's bundler, where `import.meta.url` is empty.
 */
const TESTING_BANNER = [
  "import { createRequire as __eoCreateRequire } from 'node:module';",
  "import { fileURLToPath as __eoFileURLToPath } from 'node:url';",
  'const require = __eoCreateRequire(import.meta.url);',
  'const __filename = __eoFileURLToPath(import.meta.url);',
].join('\n');

const COMMON: BuildOptions = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  external,
  sourcemap: true,
  tsconfig: resolve(root, 'tsconfig.build.json'),
  logLevel: 'warning',
};

/**
 * Two builds, so that only the test kit gets its banner. They share no state: the test kit takes nothing
 * from the runtime library but the table's attribute names.
 */
async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({ ...COMMON, entryPoints: { index: resolve(root, 'lib/index.ts') }, plugins: [esmCounterparts] });
  await build({ ...COMMON, entryPoints: { testing: resolve(root, 'lib/testing/index.ts') }, banner: { js: TESTING_BANNER } });
  const leftovers = readFileSync(resolve(outdir, 'index.mjs'), 'utf8').match(/\b(__require|__filename|__dirname|import\.meta)\b/g);
  if (leftovers !== null) throw new Error(`dist/esm/index.mjs must not use ${[...new Set(leftovers)].join(', ')}: a user's CommonJS bundle of it would break`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
