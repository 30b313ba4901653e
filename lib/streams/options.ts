import { ResolvedOptionsCache } from '../batch/options-cache';
import { parseJson } from '../json';
import { boundedSource } from '../batch/source-name';
import { defineBatchOptions, lambdaContext, resolveBatchOptions } from '../batch/validate';
import { fn, positiveInteger } from '../config/checks';
import { engineOptions } from '../config/idempotency';
import type { SameKeys } from '../config/spec';
import { IdempotencyEngine, defaultOperationName } from '../engine';
import { IdempotencyConfigError } from '../errors';
import { sharedDefaultLogger } from '../logger';
import type { Selector } from '../selectors/compile';
import type { IdempotencyLogger, IdempotencyOptions } from '../options';
import type { IdempotencyStore } from '../persistence/store';
import { DEFAULT_KAFKA_CONCURRENCY } from './defaults';
import type {
  DynamoDBImage,
  DynamoDBRecordInfo,
  DynamoDBStreamRecord,
  KafkaRecord,
  KafkaRecordInfo,
  KinesisRecord,
  KinesisRecordInfo,
  StreamLambdaContext,
} from './types';

/** The kinds of stream event {@link processStreamBatch} takes. */
export type StreamKind = 'kinesis' | 'dynamodb' | 'kafka';

/**
 * Options of {@link processStreamBatch} for every kind of stream: the idempotency options (all optional here;
 * without `store` no idempotency applies) plus the batch options.
 *
 * Define them once, at module scope, and pass `{ ...options, context }`: they are validated once and the
 * idempotency engine (with its local cache) is kept for the next invocations. An object literal per call
 * works as well; it is only validated again whenever it holds new values (new functions, for example).
 */
export interface StreamBatchOptionsBase<TRecord, TInfo> extends Omit<
  IdempotencyOptions<[record: TRecord, info: TInfo]>,
  'store' | 'key' | 'name'
> {
  /**
   * Where idempotency records live. With a store each record goes through the idempotency engine: a record
   * whose key completed before is skipped without running the handler (so a batch Lambda delivers again
   * after a failure or a timeout runs only what did not finish), one still in progress elsewhere fails.
   * @default - none: records are processed without idempotency (and idempotency options are refused)
   */
  readonly store?: IdempotencyStore;
  /**
   * What identifies a logical event: a function of `(record, info)` (`info` is what the handler receives),
   * or a JMESPath expression on the record. A business key (an order id) also catches an event its producer
   * sent twice, which the stream holds as two records.
   * @default - the record's `eventID` (Kinesis: `<shard id>:<sequence number>`; DynamoDB Streams: the
   * change's unique id); `<topic>-<partition>-<offset>` for Kafka
   */
  readonly key?: Selector<[record: TRecord, info: TInfo]>;
  /**
   * The operation's namespace inside the key. Set it to share records between streams or clusters (or
   * functions), or to keep them when a stream, table or cluster is replaced.
   * @default - from the event: `<AWS_LAMBDA_FUNCTION_NAME or "local">.kinesis.<stream name>`,
   * `….dynamodb.<table name>`, and for Kafka `….kafka.<MSK cluster ARN>` (Amazon MSK: Region, account, name
   * and UUID) or `….kafka.<bootstrap servers>` (self-managed: trimmed, in lower case, sorted, comma-separated).
   * A part longer than 256 bytes is shortened to its first characters and its SHA-256.
   */
  readonly name?: string;
  /**
   * The Lambda context: its remaining time bounds the idempotency lease of each record (unless
   * `leaseSeconds` is set).
   * @default - none: leases last `leaseSeconds`, else 60 seconds
   */
  readonly context?: StreamLambdaContext;
}

/** Options of {@link processStreamBatch} for a Kinesis event. */
export interface KinesisBatchOptions<TData = unknown> extends StreamBatchOptionsBase<KinesisRecord, KinesisRecordInfo<TData>> {
  /**
   * Turns a record's data (base64-decoded, read as UTF-8) into the `data` the handler receives. A record
   * whose data it cannot parse (it throws) fails like a record whose handler throws. For binary data, decode
   * `record.kinesis.data` yourself from the second argument.
   * @default - `JSON.parse`, with numbers kept exact (an integer beyond 2^53 as a `bigint`, a decimal a `number`
   * does not hold as a `NumberValue`; see docs)
   */
  readonly parse?: (text: string, record: KinesisRecord) => TData;
}

/** Options of {@link processStreamBatch} for a DynamoDB Streams event (images are unmarshalled, never parsed). */
export type DynamoDBStreamBatchOptions<TImage = DynamoDBImage> = StreamBatchOptionsBase<DynamoDBStreamRecord, DynamoDBRecordInfo<TImage>>;

