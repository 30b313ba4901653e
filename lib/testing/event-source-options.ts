/**
 * The options of `startLocalEventSource`: what each one means, its default, and their validation into
 * the settings a running event source uses.
 */
import type { SqsEvent } from '../sqs/types';
import { boolean, fn, integerIn, nonEmptyString, positiveNumber, withMethods } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { TestKitConfigError } from './errors';
import { DEFAULT_FUNCTION_NAME } from './lambda-context';
import type { InvocationTarget, LambdaContext, LocalSqsClient } from './lambda-types';
import { queueArnFromUrl } from './sqs-records';

/** Records per invocation when `batchSize` is not given (Lambda's default for SQS). */
export const DEFAULT_BATCH_SIZE = 10;
/** Concurrent polling loops when `pollers` is not given. */
export const DEFAULT_POLLERS = 1;
/**
 * Long-poll duration of each ReceiveMessage, in seconds, when `waitTimeSeconds` is not given. Lambda uses
 * 20; a short wait keeps `idle()` and `stop()` quick in tests.
 */
export const DEFAULT_WAIT_TIME_SECONDS = 1;
/** Function timeout in milliseconds of the emulated invocations when `timeoutMs` is not given. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
/** Whether `batchItemFailures` are honoured when `reportBatchItemFailures` is not given. */
export const DEFAULT_REPORT_BATCH_ITEM_FAILURES = true;
/** Milliseconds `idle()` waits before it rejects, when no `timeoutMs` is given. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Largest batch one ReceiveMessage returns. */
const MAX_RECEIVE_BATCH = 10;

/** What a handler may return; Lambda reads `batchItemFailures` when `reportBatchItemFailures` is on. */
export type LocalEventSourceHandler = (event: SqsEvent, context: LambdaContext) => unknown;

/** Options of {@link startLocalEventSource}. */
export interface LocalEventSourceOptions {
  /** The SQS client to poll with (e.g. the one `startLocalSqs` returns, or one built for its endpoint). */
  readonly client: LocalSqsClient;
  /** The queue to poll. The event's `eventSourceARN` is derived from it. */
  readonly queueUrl: string;
  /** The Lambda handler to invoke with each batch. */
  readonly handler: LocalEventSourceHandler;
  /**
   * Maximum records per invocation (1 to 10: one ReceiveMessage per invocation; the batching window of
   * larger Lambda batches is not emulated).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Number of polling loops running at once (each invokes the handler with its own batches, so up to
   * `pollers` invocations run concurrently, like Lambda's concurrent pollers).
   * @default 1
   */
  readonly pollers?: number;
  /**
   * Long-poll duration of each ReceiveMessage, in seconds (0 to 20). `stop()` waits for running receives,
   * so it takes up to this long.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
  /**
   * Visibility timeout in seconds applied to the received messages (0 to 43200): how long a record that
   * failed stays hidden before it is delivered again.
   * @default - the queue's own visibility timeout
   */
  readonly visibilityTimeout?: number;
  /**
   * Function timeout in milliseconds: the context's `getRemainingTimeInMillis()` counts down from it, and
   * an invocation still running when it is reached counts as failed (nothing is deleted). The handler is
   * not killed: `stop()` waits for it to settle.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /**
   * Whether the handler's `batchItemFailures` are honoured (the event source mapping's
   * `ReportBatchItemFailures` function response type). When `false`, any result means the whole batch
   * succeeded.
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Function name in the context.
   * @default 'local-function'
   */
  readonly functionName?: string;
  /**
   * Region in `awsRegion`, the event source ARN and the function ARN.
   * @default - the region in the queue URL host (`sqs.REGION.…`), else 'us-east-1'
   */
  readonly region?: string;
}

/** The options with their defaults applied and the queue ARN derived: what a running event source uses. */
export interface ResolvedEventSourceOptions extends InvocationTarget {
  readonly client: LocalSqsClient;
  readonly queueUrl: string;
  readonly handler: LocalEventSourceHandler;
  readonly batchSize: number;
  readonly pollers: number;
  readonly waitTimeSeconds: number;
  readonly visibilityTimeout: number | undefined;
  readonly reportBatchItemFailures: boolean;
}

/** Every option of `startLocalEventSource`, declared once. */
const EVENT_SOURCE_OPTIONS = /* @__PURE__ */ defineOptions(
  'startLocalEventSource',
  {
    client: { check: withMethods<LocalSqsClient>(['send'], 'to be an SQSClient'), required: true, doc: 'the SQS client' },
    // Checked with the region that goes with it, by queueArnFromUrl below (its messages name the URL).
    queueUrl: { check: (value: unknown) => value as string, required: true, doc: 'the queue to poll' },
    handler: { check: fn<LocalEventSourceHandler>(), required: true, doc: 'the Lambda handler invoked with each batch' },
    batchSize: { check: integerIn(1, MAX_RECEIVE_BATCH), default: DEFAULT_BATCH_SIZE, doc: 'records per invocation' },
    pollers: { check: integerIn(1, 100), default: DEFAULT_POLLERS, doc: 'concurrent polling loops' },
    waitTimeSeconds: { check: integerIn(0, 20), default: DEFAULT_WAIT_TIME_SECONDS, doc: 'long-poll duration of each ReceiveMessage' },
    visibilityTimeout: { check: integerIn(0, 43_200), doc: 'visibility timeout of received messages' },
    timeoutMs: { check: positiveNumber, default: DEFAULT_HANDLER_TIMEOUT_MS, doc: 'function timeout of the emulated invocations' },
    reportBatchItemFailures: {
      check: boolean,
      default: DEFAULT_REPORT_BATCH_ITEM_FAILURES,
      doc: 'read `batchItemFailures` from the handler',
    },
    functionName: { check: nonEmptyString(), default: DEFAULT_FUNCTION_NAME, doc: 'function name in the Lambda context' },
    region: { check: nonEmptyString(), doc: 'region of the event source ARN' },
  },
  TestKitConfigError,
);
const _eventSourceKeys: SameKeys<LocalEventSourceOptions, typeof EVENT_SOURCE_OPTIONS.spec> = true;

/**
 * Validates the options and applies their defaults.
 * @throws TestKitConfigError naming the option and the value when an option is invalid.
 */
export function resolveEventSourceOptions(options: LocalEventSourceOptions): ResolvedEventSourceOptions {
  const { region: givenRegion, ...values } = EVENT_SOURCE_OPTIONS.resolve(options);
  const { arn: eventSourceArn, region } = queueArnFromUrl(values.queueUrl, givenRegion);
  return { ...values, eventSourceArn, region };
}
