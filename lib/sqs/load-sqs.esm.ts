import type { SqsModule } from './load-sqs';

/**
 * Loads the SQS client in the ES module build (`scripts/build-esm.ts` puts this file in place of
 * `load-sqs.ts`): a dynamic `import()`, which works both when Node loads `dist/esm` itself and when a
 * user's bundler turns it into CommonJS, where a `require` shim would need `import.meta.url`.
 */
export async function loadSqs(): Promise<SqsModule> {
  return import('@aws-sdk/client-sqs');
}
