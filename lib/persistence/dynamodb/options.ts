/** The options of `DynamoDBStore`, declared once. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { boolean, nonEmptyString, satisfies, withMethods } from '../../config/checks';
import { defineOptions, type SameKeys } from '../../config/spec';
import { DEFAULT_BATCH_WRITES, DEFAULT_COMPRESS_ABOVE_BYTES } from '../../defaults';
import { IdempotencyConfigError } from '../../errors';
import type { IdempotencyLogger } from '../../logger';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR } from '../schema';

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

/** Every option of `DynamoDBStore`: its check, its default, one line of docs. */
export const DYNAMODB_STORE_OPTIONS = /* @__PURE__ */ defineOptions(
  'DynamoDBStore',
  {
    tableName: { check: nonEmptyString(), doc: 'the table' },
    client: {
      check: withMethods<DynamoDBClient>(['send'], 'to be a DynamoDBClient from @aws-sdk/client-dynamodb (an object with send())'),
      doc: 'the DynamoDB client',
    },
    keyAttr: { check: nonEmptyString(), default: DEFAULT_KEY_ATTR, doc: 'partition key attribute' },
    ttlAttr: { check: nonEmptyString(), default: DEFAULT_TTL_ATTR, doc: 'TTL attribute (epoch seconds)' },
    compressAboveBytes: {
      check: satisfies<number>('to be a whole number of bytes >= 0', (value) => Number.isInteger(value) && (value as number) >= 0),
      default: DEFAULT_COMPRESS_ABOVE_BYTES,
      doc: 'results above this are stored gzip-compressed',
    },
    batchWrites: { check: boolean, default: DEFAULT_BATCH_WRITES, doc: 'concurrent writes of a batch share requests' },
    logger: {
      check: withMethods<IdempotencyLogger>(['debug', 'info', 'warn', 'error'], 'to have debug, info, warn and error methods'),
      doc: 'where the store warns',
    },
  },
  IdempotencyConfigError,
);
const _dynamoDBStoreKeys: SameKeys<DynamoDBStoreOptions, typeof DYNAMODB_STORE_OPTIONS.spec> = true;
