/**
 * The ES module build of the runtime library and the test kit (`dist/esm`), next to tsc's CommonJS build
 * (`dist/lib`). The package's `exports` send `import` here and `require` to `dist/lib`.
 *
 * Why a second build: bundlers tree-shake ES modules, not CommonJS. A Lambda handler that imports only
 * `makeIdempotent` from the CommonJS build drags every adapter (SQS, streams, HTTP, guards) into its
 * bundle; from this build it carries only what it uses. One output module per source module (imports
 * rewritten to `.mjs`), not one bundled file: with the package's `"sideEffects": false` a bundler then
 * drops whole unused modules, with their imports of SDK packages (the stream and guard modules import
 * `@aws-sdk/lib-dynamodb`; one bundled file would make every handler load it at cold start).
 *
 * `effectively-once/constructs` has no ES module build: CDK apps are not bundled, and aws-cdk-lib is
 * CommonJS whose lazily defined exports Node cannot import by name.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const root = resolve(__dirname, '..');
const lib = resolve(root, 'lib');
const outdir = resolve(root, 'dist/esm');

/** Source files with an ES module counterpart `<name>.esm.ts`, used here instead of them. */
const COUNTERPARTS = new Set([resolve(lib, 'lazy-modules.ts'), resolve(lib, 'lazy-parts.ts')]);

/** Every `.ts` module under `dir`, except tests, `.esm.ts` counterparts and the files they replace. */
function modulesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return modulesUnder(path);
    const isModule = name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts') && !name.endsWith('.esm.ts');
    return isModule && !COUNTERPARTS.has(path) ? [path] : [];
  });
}

/**
 * The source file a relative import names: `x.ts`, or `x/index.ts`; the `.esm.ts` counterpart if any. A `.js`
 * ending (which the type checker asks of an `import()` in an `.esm.ts` file) names the `.ts` source.
 */
function sourceOf(importer: string, specifier: string): string {
  const base = resolve(dirname(importer), specifier.replace(/\.js$/, ''));
  const file = existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts');
  if (!existsSync(file)) throw new Error(`${relative(root, importer)} imports ${specifier}, which is not a module of lib/`);
  return COUNTERPARTS.has(file) ? file.replace(/\.ts$/, '.esm.ts') : file;
}

/**
 * Keeps every relative import as an import of the sibling output module (`./engine` →
 * `./engine.mjs`, `./sqs` → `./sqs/index.mjs`), so that each module is built on its own.
 */
const siblingImports: Plugin = {
  name: 'sibling-imports',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = sourceOf(args.importer, args.path);
      let specifier = relative(dirname(args.importer), target).replace(/\.ts$/, '.mjs');
      if (!specifier.startsWith('.')) specifier = `./${specifier}`;
      return { path: specifier, external: true };
    });
  },
};

/**
 * Packages bundled into one module of the ES module build instead of imported: `jmespath` into
 * `selectors/jmespath-engine`, whose `require('jmespath')` inside a function then becomes a call of a
 * CommonJS closure in the same file. That keeps the engine's load synchronous and lazy (evaluated on the
 * first expression that needs it) with no `require` left in the output, in Node's ES module loader and in
 * a user's bundle alike.
 */
const BUNDLED: ReadonlyMap<string, string> = new Map([['jmespath', resolve(lib, 'selectors/jmespath-engine.ts')]]);

const bundledPackages: Plugin = {
  name: 'bundled-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (BUNDLED.get(args.path) !== args.importer) return undefined;
      return { path: require.resolve(args.path, { paths: [root] }) };
    });
  },
};

/**
 * The test kit loads its optional peers (DynamoDB Local, fauxqs, fast-check) with `require` and finds them
 * from `__filename`: both defined for its modules here. Only the test kit gets this banner: the runtime
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
  outbase: lib,
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  sourcemap: false, // the package ships no maps: they would point at lib/*.ts, which it does not ship
  tsconfig: resolve(root, 'tsconfig.build.json'),
  plugins: [siblingImports, bundledPackages],
  logLevel: 'warning',
};

/**
 * CommonJS-only names that must not appear in the runtime library's modules (`function __require` is the
 * name of esbuild's CommonJS closure helper for a bundled package, not its `require` shim).
 */
const COMMONJS_ONLY = /(?<!function )\b(__require|require\(|__filename|__dirname|import\.meta)/;

async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const modules = modulesUnder(lib);
  const testing = resolve(lib, 'testing');
  const runtime = modules.filter((file) => !file.startsWith(`${testing}/`));
  const runtimeEntries = [...runtime, ...[...COUNTERPARTS].map((file) => file.replace(/\.ts$/, '.esm.ts'))];
  await build({ ...COMMON, entryPoints: runtimeEntries });
  await build({ ...COMMON, entryPoints: modules.filter((file) => file.startsWith(`${testing}/`)), banner: { js: TESTING_BANNER } });
  for (const file of runtimeEntries) {
    const output = resolve(outdir, relative(lib, file).replace(/\.ts$/, '.mjs'));
    const found = COMMONJS_ONLY.exec(readFileSync(output, 'utf8'));
    if (found !== null) throw new Error(`${relative(root, output)} uses ${found[1] ?? ''}: a user's CommonJS bundle of it would break`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
