import * as steps from './engine/steps.js';
import * as transactions from './persistence/dynamodb/transaction.js';
import type { StepsModule, TransactionModule } from './lazy-parts';

/*
 * The ES module build's loader of the library's parts that a plain handler or batch never runs
 * (`scripts/build-esm.ts` puts this file in place of `lazy-parts.ts`): static imports, unlike the CommonJS
 * build's `require` on first use. A bundled handler is one file, so these parts' bytes are in it either way,
 * and an `import()` made the bundler (esbuild's CommonJS output) wrap every module the parts share with the
 * rest of the library in a lazily initialised closure: those modules were then parsed twice at load, once
 * as the closure and again when it ran, which cost more than the parts' own evaluation (about 1 M of 44 M
 * instructions of the idempotent handler's own load, measured under valgrind: see docs/benchmark.md).
 */

/** `persistence/dynamodb/transaction`. */
export async function loadTransactions(): Promise<TransactionModule> {
  return transactions;
}

/** `engine/steps`. */
export async function loadSteps(): Promise<StepsModule> {
  return steps;
}
