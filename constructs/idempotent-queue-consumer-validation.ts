/**
 * Internal: the synth-time checks of {@link IdempotentQueueConsumer}'s props, and the settings they
 * resolve (defaults applied). Errors are `ConstructValidationError`s naming the values they saw; warnings
 * are CDK annotations with the IDs of `CONSUMER_WARNINGS`.
 */
import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_FIFO,
  DEFAULT_FUNCTION_TIMEOUT,
  DEFAULT_IDEMPOTENCY_RETENTION,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD,
  DEFAULT_QUEUE_RETENTION,
  LAMBDA_SERVICE_DEFAULT_TIMEOUT,
  MAX_BATCH_SIZE_WITH_WINDOW,
  MAX_BATCH_SIZE_WITHOUT_WINDOW,
  MAX_BATCHING_WINDOW,
  MAX_MAX_CONCURRENCY,
  MAX_MAX_RECEIVE_COUNT,
  MAX_MINIMUM_PROVISIONED_POLLERS,
  MAX_PROVISIONED_POLLERS,
  MAX_QUEUE_RETENTION,
  MAX_VISIBILITY_TIMEOUT,
  MIN_MAX_CONCURRENCY,
  MIN_PROVISIONED_POLLERS,
  MIN_QUEUE_RETENTION,
  VISIBILITY_TIMEOUT_MULTIPLIER,
} from './defaults';
import { ConstructValidationError, describeDuration as describe } from './errors';
import { CONSUMER_WARNINGS } from './idempotent-queue-consumer-props';
import type { IdempotentQueueConsumerProps, ProvisionedPollers } from './idempotent-queue-consumer-props';

/** The consumer's settings once its props are checked and the defaults applied. */
export interface ConsumerSettings {
  readonly fifo: boolean;
  /** The function timeout: always set with `entry`; unknown for an imported handler without `timeout`. */
  readonly functionTimeout: Duration | undefined;
  readonly visibilityTimeout: Duration;
  readonly batchSize: number;
  readonly maxReceiveCount: number;
  readonly retentionPeriod: Duration;
  readonly idempotencyRetention: Duration;
  readonly oldestMessageAgeAlarmThreshold: Duration;
}

/** Checks every prop before anything is created; throws on the first broken rule, warns on risky values. */
export function resolveConsumerSettings(scope: Construct, props: IdempotentQueueConsumerProps): ConsumerSettings {
  if (props.handler !== undefined && props.entry !== undefined) {
    throw new ConstructValidationError(scope, 'handler', 'exactly one of handler and entry must be set, got both');
  }
  if (props.handler === undefined && props.entry === undefined) {
    throw new ConstructValidationError(scope, 'handler', 'exactly one of handler and entry must be set, got neither');
  }
  const fifo = props.fifo ?? DEFAULT_FIFO;
  if (typeof fifo !== 'boolean') {
    throw new ConstructValidationError(scope, 'fifo', `fifo must be true or false, got the ${typeof fifo} ${JSON.stringify(fifo)}`);
  }
  const functionTimeout = resolveFunctionTimeout(scope, props);
  const visibilityTimeout = resolveVisibilityTimeout(scope, props, functionTimeout);
  validateEventSource(scope, props, fifo);
  const maxReceiveCount = validateMaxReceiveCount(scope, props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT);
  const retentionPeriod = validateRetention(scope, props.retentionPeriod ?? DEFAULT_QUEUE_RETENTION);
  if (props.deadLetterQueue !== undefined) validateDeadLetterQueueKind(scope, props.deadLetterQueue, fifo);
  return {
    fifo,
    functionTimeout,
    visibilityTimeout,
    batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
    maxReceiveCount,
    retentionPeriod,
    idempotencyRetention: positiveDuration(scope, 'idempotencyRetention', props.idempotencyRetention ?? DEFAULT_IDEMPOTENCY_RETENTION),
    oldestMessageAgeAlarmThreshold: positiveDuration(
      scope,
      'oldestMessageAgeAlarmThreshold',
      props.oldestMessageAgeAlarmThreshold ?? DEFAULT_OLDEST_MESSAGE_AGE_ALARM_THRESHOLD,
    ),
  };
}

/** Warns when idempotency records expire before the messages that could duplicate them. */
export function warnIfIdempotencyRetentionShort(scope: Construct, idempotencyRetention: Duration, queueRetention: Duration): void {
  if (idempotencyRetention.isUnresolved() || queueRetention.isUnresolved()) return;
  if (idempotencyRetention.toMilliseconds() < queueRetention.toMilliseconds()) {
    Annotations.of(scope).addWarningV2(
      CONSUMER_WARNINGS.idempotencyRetentionShort,
      `idempotencyRetention (${describe(idempotencyRetention)}) is shorter than the queue's retentionPeriod ` +
        `(${describe(queueRetention)}): a duplicate that waits in the queue longer than the records are kept is ` +
        'processed again; raise expiresAfterSeconds in the handler and idempotencyRetention here, or shorten retentionPeriod',
    );
  }
}

