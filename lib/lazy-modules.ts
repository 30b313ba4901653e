/**
 * AWS SDK modules the library loads on first use only, so that a Lambda cold start does not pay for them:
 * `@aws-sdk/client-sqs` (an optional peer dependency, for `visibility` and the outbox relay), `@aws-sdk/lib-dynamodb`
 * (the document client, for `commitWith` transactions), `@aws-sdk/client-sns` and `@aws-sdk/client-eventbridge`
 * (optional peers, for the outbox relay).
 *
 * This is the CommonJS build's loader. `require` rather than `import()`: bundlers resolve both alike, and a
 * native dynamic import cannot run inside jest's module sandbox. The ES module build
 * (`scripts/build-esm.ts`) uses `lazy-modules.esm.ts` instead.
 */
export type SqsModule = typeof import('@aws-sdk/client-sqs');
export type DocumentClientModule = typeof import('@aws-sdk/lib-dynamodb');
export type SnsModule = typeof import('@aws-sdk/client-sns');
export type EventBridgeModule = typeof import('@aws-sdk/client-eventbridge');

let sqsModule: SqsModule | undefined;
let documentClientModule: DocumentClientModule | undefined;
let snsModule: SnsModule | undefined;
let eventBridgeModule: EventBridgeModule | undefined;

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

/** `@aws-sdk/client-sns` (for the outbox relay). */
export async function loadSns(): Promise<SnsModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  snsModule ??= require('@aws-sdk/client-sns') as SnsModule;
  return snsModule;
}

/** `@aws-sdk/client-eventbridge` (for the outbox relay). */
export async function loadEventBridge(): Promise<EventBridgeModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  eventBridgeModule ??= require('@aws-sdk/client-eventbridge') as EventBridgeModule;
  return eventBridgeModule;
}
