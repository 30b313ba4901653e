import { ResolvedOptionsCache } from '../batch/options-cache';
import { parseJson } from '../json';
import { defineBatchOptions, lambdaContext, resolveBatchOptions } from '../batch/validate';
import { atLeast, atMost, fn, oneOf, positiveInteger, satisfies, withMethods } from '../config/checks';
import { engineOptions, type ResolvedIdempotencyValues } from '../config/idempotency';
import { defineOptions, type At, type Check, type Resolved, type SameKeys } from '../config/spec';
import { IdempotencyEngine, defaultOperationName } from '../engine';
import { IdempotencyConfigError } from '../errors';
import { boundedSource } from '../batch/source-name';
import type { Selector } from '../selectors/compile';
import { sharedDefaultLogger } from '../logger';
import type { IdempotencyLogger, IdempotencyOptions } from '../options';
import type { IdempotencyStore } from '../persistence/store';
import {
  DEFAULT_FIFO_ON_FAILURE,
  DEFAULT_SQS_CONCURRENCY,
  DEFAULT_VISIBILITY_EXTEND_BY_SECONDS,
  DEFAULT_VISIBILITY_EXTEND_WHEN_REMAINING_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
} from './defaults';
import type { SqsClientLike, SqsLambdaContext, SqsRecord, SqsRecordSource } from './types';

/** What the record handler (and a `key` or `fingerprint` function) learns about the record besides itself. */
export interface SqsRecordInfo<TBody> {
  /** The body, parsed by `parse` (JSON by default). */
  readonly body: TBody;
  /** The record's `messageId` (what `batchItemFailures` reports). */
  readonly messageId: string;
  /** How many times SQS delivered this message, this delivery included (`ApproximateReceiveCount`). */
  readonly attempt: number;
}

/** The arguments an idempotency `key` or `fingerprint` function receives for each record. */
export type SqsIdempotencyArgs<TBody> = [record: SqsRecord, info: SqsRecordInfo<TBody>];

/** Processes one record. Throwing (or rejecting) reports the record failed, so SQS delivers it again. */
export type SqsRecordHandler<TBody, TResult> = (record: SqsRecord, info: SqsRecordInfo<TBody>) => Promise<TResult> | TResult;

/** What a FIFO batch does after a record fails. */
export type FifoOnFailure = 'skip-group' | 'stop';

/** The `visibility` option of {@link SqsBatchOptions}. */
export interface SqsVisibilityOptions {
  /** The SQS client the extensions are sent with (your `SQSClient` from `@aws-sdk/client-sqs`). */
  readonly client: SqsClientLike;
  /**
   * Visibility timeout each extension sets on the in-flight messages, in seconds from the extension (2 to
   * 43200). The first extension is sent when the batch starts.
   * @default 60
   */
  readonly extendBySeconds?: number;
  /**
   * The next extension is sent when this many seconds of the last one remain, i.e. every
   * `extendBySeconds - extendWhenRemainingSeconds` seconds; must be less than `extendBySeconds`. Also how
   * early an explicit `leaseSeconds` lease is renewed.
   * @default - 20, or half of `extendBySeconds` when that is less
   */
  readonly extendWhenRemainingSeconds?: number;
  /**
   * The URL of the queue the batch comes from, for endpoints whose URLs are not AWS's (an emulator such as
   * fauxqs or LocalStack, a custom domain).
   * @default - derived from the records' `eventSourceARN`: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`
   * (`amazonaws.com.cn` in China Regions)
   */
  readonly queueUrl?: string;
}

/**
 * Options of {@link processSqsBatch}: the idempotency options (all optional here; without `store` no
 * idempotency applies) plus the batch options.
 *
 * Define them once, at module scope, and pass `{ ...options, context }`: they are validated once and the
 * idempotency engine (with its local cache) is kept for the next invocations. An object literal per call
 * works as well; it is only validated again whenever it holds new values (new functions, for example).
 */
export interface SqsBatchOptions<TBody = unknown> extends Omit<
  IdempotencyOptions<SqsIdempotencyArgs<TBody>>,
  'store' | 'key' | 'name' | 'fingerprint'