function resolveFunctionTimeout(scope: Construct, props: IdempotentQueueConsumerProps): Duration | undefined {
  const handler = props.handler;
  if (handler === undefined) return props.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  if (!(handler instanceof lambda.Function)) return props.timeout;
  const own = handler.timeout ?? LAMBDA_SERVICE_DEFAULT_TIMEOUT;
  if (props.timeout !== undefined && !props.timeout.isUnresolved() && !own.isUnresolved()) {
    if (props.timeout.toMilliseconds() !== own.toMilliseconds()) {
      throw new ConstructValidationError(
        scope,
        'timeout',
        `timeout (${describe(props.timeout)}) differs from the handler's own timeout (${describe(own)}); omit timeout when handler is a lambda.Function`,
      );
    }
  }
  return own;
}

function resolveVisibilityTimeout(scope: Construct, props: IdempotentQueueConsumerProps, functionTimeout: Duration | undefined): Duration {
  const given = props.visibilityTimeout;
  if (given === undefined) {
    if (functionTimeout === undefined) {
      throw new ConstructValidationError(
        scope,
        'timeout',
        'the timeout of an imported handler cannot be read: pass timeout (or visibilityTimeout) so the visibility timeout can be derived',
      );
    }
    if (functionTimeout.isUnresolved()) {
      throw new ConstructValidationError(
        scope,
        'visibilityTimeout',
        `visibilityTimeout cannot be derived from an unresolved function timeout (${functionTimeout.toString()}): pass visibilityTimeout`,
      );
    }
    const derived = Duration.seconds(Math.ceil(functionTimeout.toMilliseconds() / 1000) * VISIBILITY_TIMEOUT_MULTIPLIER);
    checkVisibilityUpperBound(scope, derived, `6 times the function timeout (${describe(functionTimeout)})`);
    return derived;
  }
  if (given.isUnresolved()) return given;
  checkVisibilityUpperBound(scope, given, `visibilityTimeout (${describe(given)})`);
  if (functionTimeout === undefined || functionTimeout.isUnresolved()) return given;
  if (given.toMilliseconds() < functionTimeout.toMilliseconds()) {
    throw new ConstructValidationError(
      scope,
      'visibilityTimeout',
      `visibilityTimeout (${describe(given)}) must be at least the function timeout (${describe(functionTimeout)})`,
    );
  }
  if (given.toMilliseconds() < functionTimeout.toMilliseconds() * VISIBILITY_TIMEOUT_MULTIPLIER) {
    Annotations.of(scope).addWarningV2(
      CONSUMER_WARNINGS.visibilityTimeoutLow,
      `visibilityTimeout (${describe(given)}) is less than ${VISIBILITY_TIMEOUT_MULTIPLIER} times the function timeout ` +
        `(${describe(functionTimeout)}): AWS recommends at least ${VISIBILITY_TIMEOUT_MULTIPLIER} times so Lambda can retry throttled batches`,
    );
  }
  return given;
}

function checkVisibilityUpperBound(scope: Construct, value: Duration, what: string): void {
  if (value.toMilliseconds() > MAX_VISIBILITY_TIMEOUT.toMilliseconds()) {
    throw new ConstructValidationError(
      scope,
      'visibilityTimeout',
      `${what} exceeds the largest visibility timeout SQS accepts (${describe(MAX_VISIBILITY_TIMEOUT)})`,
    );
  }
}

function validateEventSource(scope: Construct, props: IdempotentQueueConsumerProps, fifo: boolean): void {
  const { batchSize, maxBatchingWindow, maxConcurrency } = props;
  if (maxBatchingWindow !== undefined && !maxBatchingWindow.isUnresolved()) {
    if (fifo) {
      throw new ConstructValidationError(
        scope,
        'maxBatchingWindow',
        `maxBatchingWindow (${describe(maxBatchingWindow)}) is not supported on a FIFO queue: omit it or set fifo to false`,
      );
    }
    if (maxBatchingWindow.toMilliseconds() > MAX_BATCHING_WINDOW.toMilliseconds()) {
      throw new ConstructValidationError(
        scope,
        'maxBatchingWindow',
        `maxBatchingWindow (${describe(maxBatchingWindow)}) must be at most ${describe(MAX_BATCHING_WINDOW)}`,
      );
    }
  }
  if (batchSize !== undefined && !Token.isUnresolved(batchSize)) {
    const max = maxBatchingWindow !== undefined && !fifo ? MAX_BATCH_SIZE_WITH_WINDOW : MAX_BATCH_SIZE_WITHOUT_WINDOW;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > max) {
      const context =
        max === MAX_BATCH_SIZE_WITH_WINDOW ? 'with a batching window' : fifo ? 'on a FIFO queue' : 'without a batching window';
      throw new ConstructValidationError(scope, 'batchSize', `batchSize (${batchSize}) must be an integer between 1 and ${max} ${context}`);
    }
  }
  if (maxConcurrency !== undefined && !Token.isUnresolved(maxConcurrency)) {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < MIN_MAX_CONCURRENCY || maxConcurrency > MAX_MAX_CONCURRENCY) {
      throw new ConstructValidationError(
        scope,
        'maxConcurrency',
        `maxConcurrency (${maxConcurrency}) must be an integer between ${MIN_MAX_CONCURRENCY} and ${MAX_MAX_CONCURRENCY}`,
      );
    }
  }
  if (props.provisionedPollers !== undefined) validateProvisionedPollers(scope, props.provisionedPollers, maxConcurrency);
}

