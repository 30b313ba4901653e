/**
 * The store's transactions (`commitWith`, the kill switch's `commitWrites`) behind the same two methods, with
 * `transaction.ts` (and the guards and outbox code it reaches) loaded and made on the first commit: a handler
 * that never stages writes never evaluates it.
 */
import { loadTransactions } from '../../lazy-parts';
import type { IdempotencyLogger } from '../../options';
import type { RecordCodec } from './codec';
import type { Table } from './table';
import type { Transactions } from './transaction';

/** What the store and its single requests call on the transactions. */
export type TransactionCalls = Pick<Transactions, 'commit' | 'commitWrites'>;

/** {@link Transactions} made on the first call of either method. A failed load is not kept: the next call tries again. */
export function lazyTransactions(table: Table, codec: RecordCodec, logger: IdempotencyLogger): TransactionCalls {
  let made: Promise<Transactions> | undefined;
  const transactions = (): Promise<Transactions> =>
    (made ??= loadTransactions().then(
      (module) => new module.Transactions(table, codec, logger),
      (error: unknown) => {
        made = undefined;
        throw error;
      },
    ));
  return {
    commit: async (...args) => (await transactions()).commit(...args),
    commitWrites: async (...args) => (await transactions()).commitWrites(...args),
  };
}
