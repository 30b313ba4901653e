import { CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CONSUMER_WARNINGS, ConstructValidationError, IdempotentQueueConsumer } from '../../constructs';
import type { IdempotentQueueConsumerProps } from '../../constructs';
import { annotationsOf, FIXTURE_HANDLER, newStack, templateOf, thrownBy } from './support';

const PATH = '/Test/Consumer';

function consumer(stack: Stack, props: Partial<IdempotentQueueConsumerProps> = {}): IdempotentQueueConsumer {
  return new IdempotentQueueConsumer(stack, 'Consumer', { entry: FIXTURE_HANDLER, ...props });
}

/** Props under which the default build adds no warning (idempotency records kept as long as messages). */
const QUIET: Partial<IdempotentQueueConsumerProps> = { idempotencyRetention: Duration.days(4) };

function expectValidationError(build: () => unknown, property: string, message: string): void {
  const error = thrownBy(build);
  expect(error).toBeInstanceOf(ConstructValidationError);
  expect(error.property).toBe(property);
  expect(error.constructPath).toBe('Test/Consumer');
  expect(error.message).toBe(`${message} (at Test/Consumer)`);
}

function warningsOf(stack: Stack): string[] {
  return annotationsOf(stack)
    .findWarning(PATH, Match.anyValue())
    .map(({ entry: { data } }) => (typeof data === 'string' ? data : JSON.stringify(data)));
}

function numberParameter(stack: Stack, name: string): number {
  return Token.asNumber(new CfnParameter(stack, name, { type: 'Number' }).value);
}