/** Provisioned mode: Lambda's ranges for an SQS event source, and never together with maxConcurrency. */
function validateProvisionedPollers(scope: Construct, pollers: ProvisionedPollers, maxConcurrency: number | undefined): void {
  const { minimum, maximum } = pollers;
  if (maxConcurrency !== undefined) {
    throw new ConstructValidationError(
      scope,
      'provisionedPollers',
      `provisionedPollers (minimum ${minimum}, maximum ${maximum}) and maxConcurrency (${maxConcurrency}) cannot both be set: ` +
        'Lambda takes either provisioned mode or a maximum concurrency on an SQS event source; bound the concurrency with provisionedPollers.maximum',
    );
  }
  const ranges: [string, number, number][] = [
    ['minimum', MIN_PROVISIONED_POLLERS, MAX_MINIMUM_PROVISIONED_POLLERS],
    ['maximum', MIN_PROVISIONED_POLLERS, MAX_PROVISIONED_POLLERS],
  ];
  for (const [name, low, high] of ranges) {
    const value = pollers[name as keyof ProvisionedPollers];
    if (Token.isUnresolved(value)) continue;
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new ConstructValidationError(
        scope,
        'provisionedPollers',
        `provisionedPollers.${name} (${value}) must be an integer between ${low} and ${high.toLocaleString('en-US')}`,
      );
    }
  }
  if (!Token.isUnresolved(minimum) && !Token.isUnresolved(maximum) && minimum > maximum) {
    throw new ConstructValidationError(
      scope,
      'provisionedPollers',
      `provisionedPollers.minimum (${minimum}) must not exceed provisionedPollers.maximum (${maximum})`,
    );
  }
}

function validateMaxReceiveCount(scope: Construct, count: number): number {
  if (Token.isUnresolved(count)) return count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_MAX_RECEIVE_COUNT) {
    throw new ConstructValidationError(
      scope,
      'maxReceiveCount',
      `maxReceiveCount (${count}) must be an integer between 1 and ${MAX_MAX_RECEIVE_COUNT}`,
    );
  }
  if (count < DEFAULT_MAX_RECEIVE_COUNT) {
    Annotations.of(scope).addWarningV2(
      CONSUMER_WARNINGS.maxReceiveCountLow,
      `maxReceiveCount (${count}) is below ${DEFAULT_MAX_RECEIVE_COUNT}: throttled invocations count as receives, ` +
        'so healthy messages may be moved to the dead-letter queue (AWS recommends at least 5)',
    );
  }
  return count;
}

/** A Duration of at least one second (zero keeps no record, or alarms on every message). */
function positiveDuration(scope: Construct, property: string, value: Duration): Duration {
  if (!(value instanceof Duration)) {
    throw new ConstructValidationError(scope, property, `${property} must be a Duration, got ${typeof value} ${String(value)}`);
  }
  if (value.isUnresolved() || value.toMilliseconds() >= 1000) return value;
  throw new ConstructValidationError(
    scope,
    property,
    `${property} (${describe(value)}) must be at least 1 second: ${property === 'idempotencyRetention' ? 'records kept for no time deduplicate nothing' : 'the alarm would fire on every message'}`,
  );
}

function validateRetention(scope: Construct, retention: Duration): Duration {
  if (retention.isUnresolved()) return retention;
  const ms = retention.toMilliseconds();
  if (ms < MIN_QUEUE_RETENTION.toMilliseconds() || ms > MAX_QUEUE_RETENTION.toMilliseconds()) {
    throw new ConstructValidationError(
      scope,
      'retentionPeriod',
      `retentionPeriod (${describe(retention)}) must be between ${describe(MIN_QUEUE_RETENTION)} and ${describe(MAX_QUEUE_RETENTION)}`,
    );
  }
  return retention;
}

function validateDeadLetterQueueKind(scope: Construct, dlq: sqs.IQueue, fifo: boolean): void {
  // An imported queue whose ARN is a token reports `fifo` from its attributes only: not checkable.
  if (!(dlq instanceof sqs.Queue) && Token.isUnresolved(dlq.queueArn)) return;
  if (dlq.fifo !== fifo) {
    const kind = (isFifo: boolean): string => (isFifo ? 'FIFO' : 'standard');
    throw new ConstructValidationError(
      scope,
      'deadLetterQueue',
      `deadLetterQueue is a ${kind(dlq.fifo)} queue but the queue is ${kind(fifo)}: a dead-letter queue must be of the same kind as its source queue`,
    );
  }
}