/** Options of {@link processStreamBatch} for a Kafka event (Amazon MSK or self-managed). */
export interface KafkaBatchOptions<TValue = unknown> extends StreamBatchOptionsBase<KafkaRecord, KafkaRecordInfo<TValue>> {
  /**
   * Turns a record's value (base64-decoded, read as UTF-8) into the `value` the handler receives; not called
   * for a record without a value. A value it cannot parse (it throws) fails the record like a handler that
   * throws. For binary values, decode `record.value` yourself from the second argument.
   * @default - `JSON.parse`, with numbers kept exact (an integer beyond 2^53 as a `bigint`, a decimal a `number`
   * does not hold as a `NumberValue`; see docs)
   */
  readonly parse?: (text: string, record: KafkaRecord) => TValue;
  /**
   * How many partitions of the batch run at once (each runs its records one at a time, in offset order).
   * @default 10
   */
  readonly concurrency?: number;
}

/** Options of any kind, as the implementation sees them. */
export type AnyStreamBatchOptions = KinesisBatchOptions<unknown> | DynamoDBStreamBatchOptions<unknown> | KafkaBatchOptions<unknown>;

/** The arguments an engine's key and fingerprint selectors receive. */
export type StreamArgs = [record: unknown, info: unknown];

type Engine = IdempotencyEngine<StreamArgs, unknown>;

/** Options validated once, with the engines built from them. */
export interface ResolvedStreamOptions {
  readonly logger: IdempotencyLogger;
  readonly parse: (text: string, record: unknown) => unknown;
  readonly concurrency: number;
  /**
   * The engine for records of `source` (a stream, a table, a cluster), or `undefined` without a store.
   * @throws IdempotencyConfigError when the default name is needed and `source` is `undefined` (a Kafka
   *   event naming no cluster)
   */
  engineFor(kind: StreamKind, source: string | undefined): Engine | undefined;
}

function jsonParse(text: string): unknown {
  return parseJson(text);
}

/** Every option of `processStreamBatch`, declared once: the idempotency options, then the batch's own. */
export const STREAM_OPTIONS = /* @__PURE__ */ defineBatchOptions('processStreamBatch', {
  context: { check: lambdaContext, doc: 'the Lambda context: its remaining time bounds leases' },
  parse: { check: fn<(text: string, record: unknown) => unknown>(), default: jsonParse, doc: "turns a Kafka record's value into `value`" },
  concurrency: { check: positiveInteger, default: DEFAULT_KAFKA_CONCURRENCY, doc: 'Kafka partitions at once' },
} as const);
const _streamKeys: SameKeys<KafkaBatchOptions, typeof STREAM_OPTIONS.spec> = true;

/** The default key of each kind: what the event source itself identifies the record by. */
const DEFAULT_KEYS: Readonly<Record<StreamKind, (args: StreamArgs) => unknown>> = {
  kinesis: ([record]) => (record as KinesisRecord).eventID,
  dynamodb: ([record]) => (record as DynamoDBStreamRecord).eventID,
  kafka: ([record]) => {
    const { topic, partition, offset } = record as KafkaRecord;
    return `${topic}-${partition}-${offset}`;
  },
};

function resolve(options: AnyStreamBatchOptions): ResolvedStreamOptions {
  const values = resolveBatchOptions(options, STREAM_OPTIONS);
  const store = values.store;
  const engines = new Map<string, Engine>();
  return {
    logger: values.logger ?? sharedDefaultLogger(),
    parse: values.parse,
    concurrency: values.concurrency,
    engineFor(kind, source) {
      if (store === undefined) return undefined;
      if (values.name === undefined && source === undefined) {
        throw new IdempotencyConfigError(
          `processStreamBatch cannot tell which Kafka cluster the event comes from: it has no eventSourceArn (Amazon MSK) and no bootstrapServers (self-managed Kafka), which the default \`name\` is made of. Pass the event as Lambda delivers it, or set \`name\``,
        );
      }
      const name = values.name ?? defaultOperationName(`${kind}.${boundedSource(source ?? '')}`);
      const cacheKey = `${kind}\u0000${name}`;
      let engine = engines.get(cacheKey);
      if (!engine) {
        const resolved = engineOptions<StreamArgs>({ ...values, store }, name, values.key ?? DEFAULT_KEYS[kind]);
        engine = new IdempotencyEngine<StreamArgs, unknown>(resolved);
        engines.set(cacheKey, engine);
      }
      return engine;
    },
  };
}

const cache = /* @__PURE__ */ new ResolvedOptionsCache<AnyStreamBatchOptions, ResolvedStreamOptions>(resolve);

/**
 * The resolved options for `options`: the same object as before, or an object with the same values as one
 * seen recently, skips validation and keeps its engines (and their local caches).
 */
export function resolvedStreamOptions(options: AnyStreamBatchOptions): ResolvedStreamOptions {
  return cache.get(options);
}