> {
  /**
   * Where idempotency records live. With a store each record goes through the idempotency engine: a record
   * whose key completed before is acknowledged without running the handler, one still in progress elsewhere
   * is reported failed (SQS delivers it again later), two records of one batch with the same key run once.
   * @default - none: records are processed without idempotency (and idempotency options are refused)
   */
  readonly store?: IdempotencyStore;
  /**
   * What identifies a logical event: a function of `(record, { body, messageId, attempt })`, or a JMESPath
   * expression on the record whose `body` is the parsed body (what `parse` returned, as the handler gets it):
   * `'body.orderId'` is the `orderId` of a JSON body, `'messageAttributes.orderId.stringValue'` a message
   * attribute. A function receives the record as SQS delivered it (its `body` the raw text). Prefer a business
   * key (an order id, a payment id): producers that send an event twice give each copy a new `messageId`
   * (and, on FIFO queues, usually a new deduplication id), and SQS deduplicates FIFO messages for five
   * minutes only.
   * @default - `attributes.MessageDeduplicationId` on FIFO queues (ARN ending in `.fifo`), else `messageId`
   */
  readonly key?: Selector<SqsIdempotencyArgs<TBody>>;
  /**
   * Payload fields that must match on a replay: a function of `(record, { body, messageId, attempt })`, or a
   * JMESPath expression on the record whose `body` is the parsed body, as for `key` (`'body.amountCents'`,
   * `'[body.customerId, body.amountCents]'`). A record with a completed key and another fingerprint is
   * reported failed (`IdempotencyPayloadMismatchError`).
   * @default - no fingerprint check
   */
  readonly fingerprint?: Selector<SqsIdempotencyArgs<TBody>>;
  /**
   * The operation's namespace inside the key.
   * @default - `<AWS_LAMBDA_FUNCTION_NAME or "local">.sqs.<queue name from eventSourceARN>`
   */
  readonly name?: string;
  /**
   * The Lambda context: its remaining time bounds the idempotency lease of each record (unless
   * `leaseSeconds` is set) and of a lease extension.
   * @default - none: leases last `leaseSeconds`, else 60 seconds
   */
  readonly context?: SqsLambdaContext;
  /**
   * Turns a record's body into the `body` the handler (and a key function) receives. A body it cannot
   * parse (it throws) fails that record only, with the error logged; the rest of the batch goes on.
   * @default - `JSON.parse`, with numbers kept exact (an integer beyond 2^53 as a `bigint`, a decimal a `number`
   * does not hold as a `NumberValue`; see docs)
   */
  readonly parse?: (body: string, record: SqsRecord) => TBody;
  /**
   * How many records run at once on a standard queue, and how many message groups at once on a FIFO queue.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * FIFO queues: `'skip-group'` reports every later record of a failed record's message group failed
   * without running it (other groups go on); `'stop'` starts nothing more after the first failure and
   * reports the failed record and every record not processed failed (records already running in other
   * groups finish and are reported by their own outcome). Ignored on standard queues.
   * @default 'skip-group'
   */
  readonly fifoOnFailure?: FifoOnFailure;
  /**
   * For handlers that may outlive the messages' visibility timeout: while the batch runs, extends the
   * visibility timeout of its unfinished messages (`ChangeMessageVisibilityBatch`, queue URL derived from
   * `eventSourceARN`; needs `@aws-sdk/client-sqs`, loaded only then) and renews an explicit `leaseSeconds`
   * lease of the running records before it ends. Both stop when the batch is done.
   * @default - none: no extension
   */
  readonly visibility?: SqsVisibilityOptions;
}

const VISIBILITY = /* @__PURE__ */ defineOptions(
  'visibility',
  {
    client: {
      check: withMethods<SqsClientLike>(['send'], 'to be an SQSClient (an object with a send method)'),
      required: true,
      doc: 'the SQS client the extensions are sent with',
    },
    extendBySeconds: {
      check: atLeast(
        atMost(positiveInteger, MAX_VISIBILITY_TIMEOUT_SECONDS, "SQS's largest visibility timeout"),
        2,
        'an extension must be sent before the last one runs out',
      ),
      default: DEFAULT_VISIBILITY_EXTEND_BY_SECONDS,
      doc: 'visibility timeout each extension sets',
    },
    extendWhenRemainingSeconds: { check: positiveInteger, doc: 'when the next extension is sent' },
    queueUrl: {
      check: satisfies<string>(
        'to be a queue URL (http(s)://HOST/ACCOUNT/NAME)',
        (value) => typeof value === 'string' && /^https?:\/\/[^/]+\/.+/.test(value),
      ),
      doc: "the queue's URL, for endpoints that are not AWS's",
    },
  },
  IdempotencyConfigError,
);
const _visibilityKeys: SameKeys<SqsVisibilityOptions, typeof VISIBILITY.spec> = true;

/** `visibility` resolved: defaults applied. */
export type ResolvedVisibility = Resolved<typeof VISIBILITY.spec> & { readonly extendWhenRemainingSeconds: number };

const visibility: Check<ResolvedVisibility> = (value: unknown, at: At) => {
  if (value === null || typeof value !== 'object') at.refuse('to be an object with a `client`', value);
  const values = VISIBILITY.resolve(value, at.path);
  const whenRemaining =
    values.extendWhenRemainingSeconds ?? Math.min(DEFAULT_VISIBILITY_EXTEND_WHEN_REMAINING_SECONDS, Math.floor(values.extendBySeconds / 2));
  if (whenRemaining >= values.extendBySeconds) {
    throw new IdempotencyConfigError(
      `Expected \`visibility.extendWhenRemainingSeconds\` (${whenRemaining}) to be less than \`visibility.extendBySeconds\` (${values.extendBySeconds})`,
    );
  }
  return Object.freeze({ ...values, extendWhenRemainingSeconds: whenRemaining });
};

