import type { StepsModule, TransactionModule } from './lazy-parts';

/*
 * The ES module build's loader of the library's own lazily loaded parts (`scripts/build-esm.ts` puts this file
 * in place of `lazy-parts.ts`): `import()` of the sibling module, which Node loads on the first call and which a
 * user's bundler includes as a module initialised on the first call (esbuild's CommonJS output does).
 */

/** `persistence/dynamodb/transaction`. */
export async function loadTransactions(): Promise<TransactionModule> {
  return import('./persistence/dynamodb/transaction.js');
}

/** `engine/steps`. */
export async function loadSteps(): Promise<StepsModule> {
  return import('./engine/steps.js');
}
