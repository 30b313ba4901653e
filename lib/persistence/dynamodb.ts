import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfigError } from '../errors';
import { createDefaultLogger } from '../logger';
import { currentWriteBatch, inWriteBatch, type WriteBatch } from './coalesce';
import { batchGet, WriteBatches, BATCHED_STATEMENTS } from './dynamodb/batch';
import { RecordCodec } from './dynamodb/codec';
import { DYNAMODB_LIMITS } from './dynamodb/limits';
import { SingleRequests } from './dynamodb/requests';
import type { Table } from './dynamodb/table';
import { lazyTransactions, type TransactionCalls } from './dynamodb/lazy-transactions';
import { DYNAMODB_STORE_OPTIONS, type DynamoDBStoreOptions } from './dynamodb/options';
import { IDEMPOTENCY_TABLE_NAME_ENV } from './schema';

export type { DynamoDBStoreOptions } from './dynamodb/options';
import type {
  ClaimInput,
  ClaimResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
  CheckpointInput,
  CommitWritesInput,
  LeaseExtension,
  StoreLimits,
} from './store';

/** The table name the environment gives, if any. */
function tableNameFromEnvironment(): string | undefined {
  const name = process.env[IDEMPOTENCY_TABLE_NAME_ENV];
  return name === undefined || name.length === 0 ? undefined : name;
}

/**
 * The DynamoDB persistence layer. Every write is conditional on the record's status and lease token, on the
 * low-level client; a single write whose condition fails returns the stored item
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the happy paths need no extra read. Writes of a
 * batch made in one turn of the event loop may share one request (`batchWrites`).
 *
 * This class validates the options and routes each call; the work is done by the modules under
 * `dynamodb/`: `requests` (one conditional request per call), `batch` (claims, completions and releases
 * made in one turn of a write-batching scope, and optimistic records, sent together as PartiQL), `partiql` (quoting for its statements),
 * `transaction` (`commitWith` and the kill switch's `commitWrites`), `codec` (the stored record),
 * `conditions` (every ConditionExpression) and `table` (the table, its attribute names and the error a
 * failed request becomes).
 */
export class DynamoDBStore implements IdempotencyStore {
  /** The client in use. */
  public readonly client: DynamoDBClient;
  /**
   * What the table can hold: a result of at most `maxResultBytes` (about 4 MB: a completion is one
   * transaction, 4 MB at most, and a result that does not compress must fit), 256 KiB of step results per
   * record, 400 KB per staged write (DynamoDB's item limit) and 4 MB per completion in all.
   */
  public readonly limits: StoreLimits = DYNAMODB_LIMITS;
  readonly #requests: SingleRequests;
  readonly #batches: WriteBatches;
  readonly #transactions: TransactionCalls;
  /** Outbox messages (`publish`) are committed in the completion's transaction, as items of the table. */
  public readonly supportsOutbox = true;
  /** The table name, once known (from the option or the environment variable). */
  #tableName: string | undefined;

  public constructor(options: DynamoDBStoreOptions = {}) {
    const resolved = DYNAMODB_STORE_OPTIONS.resolve(options);
    // Without the option, the environment variable may be set after the module that creates the store is
    // imported (a jest setup file, a test's beforeAll): it is read again on first use.
    this.#tableName = resolved.tableName ?? tableNameFromEnvironment();
    this.client = resolved.client ?? new DynamoDBClient({});
    const logger = resolved.logger ?? createDefaultLogger();
    const store = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the table reads the name resolved on first use
    const table: Table = {
      client: this.client,
      get tableName(): string {
        return store.tableName;
      },
      keyAttr: resolved.keyAttr,
      ttlAttr: resolved.ttlAttr,
    };
    const codec = new RecordCodec(table, resolved.compressAboveBytes, (keys) => batchGet(table, keys));
    this.#transactions = lazyTransactions(table, codec, logger);
    this.#requests = new SingleRequests(table, codec, this.#transactions);
    this.#batches = new WriteBatches(table, codec, this.#requests, logger, resolved.batchWrites ? BATCHED_STATEMENTS : []);
  }

  /**
   * Name of the table.
   * @throws IdempotencyConfigError when no `tableName` was given and `IDEMPOTENCY_TABLE_NAME` is not set.
   */
  public get tableName(): string {
    this.#tableName ??= tableNameFromEnvironment();
    if (this.#tableName === undefined) {
      throw new IdempotencyConfigError(
        `DynamoDBStore has no table name: set the environment variable ${IDEMPOTENCY_TABLE_NAME_ENV} (the CDK constructs set it ` +
          'on the function; in tests, set it in a jest setup file) or pass `tableName` to new DynamoDBStore()',
      );
    }
    return this.#tableName;
  }

  /** Rejects with the missing table name's error, if the name is still unknown. */
  #unconfigured(): Promise<never> | undefined {
    try {
      void this.tableName;
      return undefined;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  public claim(input: ClaimInput): Promise<ClaimResult> {
    return this.#unconfigured() ?? this.#batches.claim(input) ?? this.#requests.claim(input);
  }

  public async takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult> {
    const scope = currentWriteBatch();
    await this.#unconfigured();
    // The record is gone: claim it anew (in the caller's write-batching scope, as the call began in).
    return (await this.#requests.takeOver(input)) ?? inWriteBatch(scope, () => this.claim(input));
  }

  public async checkpoint(input: CheckpointInput): Promise<void> {
    await this.#unconfigured();
    await this.#requests.checkpoint(input);
  }

  public async extendLease(input: LeaseExtension): Promise<void> {
    await this.#unconfigured();
    await this.#requests.extendLease(input);
  }

  public complete(input: CompleteInput): Promise<void> {
    return this.#unconfigured() ?? this.#batches.complete(input) ?? this.#requests.complete(input);
  }

  public putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    // The batch is chosen before any `await`: the write-batching scope is the call's synchronous span.
    return this.#unconfigured() ?? this.#batches.putCompleted(input) ?? this.#putAlone(input, currentWriteBatch());
  }

  async #putAlone(
    input: CompleteInput,
    scope: WriteBatch | undefined,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    // A record met was gone by the time its condition failed: put again.
    return (await this.#requests.putCompleted(input)) ?? inWriteBatch(scope, () => this.putCompleted(input));
  }

  public release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    return this.#unconfigured() ?? this.#batches.release(input) ?? this.#requests.release(input);
  }

  /**
   * Commits `commitWith` writes alone, in one transaction and without a record: only for invocations that
   * `EFFECTIVELY_ONCE_DISABLED=true` runs without idempotency.
   */
  public async commitWrites(input: CommitWritesInput): Promise<void> {
    await this.#unconfigured();
    await this.#transactions.commitWrites(input.label, input.writes, input.messages);
  }

  public get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return this.#unconfigured() ?? this.#requests.get(key, now);
  }
}