function jsonParse(body: string): unknown {
  return parseJson(body);
}

/** The batch options of `processSqsBatch`, on top of the idempotency options. */
const SQS_OWN_SPEC = {
  context: { check: lambdaContext, doc: 'the Lambda context: its remaining time bounds leases' },
  parse: { check: fn<(body: string, record: SqsRecord) => unknown>(), default: jsonParse, doc: "turns a record's body into `body`" },
  concurrency: { check: positiveInteger, default: DEFAULT_SQS_CONCURRENCY, doc: 'records (standard) or message groups (FIFO) at once' },
  fifoOnFailure: {
    check: oneOf(['skip-group', 'stop']),
    default: DEFAULT_FIFO_ON_FAILURE as FifoOnFailure,
    doc: 'what a FIFO batch does after a record fails',
  },
  visibility: { check: visibility, doc: 'extends the visibility timeout of unfinished messages' },
} as const;

/** Every option of `processSqsBatch`, declared once. */
export const SQS_OPTIONS = /* @__PURE__ */ defineBatchOptions('processSqsBatch', SQS_OWN_SPEC);
const _sqsKeys: SameKeys<SqsBatchOptions, typeof SQS_OPTIONS.spec> = true;

type Engine = IdempotencyEngine<SqsIdempotencyArgs<unknown>, unknown>;

/** Options validated once, with the engines built from them (one per queue when the name is the default). */
export interface ResolvedSqsOptions {
  readonly logger: IdempotencyLogger;
  readonly parse: (body: string, record: SqsRecord) => unknown;
  readonly concurrency: number;
  readonly fifoOnFailure: FifoOnFailure;
  readonly visibility: ResolvedVisibility | undefined;
  /** The engine for records of `queueName`, or `undefined` without a store. */
  engineFor(source: SqsRecordSource): Engine | undefined;
}

type Select = (args: SqsIdempotencyArgs<unknown>) => unknown;

/**
 * A `key` or `fingerprint` as the engine gets it: a JMESPath string (compiled by the check) is evaluated on the
 * record with `body` replaced by the parsed body, so the same expressions work; a function is kept as it is.
 */
function onParsedBody(given: unknown, compiled: ((args: unknown[]) => unknown) | undefined): Select | undefined {
  if (compiled === undefined || typeof given !== 'string') return compiled;
  return ([record, info]) => compiled([{ ...record, body: info.body }]);
}

/** The default key: what SQS itself identifies the message by. */
function defaultKey(fifo: boolean): Select {
  return fifo ? ([record]) => record.attributes?.MessageDeduplicationId : ([record]) => record.messageId;
}

/** Validates the options (once per distinct options) and sets up the engines. */
function resolve(options: SqsBatchOptions<unknown>): ResolvedSqsOptions {
  const values = resolveBatchOptions(options, SQS_OPTIONS);
  const key = onParsedBody(options.key, values.key);
  const fingerprint = onParsedBody(options.fingerprint, values.fingerprint);
  const store = values.store;
  const engines = new Map<string, Engine>();
  return {
    logger: values.logger ?? sharedDefaultLogger(),
    parse: values.parse,
    concurrency: values.concurrency,
    fifoOnFailure: values.fifoOnFailure,
    visibility: values.visibility,
    engineFor({ queueName, fifo }) {
      if (store === undefined) return undefined;
      const name = values.name ?? defaultOperationName(`sqs.${boundedSource(queueName)}`);
      const cacheKey = `${fifo ? 'fifo' : 'standard'}\u0000${name}`;
      let engine = engines.get(cacheKey);
      if (!engine) {
        const resolved = engineOptions<SqsIdempotencyArgs<unknown>>(
          { ...values, store, fingerprint } as ResolvedIdempotencyValues,
          name,
          key ?? defaultKey(fifo),
        );
        engine = new IdempotencyEngine<SqsIdempotencyArgs<unknown>, unknown>(resolved);
        engines.set(cacheKey, engine);
      }
      return engine;
    },
  };
}

const cache = /* @__PURE__ */ new ResolvedOptionsCache<SqsBatchOptions<unknown>, ResolvedSqsOptions>(resolve);

/**
 * The resolved options for `options`: the same object as before, or an object with the same values as one
 * seen recently, skips validation and keeps its engines (and their local caches).
 */
export function resolvedSqsOptions(options: SqsBatchOptions<unknown>): ResolvedSqsOptions {
  return cache.get(options);
}