describe('IdempotentQueueConsumer guardrails', () => {
  describe('handler or entry', () => {
    it('rejects both handler and entry', () => {
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      });
      expectValidationError(() => consumer(stack, { handler: fn }), 'handler', 'exactly one of handler and entry must be set, got both');
    });

    it('rejects neither handler nor entry', () => {
      const stack = newStack();
      expectValidationError(
        () => new IdempotentQueueConsumer(stack, 'Consumer', {}),
        'handler',
        'exactly one of handler and entry must be set, got neither',
      );
    });

    it('rejects a timeout that contradicts the timeout of a lambda.Function handler', () => {
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
        timeout: Duration.seconds(20),
      });
      expectValidationError(
        () => consumer(stack, { entry: undefined, handler: fn, timeout: Duration.seconds(40) }),
        'timeout',
        "timeout (40 seconds) differs from the handler's own timeout (20 seconds); omit timeout when handler is a lambda.Function",
      );
    });

    it('requires timeout or visibilityTimeout for an imported handler', () => {
      const stack = newStack();
      const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:orders');
      expectValidationError(
        () => consumer(stack, { entry: undefined, handler: imported }),
        'timeout',
        'the timeout of an imported handler cannot be read: pass timeout (or visibilityTimeout) so the visibility timeout can be derived',
      );
    });

    it('warns that IDEMPOTENCY_TABLE_NAME cannot be set on an imported handler', () => {
      const stack = newStack();
      const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:orders');
      consumer(stack, { ...QUIET, entry: undefined, handler: imported, timeout: Duration.seconds(30) });
      expect(warningsOf(stack)).toEqual([
        `handler is an imported function: IDEMPOTENCY_TABLE_NAME cannot be set on it, so set it yourself or pass tableName to DynamoDBStore [ack: ${CONSUMER_WARNINGS.tableNameNotSet}]`,
      ]);
    });
  });

  describe('visibility timeout', () => {
    it('rejects a visibility timeout below the function timeout, naming both values', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { timeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(30) }),
        'visibilityTimeout',
        'visibilityTimeout (30 seconds) must be at least the function timeout (1 minute)',
      );
    });

    it('accepts a visibility timeout equal to the function timeout, with a warning below 6 times', () => {
      const stack = newStack();
      consumer(stack, { ...QUIET, timeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(60) });
      expect(warningsOf(stack)).toEqual([
        'visibilityTimeout (1 minute) is less than 6 times the function timeout (1 minute): AWS recommends at least 6 times ' +
          `so Lambda can retry throttled batches [ack: ${CONSUMER_WARNINGS.visibilityTimeoutLow}]`,
      ]);
    });

    it('accepts 6 times the function timeout without a warning', () => {
      const stack = newStack();
      consumer(stack, { ...QUIET, timeout: Duration.seconds(60), visibilityTimeout: Duration.minutes(6) });
      expect(warningsOf(stack)).toEqual([]);
    });

    it('rejects a visibility timeout above 12 hours', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { visibilityTimeout: Duration.hours(13) }),
        'visibilityTimeout',
        'visibilityTimeout (13 hours) exceeds the largest visibility timeout SQS accepts (12 hours)',
      );
    });

    it('rejects a derived visibility timeout above 12 hours', () => {
      const stack = newStack();
      const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:orders');
      expectValidationError(
        () => consumer(stack, { entry: undefined, handler: imported, timeout: Duration.hours(3) }),
        'visibilityTimeout',
        '6 times the function timeout (3 hours) exceeds the largest visibility timeout SQS accepts (12 hours)',
      );
    });

    it('does not check an unresolved visibility timeout', () => {
      const stack = newStack();
      const seconds = numberParameter(stack, 'Visibility');
      consumer(stack, { ...QUIET, timeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(seconds) });
      expect(warningsOf(stack)).toEqual([]);
      templateOf(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: { Ref: 'Visibility' } });
    });

    it('requires visibilityTimeout when the function timeout is unresolved', () => {
      const stack = newStack();
      const seconds = numberParameter(stack, 'Timeout');
      const error = thrownBy(() => consumer(stack, { timeout: Duration.seconds(seconds) }));
      expect(error).toBeInstanceOf(ConstructValidationError);
      expect(error.property).toBe('visibilityTimeout');
      expect(error.message).toMatch(
        /^visibilityTimeout cannot be derived from an unresolved function timeout \(.+\): pass visibilityTimeout \(at Test\/Consumer\)$/,
      );
    });
  });

  describe('maxReceiveCount', () => {
    it('adds no warning at the default of 5', () => {
      const stack = newStack();
      consumer(stack, QUIET);
      expect(warningsOf(stack)).toEqual([]);
    });

    it('warns below 5', () => {
      const stack = newStack();
      consumer(stack, { ...QUIET, maxReceiveCount: 3 });
      expect(warningsOf(stack)).toEqual([
        'maxReceiveCount (3) is below 5: throttled invocations count as receives, so healthy messages may be moved to the ' +
          `dead-letter queue (AWS recommends at least 5) [ack: ${CONSUMER_WARNINGS.maxReceiveCountLow}]`,
      ]);
    });

    it('rejects 0', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxReceiveCount: 0 }),
        'maxReceiveCount',
        'maxReceiveCount (0) must be an integer between 1 and 1000',
      );
    });

    it('rejects more than 1000', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxReceiveCount: 1001 }),
        'maxReceiveCount',
        'maxReceiveCount (1001) must be an integer between 1 and 1000',
      );
    });

    it('rejects a fraction', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxReceiveCount: 2.5 }),
        'maxReceiveCount',
        'maxReceiveCount (2.5) must be an integer between 1 and 1000',
      );
    });

    it('does not check an unresolved maxReceiveCount', () => {
      const stack = newStack();
      consumer(stack, { ...QUIET, maxReceiveCount: numberParameter(stack, 'Receives') });
      expect(warningsOf(stack)).toEqual([]);
    });
  });

  describe('dead-letter queue kind', () => {
    it('rejects a standard dead-letter queue for a FIFO queue', () => {
      const stack = newStack();
      const dlq = new sqs.Queue(stack, 'Dlq');
      expectValidationError(
        () => consumer(stack, { deadLetterQueue: dlq }),
        'deadLetterQueue',
        'deadLetterQueue is a standard queue but the queue is FIFO: a dead-letter queue must be of the same kind as its source queue',
      );
    });

    it('rejects a FIFO dead-letter queue for a standard queue', () => {
      const stack = newStack();
      const dlq = new sqs.Queue(stack, 'Dlq', { fifo: true });
      expectValidationError(
        () => consumer(stack, { fifo: false, deadLetterQueue: dlq }),
        'deadLetterQueue',
        'deadLetterQueue is a FIFO queue but the queue is standard: a dead-letter queue must be of the same kind as its source queue',
      );
    });

    it('rejects an imported dead-letter queue whose ARN shows the other kind', () => {
      const stack = newStack();
      const dlq = sqs.Queue.fromQueueArn(stack, 'Dlq', 'arn:aws:sqs:us-east-1:123456789012:orders-dlq.fifo');
      expectValidationError(
        () => consumer(stack, { fifo: false, deadLetterQueue: dlq }),
        'deadLetterQueue',
        'deadLetterQueue is a FIFO queue but the queue is standard: a dead-letter queue must be of the same kind as its source queue',
      );
    });

    it('does not check an imported dead-letter queue whose ARN is unresolved', () => {
      const stack = newStack();
      const arn = new CfnParameter(stack, 'DlqArn', { type: 'String' }).valueAsString;
      const dlq = sqs.Queue.fromQueueArn(stack, 'Dlq', arn);
      consumer(stack, { ...QUIET, deadLetterQueue: dlq });
      templateOf(stack).hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { deadLetterTargetArn: { Ref: 'DlqArn' } } });
    });
  });

  describe('maxConcurrency', () => {
    it('rejects 1', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxConcurrency: 1 }),
        'maxConcurrency',
        'maxConcurrency (1) must be an integer between 2 and 1000',
      );
    });

    it('rejects 1001', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxConcurrency: 1001 }),
        'maxConcurrency',
        'maxConcurrency (1001) must be an integer between 2 and 1000',
      );
    });

    it('accepts both ends of the range, 2 and 1000', () => {
      const low = newStack();
      consumer(low, { maxConcurrency: 2 });
      templateOf(low).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 2 } });
      const high = newStack();
      consumer(high, { maxConcurrency: 1000 });
      templateOf(high).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 1000 } });
    });

    it('does not check an unresolved maxConcurrency', () => {
      const stack = newStack();
      consumer(stack, { maxConcurrency: numberParameter(stack, 'Concurrency') });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ScalingConfig: { MaximumConcurrency: { Ref: 'Concurrency' } },
      });
    });
  });

  describe('provisionedPollers', () => {
    it.each([
      [{ minimum: 1, maximum: 10 }, 'provisionedPollers.minimum (1) must be an integer between 2 and 200'],
      [{ minimum: 201, maximum: 300 }, 'provisionedPollers.minimum (201) must be an integer between 2 and 200'],
      [{ minimum: 2.5, maximum: 10 }, 'provisionedPollers.minimum (2.5) must be an integer between 2 and 200'],
      [{ minimum: 2, maximum: 1 }, 'provisionedPollers.maximum (1) must be an integer between 2 and 2,000'],
      [{ minimum: 2, maximum: 2001 }, 'provisionedPollers.maximum (2001) must be an integer between 2 and 2,000'],
      [{ minimum: 2, maximum: 10.5 }, 'provisionedPollers.maximum (10.5) must be an integer between 2 and 2,000'],
      [{ minimum: 20, maximum: 10 }, 'provisionedPollers.minimum (20) must not exceed provisionedPollers.maximum (10)'],
    ])('rejects %j', (provisionedPollers, message) => {
      const stack = newStack();
      expectValidationError(() => consumer(stack, { provisionedPollers }), 'provisionedPollers', message);
    });

    it('rejects provisionedPollers together with maxConcurrency', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxConcurrency: 5, provisionedPollers: { minimum: 2, maximum: 10 } }),
        'provisionedPollers',
        'provisionedPollers (minimum 2, maximum 10) and maxConcurrency (5) cannot both be set: Lambda takes either provisioned mode ' +
          'or a maximum concurrency on an SQS event source; bound the concurrency with provisionedPollers.maximum',
      );
    });

    it('accepts both ends of the ranges: minimum 2 to 200, maximum up to 2,000, minimum equal to maximum', () => {
      for (const [minimum, maximum] of [
        [2, 2],
        [200, 2000],
      ] as const) {
        const stack = newStack();
        consumer(stack, { provisionedPollers: { minimum, maximum } });
        templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          ProvisionedPollerConfig: { MinimumPollers: minimum, MaximumPollers: maximum },
        });
      }
    });

    it('does not check unresolved bounds', () => {
      const stack = newStack();
      consumer(stack, { provisionedPollers: { minimum: numberParameter(stack, 'Minimum'), maximum: numberParameter(stack, 'Maximum') } });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: { Ref: 'Minimum' }, MaximumPollers: { Ref: 'Maximum' } },
      });
    });
  });

  describe('batching', () => {
    it('rejects a batching window on a FIFO queue', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { maxBatchingWindow: Duration.seconds(10) }),
        'maxBatchingWindow',
        'maxBatchingWindow (10 seconds) is not supported on a FIFO queue: omit it or set fifo to false',
      );
    });

    it('rejects a batching window above 5 minutes', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { fifo: false, maxBatchingWindow: Duration.minutes(6) }),
        'maxBatchingWindow',
        'maxBatchingWindow (6 minutes) must be at most 5 minutes',
      );
    });

    it('rejects a batch above 10 on a FIFO queue', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { batchSize: 11 }),
        'batchSize',
        'batchSize (11) must be an integer between 1 and 10 on a FIFO queue',
      );
    });

    it('rejects a batch above 10 on a standard queue without a batching window', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { fifo: false, batchSize: 11 }),
        'batchSize',
        'batchSize (11) must be an integer between 1 and 10 without a batching window',
      );
    });

    it('rejects a batch above 10000 with a batching window', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { fifo: false, maxBatchingWindow: Duration.seconds(5), batchSize: 10_001 }),
        'batchSize',
        'batchSize (10001) must be an integer between 1 and 10000 with a batching window',
      );
    });

    it('rejects a batch of 0', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { batchSize: 0 }),
        'batchSize',
        'batchSize (0) must be an integer between 1 and 10 on a FIFO queue',
      );
    });
  });

  describe('retention', () => {
    it('warns when idempotency records are kept shorter than messages (the defaults: 1 hour against 4 days)', () => {
      const stack = newStack();
      consumer(stack);
      expect(warningsOf(stack)).toEqual([
        "idempotencyRetention (1 hour) is shorter than the queue's retentionPeriod (4 days): a duplicate that waits in the " +
          'queue longer than the records are kept is processed again; raise expiresAfterSeconds in the handler and ' +
          `idempotencyRetention here, or shorten retentionPeriod [ack: ${CONSUMER_WARNINGS.idempotencyRetentionShort}]`,
      ]);
    });

    it('adds no warning when idempotency records are kept as long as messages', () => {
      const stack = newStack();
      consumer(stack, { retentionPeriod: Duration.hours(1), idempotencyRetention: Duration.hours(1) });
      expect(warningsOf(stack)).toEqual([]);
    });

    it('does not compare an unresolved retention period', () => {
      const stack = newStack();
      consumer(stack, { retentionPeriod: Duration.seconds(numberParameter(stack, 'Retention')) });
      expect(warningsOf(stack)).toEqual([]);
    });

    it('rejects a retention period below 1 minute', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { retentionPeriod: Duration.seconds(30) }),
        'retentionPeriod',
        'retentionPeriod (30 seconds) must be between 1 minute and 14 days',
      );
    });

    it('rejects a retention period above 14 days', () => {
      const stack = newStack();
      expectValidationError(
        () => consumer(stack, { retentionPeriod: Duration.days(15) }),
        'retentionPeriod',
        'retentionPeriod (15 days) must be between 1 minute and 14 days',
      );
    });
  });

  it('creates no resource when a guardrail rejects the props', () => {
    const stack = newStack();
    thrownBy(() => consumer(stack, { maxConcurrency: 1 }));
    expect(Object.keys(templateOf(stack).toJSON().Resources ?? {})).toEqual([]);
  });
});
