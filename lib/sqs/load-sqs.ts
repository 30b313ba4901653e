/** `@aws-sdk/client-sqs`: an optional peer dependency, loaded on first use only (the library entry never loads it). */
export type SqsModule = typeof import('@aws-sdk/client-sqs');
let sqsModule: SqsModule | undefined;

/**
 * Loads the SQS client in the CommonJS build. `require` rather than `import()`: bundlers resolve both
 * alike, and a native dynamic import cannot run inside jest's module sandbox. The ES module build
 * (`scripts/build-esm.ts`) uses `load-sqs.esm.ts` instead.
 */
export async function loadSqs(): Promise<SqsModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sqsModule ??= require('@aws-sdk/client-sqs') as SqsModule;
  return sqsModule;
}
