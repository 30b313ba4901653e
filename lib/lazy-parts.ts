/**
 * Parts of the library that a plain handler or batch never runs, loaded on first use so that a Lambda cold
 * start does not evaluate them: the store's `commitWith` transactions (with the guards' failure reading and the
 * outbox's items) and step checkpoints.
 *
 * This is the CommonJS build's loader (and jest's): a `require` inside a function, so that Node reads and
 * compiles these files only on the first call. The ES module build (`scripts/build-esm.ts`) uses
 * `lazy-parts.esm.ts` instead, which imports them statically: a bundled handler carries their bytes either
 * way, and an `import()` cost its other modules a second parse at load.
 */
export type TransactionModule = typeof import('./persistence/dynamodb/transaction');
export type StepsModule = typeof import('./engine/steps');

let transactionModule: TransactionModule | undefined;
let stepsModule: StepsModule | undefined;

/** `persistence/dynamodb/transaction`: `commitWith` transactions and the kill switch's `commitWrites`. */
export async function loadTransactions(): Promise<TransactionModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  transactionModule ??= require('./persistence/dynamodb/transaction') as TransactionModule;
  return transactionModule;
}

/** `engine/steps`: step checkpoints. */
export async function loadSteps(): Promise<StepsModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  stepsModule ??= require('./engine/steps') as StepsModule;
  return stepsModule;
}
