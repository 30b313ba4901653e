import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_BATCH_WRITES, DEFAULT_COMPRESS_ABOVE_BYTES } from '../defaults';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { createDefaultLogger } from '../logger';
import type { IdempotencyLogger } from '../options';
import { batchGet, WriteBatches, BATCHED_STATEMENTS } from './dynamodb/batch';
import { RecordCodec } from './dynamodb/codec';
import { DYNAMODB_LIMITS } from './dynamodb/limits';
import { SingleRequests } from './dynamodb/requests';
import type { Table } from './dynamodb/table';
import { Transactions } from './dynamodb/transaction';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR, IDEMPOTENCY_TABLE_NAME_ENV } from './schema';
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

/** Options of {@link DynamoDBStore}. */
export interface DynamoDBStoreOptions {
  /**
   * Name of the idempotency table (partition key `keyAttr` of type string, TTL on `ttlAttr`).
   * @default - the value of the environment variable `IDEMPOTENCY_TABLE_NAME` (set by the CDK constructs), read
   * when the store is created or, if it is unset then, on first use: a store created at module level never
   * throws at import, and a first call without the variable fails with `IdempotencyConfigError`
   */
  readonly tableName?: string;
  /**
   * The DynamoDB client to use (inject your own to share connections, add middleware or point at
   * DynamoDB Local).
   * @default - a new `DynamoDBClient` with the SDK's default configuration
   */
  readonly client?: DynamoDBClient;
  /**
   * Partition key attribute of the table.
   * @default 'id'
   */
  readonly keyAttr?: string;
  /**
   * TTL attribute of the table (epoch seconds).
   * @default 'expiration'
   */
  readonly ttlAttr?: string;
  /**
   * Results whose serialised text is longer than this many bytes are stored gzip-compressed.
   * @default 4096
   */
  readonly compressAboveBytes?: number;
  /**
   * Inside `processSqsBatch` and `processStreamBatch`, send the claims (and the plain completions and
   * releases, and in optimistic mode the completed records) that the batch's records make in the same turn of
   * the event loop as one PartiQL `BatchExecuteStatement` of conditional INSERTs (UPDATEs, DELETEs) instead of
   * one request each: the same write units, a fraction of the requests and of the SDK's CPU. Claims (and
   * optimistic records) that meet an existing record read them all with one consistent
   * `BatchGetItem`; any other failed statement (a lost lease, a throttle) is retried alone with the usual
   * single request, which applies every rule; so is the whole group when the request fails. Single calls
   * (`makeIdempotent`, the middleware, HTTP) always send single requests. Needs `dynamodb:PartiQLInsert` and `dynamodb:PartiQLUpdate`, and
   * `dynamodb:PartiQLDelete` for batched releases (the CDK construct grants them); without them the store
   * logs one warning and sends single requests.
   * @default true
   */
  readonly batchWrites?: boolean;
  /**
   * Where the store logs (it warns once if batched writes are refused).
   * @default - JSON lines on stdout at WARN, as the library's default logger
   */
  readonly logger?: IdempotencyLogger;
}

/** The table name the environment gives, if any. */
function tableNameFromEnvironment(): string | undefined {
  const name = process.env[IDEMPOTENCY_TABLE_NAME_ENV];
  return name === undefined || name.length === 0 ? undefined : name;
}

const KNOWN_OPTIONS = new Set(['tableName', 'client', 'keyAttr', 'ttlAttr', 'compressAboveBytes', 'batchWrites', 'logger']);

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
  readonly #transactions: Transactions;
  /** Outbox messages (`publish`) are committed in the completion's transaction, as items of the table. */
  public readonly supportsOutbox = true;
  /** The table name, once known (from the option or the environment variable). */
  #tableName: string | undefined;

  public constructor(options: DynamoDBStoreOptions = {}) {
    for (const name of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(name)) {
        throw new IdempotencyConfigError(`Unknown DynamoDBStore option \`${name}\` (known: ${[...KNOWN_OPTIONS].join(', ')})`);
      }
    }
    if (options.tableName !== undefined && (typeof options.tableName !== 'string' || options.tableName.length === 0)) {
      throw new IdempotencyConfigError(`Expected \`tableName\` to be a non-empty string, got ${describe(options.tableName)}`);
    }
    // Without the option, the environment variable may be set after the module that creates the store is
    // imported (a jest setup file, a test's beforeAll): it is read again on first use.
    this.#tableName = options.tableName ?? tableNameFromEnvironment();
    for (const name of ['keyAttr', 'ttlAttr'] as const) {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
        throw new IdempotencyConfigError(`Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
      }
    }
    const compressAbove = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
    if (!Number.isInteger(compressAbove) || compressAbove < 0) {
      throw new IdempotencyConfigError(
        `Expected \`compressAboveBytes\` to be a whole number of bytes >= 0, got ${describe(options.compressAboveBytes)}`,
      );
    }
    const client = options.client as unknown;
    if (
      client !== undefined &&
      (client === null || typeof client !== 'object' || typeof (client as { send?: unknown }).send !== 'function')
    ) {
      throw new IdempotencyConfigError(
        `Expected \`client\` to be a DynamoDBClient from @aws-sdk/client-dynamodb (an object with send()), got ${describe(client)}`,
      );
    }
    const givenLogger = options.logger as unknown;
    if (
      givenLogger !== undefined &&
      (givenLogger === null ||
        typeof givenLogger !== 'object' ||
        ['debug', 'info', 'warn', 'error'].some((method) => typeof (givenLogger as Record<string, unknown>)[method] !== 'function'))
    ) {
      throw new IdempotencyConfigError(`Expected \`logger\` to have debug, info, warn and error methods, got ${describe(givenLogger)}`);
    }
    this.client = options.client ?? new DynamoDBClient({});
    if (options.batchWrites !== undefined && typeof options.batchWrites !== 'boolean') {
      throw new IdempotencyConfigError(`Expected \`batchWrites\` to be a boolean, got ${describe(options.batchWrites)}`);
    }
    const logger = options.logger ?? createDefaultLogger();
    const store = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the table reads the name resolved on first use
    const table: Table = {
      client: this.client,
      get tableName(): string {
        return store.tableName;
      },
      keyAttr: options.keyAttr ?? DEFAULT_KEY_ATTR,
      ttlAttr: options.ttlAttr ?? DEFAULT_TTL_ATTR,
    };
    const codec = new RecordCodec(table, compressAbove, (keys) => batchGet(table, keys));
    this.#transactions = new Transactions(table, codec, logger);
    this.#requests = new SingleRequests(table, codec, this.#transactions);
    this.#batches = new WriteBatches(
      table,
      codec,
      this.#requests,
      logger,
      (options.batchWrites ?? DEFAULT_BATCH_WRITES) ? BATCHED_STATEMENTS : [],
    );
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
    await this.#unconfigured();
    // The record is gone: claim it anew.
    return (await this.#requests.takeOver(input)) ?? this.claim(input);
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

  public async putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    await this.#unconfigured();
    const batched = this.#batches.putCompleted(input);
    if (batched) return batched;
    // A record met was gone by the time its condition failed: put again.
    return (await this.#requests.putCompleted(input)) ?? this.putCompleted(input);
  }

  public async release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    await this.#unconfigured();
    await (this.#batches.release(input) ?? this.#requests.release(input));
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
