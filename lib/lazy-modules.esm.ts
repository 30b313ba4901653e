import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DocumentClientModule, EventBridgeModule, SnsModule, SqsModule } from './lazy-modules';

/*
 * The ES module build's loader (`scripts/build-esm.ts` puts this file in place of `lazy-modules.ts`):
 * dynamic `import()`, which works both when Node loads `dist/esm` itself and when a user's bundler turns it
 * into CommonJS (where a `require` shim would need `import.meta.url`), and which a bundler includes when the
 * SDK is bundled rather than external.
 */

/**
 * `importer()`; when Node's ES module resolver finds nothing, `require` from the working directory. Node
 * resolves `import()` without NODE_PATH, which is how the Lambda runtime offers its AWS SDK to CommonJS
 * code, so a package the ES module resolver misses may still be there for `require`.
 */
async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return createRequire(join(process.cwd(), 'index.js'))(name) as T;
  }
}

/** `@aws-sdk/client-sqs`. */
export async function loadSqs(): Promise<SqsModule> {
  return load('@aws-sdk/client-sqs', () => import('@aws-sdk/client-sqs'));
}

/** `@aws-sdk/lib-dynamodb`. */
export async function loadDocumentClient(): Promise<DocumentClientModule> {
  return load('@aws-sdk/lib-dynamodb', () => import('@aws-sdk/lib-dynamodb'));
}

/** `@aws-sdk/client-sns`. */
export async function loadSns(): Promise<SnsModule> {
  return load('@aws-sdk/client-sns', () => import('@aws-sdk/client-sns'));
}

/** `@aws-sdk/client-eventbridge`. */
export async function loadEventBridge(): Promise<EventBridgeModule> {
  return load('@aws-sdk/client-eventbridge', () => import('@aws-sdk/client-eventbridge'));
}
