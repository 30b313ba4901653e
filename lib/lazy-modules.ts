/**
 * AWS SDK modules the library loads on first use only, so that a Lambda cold start does not pay for them:
 * `@aws-sdk/client-sqs` (an optional peer dependency, for `visibility`) and `@aws-sdk/lib-dynamodb` (the
 * document client, for `commitWith` transactions).
 *
 * This is the CommonJS build's loader. `require` rather than `import()`: bundlers resolve both alike, and a
 * native dynamic import cannot run inside jest's module sandbox. The ES module build
 * (`scripts/build-esm.ts`) uses `lazy-modules.esm.ts` instead.
 */
export type SqsModule = typeof import('@aws-sdk/client-sqs');
export type DocumentClientModule = typeof import('@aws-sdk/lib-dynamodb');

let sqsModule: SqsModule | undefined;
let documentClientModule: DocumentClientModule | undefined;

/** `@aws-sdk/client-sqs`. */
export async function loadSqs(): Promise<SqsModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sqsModule ??= require('@aws-sdk/client-sqs') as SqsModule;
  return sqsModule;
}

/** `@aws-sdk/lib-dynamodb`. */
export async function loadDocumentClient(): Promise<DocumentClientModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  documentClientModule ??= require('@aws-sdk/lib-dynamodb') as DocumentClientModule;
  return documentClientModule;
}
