import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IdempotencyTable, IdempotentQueueConsumer } from '../../constructs';
import type { IdempotentQueueConsumerProps } from '../../constructs';
import { FIXTURE_HANDLER, FIXTURE_SDK_HANDLER, GRANTED_TABLE_ACTIONS, newStack, templateOf, withFakeDocker } from './support';

/** A consumer bundled from the fixture handler, plus the given props. */
function consumer(stack: Stack, props: Partial<IdempotentQueueConsumerProps> = {}): IdempotentQueueConsumer {
  return new IdempotentQueueConsumer(stack, 'Consumer', { entry: FIXTURE_HANDLER, ...props });
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function arnOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): unknown {
  return { 'Fn::GetAtt': [logicalId(stack, construct), 'Arn'] };
}

function inlineFunction(stack: Stack, timeout?: Duration): lambda.Function {
  return new lambda.Function(stack, 'Existing', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })'),
    timeout,
  });
}

/** The queue resource that is not the dead-letter queue (the one with a redrive policy). */
function sourceQueueProperties(stack: Stack): Record<string, unknown> {
  const queues = Object.values(templateOf(stack).findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
  expect(queues).toHaveLength(1);
  return (queues[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('IdempotentQueueConsumer', () => {
  describe('defaults', () => {
    it('creates a FIFO queue and a FIFO dead-letter queue', () => {
      const stack = newStack();
      const c = consumer(stack);
      const template = templateOf(stack);
      template.resourceCountIs('AWS::SQS::Queue', 2);
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        RedrivePolicy: { deadLetterTargetArn: arnOf(stack, c.deadLetterQueue), maxReceiveCount: 5 },
      });
      template.hasResource('AWS::SQS::Queue', {
        Properties: Match.objectLike({ FifoQueue: true, RedrivePolicy: Match.absent() }),
      });
      expect(c.queue.fifo).toBe(true);
      expect(c.deadLetterQueue.fifo).toBe(true);
    });

    it('moves a message to the dead-letter queue after 5 receives', () => {
      const stack = newStack();
      consumer(stack);
      expect(sourceQueueProperties(stack).RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    });

    it('encrypts both queues with SQS managed keys', () => {
      const stack = newStack();
      consumer(stack);
      const queues = Object.values(templateOf(stack).findResources('AWS::SQS::Queue'));
      expect(queues.map((q) => (q as { Properties: Record<string, unknown> }).Properties.SqsManagedSseEnabled)).toEqual([true, true]);
    });

    it('denies every request to either queue that does not use SSL', () => {
      const stack = newStack();
      const c = consumer(stack);
      for (const queue of [c.queue, c.deadLetterQueue]) {
        templateOf(stack).hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(stack, queue) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              {
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Resource: arnOf(stack, queue),
              },
            ]),
          },
        });
      }
    });

    it('sets the visibility timeout to 6 times the function timeout', () => {
      const stack = newStack();
      consumer(stack);
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(180);
    });

    it('keeps messages 4 days in the queue and 14 days in the dead-letter queue', () => {
      const stack = newStack();
      const c = consumer(stack);
      expect(sourceQueueProperties(stack).MessageRetentionPeriod).toBe(4 * 24 * 3600);
      templateOf(stack).hasResourceProperties('AWS::SQS::Queue', {
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: Match.absent(),
      });
      expect(stack.resolve(c.deadLetterQueue.queueArn)).toEqual(arnOf(stack, c.deadLetterQueue));
    });

    it('bundles entry into a Node.js 22 function on ARM64 with a 30-second timeout', () => {
      const stack = newStack();
      consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: 30,
        Handler: 'index.handler',
      });
    });

    it('enables source maps in the function environment', () => {
      const stack = newStack();
      consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    });

    it('writes the function logs to its own log group kept one month', () => {
      const stack = newStack();
      consumer(stack);
      const template = templateOf(stack);
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
      template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    });

    it('gives the function a role without managed policies', () => {
      const stack = newStack();
      consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('subscribes the function with ReportBatchItemFailures and batches of 10', () => {
      const stack = newStack();
      const c = consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(stack, c.queue),
        FunctionName: { Ref: logicalId(stack, c.function) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: Match.absent(),
        ScalingConfig: Match.absent(),
      });
    });

    it('creates an IdempotencyTable and passes its name in IDEMPOTENCY_TABLE_NAME', () => {
      const stack = newStack();
      const c = consumer(stack);
      const template = templateOf(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(stack, c.table) } }) },
      });
    });

    it('grants the function exactly: log writing, queue consumption and visibility changes, and the idempotency actions', () => {
      const stack = newStack();
      const c = consumer(stack);
      const template = templateOf(stack);
      const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
      template.resourceCountIs('AWS::IAM::Policy', 1);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
            },
            {
              Effect: 'Allow',
              Action: [
                'sqs:ReceiveMessage',
                'sqs:ChangeMessageVisibility',
                'sqs:GetQueueUrl',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
              ],
              Resource: arnOf(stack, c.queue),
            },
            { Effect: 'Allow', Action: 'sqs:ChangeMessageVisibility', Resource: arnOf(stack, c.queue) },
            { Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: arnOf(stack, c.table) },
          ],
        },
      });
    });

    it('alarms when a message reaches the dead-letter queue', () => {
      const stack = newStack();
      const c = consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, c.deadLetterQueue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms when the oldest message is older than 15 minutes', () => {
      const stack = newStack();
      const c = consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, c.queue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 900,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });
  });

  describe('bundling', () => {
    it('bundles with the local esbuild and never runs Docker', () => {
      withFakeDocker((marker) => {
        const stack = newStack({ bundle: true });
        consumer(stack, { entry: FIXTURE_SDK_HANDLER });
        templateOf(stack).resourceCountIs('AWS::Lambda::Function', 1);
        expect(fs.existsSync(marker)).toBe(false);
      });
    });

    it('would notice a Docker bundling: a NodejsFunction forced to use Docker calls the fake docker (control)', () => {
      withFakeDocker((marker) => {
        const stack = newStack({ bundle: true });
        expect(
          () => new nodejs.NodejsFunction(stack, 'Docker', { entry: FIXTURE_HANDLER, bundling: { forceDockerBundling: true } }),
        ).toThrow(/docker exited with status 1/);
        expect(fs.existsSync(marker)).toBe(true);
      });
    });

    it('writes a minified bundle with its source map and leaves @aws-sdk/* to the runtime', () => {
      const stack = newStack({ bundle: true });
      const c = consumer(stack, { entry: FIXTURE_SDK_HANDLER });
      const fn = c.function as lambda.Function;
      const assetPath = (fn.node.findChild('Code') as unknown as { assetPath: string }).assetPath;
      const outdir = (stack.node.root as unknown as { outdir: string }).outdir;
      const bundleDir = path.join(outdir, assetPath);
      const bundle = fs.readFileSync(path.join(bundleDir, 'index.js'), 'utf8');
      expect(fs.existsSync(path.join(bundleDir, 'index.js.map'))).toBe(true);
      expect(bundle).toContain('require("@aws-sdk/client-dynamodb")');
      expect(bundle.split('\n').length).toBeLessThan(5);
      expect(bundle.length).toBeLessThan(5_000);
    });
  });

  describe('props', () => {
    it('handler attaches an existing function instead of bundling one', () => {
      const stack = newStack();
      const existing = inlineFunction(stack, Duration.seconds(20));
      const c = consumer(stack, { entry: undefined, handler: existing });
      expect(c.function).toBe(existing);
      const template = templateOf(stack);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: logicalId(stack, existing) } });
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(120);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(stack, c.table) } } },
      });
    });

    it("handler without a timeout is taken to have Lambda's 3-second default", () => {
      const stack = newStack();
      consumer(stack, { entry: undefined, handler: inlineFunction(stack) });
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(18);
    });

    it('an imported handler is granted the table and subscribed, with timeout declared by the timeout prop', () => {
      const stack = newStack();
      const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders',
        sameEnvironment: true,
      });
      const c = consumer(stack, { entry: undefined, handler: imported, timeout: Duration.seconds(40) });
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(240);
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: 'orders',
        EventSourceArn: arnOf(stack, c.queue),
      });
    });

    it('timeout sets the bundled function timeout and the derived visibility timeout', () => {
      const stack = newStack();
      consumer(stack, { timeout: Duration.minutes(2) });
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', { Timeout: 120 });
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(720);
    });

    it('fifo false creates standard queues', () => {
      const stack = newStack();
      const c = consumer(stack, { fifo: false });
      const queues = Object.values(templateOf(stack).findResources('AWS::SQS::Queue'));
      expect(queues.map((q) => (q as { Properties: Record<string, unknown> }).Properties.FifoQueue)).toEqual([undefined, undefined]);
      expect(c.queue.fifo).toBe(false);
      expect(c.deadLetterQueue.fifo).toBe(false);
    });

    it('batchSize sets the batch size', () => {
      const stack = newStack();
      consumer(stack, { batchSize: 4 });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 4 });
    });

    it('maxBatchingWindow sets the batching window of a standard queue, which then allows larger batches', () => {
      const stack = newStack();
      consumer(stack, { fifo: false, maxBatchingWindow: Duration.seconds(20), batchSize: 500 });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        MaximumBatchingWindowInSeconds: 20,
        BatchSize: 500,
      });
    });

    it('maxConcurrency sets the scaling config', () => {
      const stack = newStack();
      consumer(stack, { maxConcurrency: 50 });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ScalingConfig: { MaximumConcurrency: 50 },
      });
    });

    it('provisionedPollers puts the event source in provisioned mode with those bounds', () => {
      const stack = newStack();
      consumer(stack, { provisionedPollers: { minimum: 5, maximum: 50 } });
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 5, MaximumPollers: 50 },
        ScalingConfig: Match.absent(),
      });
    });

    it('without provisionedPollers the event source uses standard polling', () => {
      const stack = newStack();
      consumer(stack);
      templateOf(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ProvisionedPollerConfig: Match.absent() });
    });

    it('maxReceiveCount sets the redrive policy', () => {
      const stack = newStack();
      consumer(stack, { maxReceiveCount: 8 });
      expect(sourceQueueProperties(stack).RedrivePolicy).toMatchObject({ maxReceiveCount: 8 });
    });

    it('visibilityTimeout sets the queue visibility timeout', () => {
      const stack = newStack();
      consumer(stack, { visibilityTimeout: Duration.minutes(10) });
      expect(sourceQueueProperties(stack).VisibilityTimeout).toBe(600);
    });

    it('retentionPeriod sets the queue retention and leaves the dead-letter queue at 14 days', () => {
      const stack = newStack();
      consumer(stack, { retentionPeriod: Duration.hours(1) });
      expect(sourceQueueProperties(stack).MessageRetentionPeriod).toBe(3600);
      templateOf(stack).hasResourceProperties('AWS::SQS::Queue', {
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: Match.absent(),
      });
    });

    it('deadLetterQueue uses the given queue instead of creating one', () => {
      const stack = newStack();
      const dlq = new sqs.Queue(stack, 'MyDlq', { fifo: true });
      const c = consumer(stack, { deadLetterQueue: dlq });
      expect(c.deadLetterQueue).toBe(dlq);
      templateOf(stack).resourceCountIs('AWS::SQS::Queue', 2);
      expect(sourceQueueProperties(stack).RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(stack, dlq), maxReceiveCount: 5 });
    });

    it('queueEncryptionKey encrypts both queues with that key', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
      consumer(stack, { queueEncryptionKey: key });
      const queues = Object.values(templateOf(stack).findResources('AWS::SQS::Queue'));
      for (const queue of queues) {
        expect((queue as { Properties: Record<string, unknown> }).Properties).toMatchObject({
          KmsMasterKeyId: arnOf(stack, key),
        });
      }
      expect(queues).toHaveLength(2);
    });

    it('table accepts an IdempotencyTable and creates none', () => {
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Shared', { tableName: 'shared-idempotency' });
      const c = consumer(stack, { table });
      expect(c.table).toBe(table);
      templateOf(stack).resourceCountIs('AWS::DynamoDB::Table', 1);
      templateOf(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{ Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: arnOf(stack, table.table) }]),
        },
      });
    });

    it('table accepts a multi-Region IdempotencyTable, granted on its replica in the stack Region', () => {
      const stack = newStack({ region: 'us-east-1' });
      const table = new IdempotencyTable(stack, 'Global', { replicaRegions: ['us-east-2'], witnessRegion: 'us-west-2' });
      const c = consumer(stack, { table });
      expect(c.table).toBe(table);
      const template = templateOf(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(stack, table) } }) },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{ Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: arnOf(stack, table) }]),
        },
      });
    });

    it('table accepts a plain dynamodb.ITable, granted on its ARN and named in the environment', () => {
      const stack = newStack();
      const imported = dynamodb.Table.fromTableName(stack, 'Imported', 'existing-idempotency');
      const c = consumer(stack, { table: imported });
      expect(c.table.tableName).toBe(imported.tableName);
      expect(c.table.tableArn).toBe(imported.tableArn);
      const template = templateOf(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE_NAME: 'existing-idempotency' }) },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: GRANTED_TABLE_ACTIONS,
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':dynamodb:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':table/existing-idempotency',
                  ],
                ],
              },
            },
          ]),
        },
      });
    });

    it('table accepts IdempotencyTable.fromTableName, granted on its ARN and named in the environment', () => {
      const stack = newStack();
      const c = consumer(stack, { table: IdempotencyTable.fromTableName(stack, 'Existing', 'existing-idempotency') });
      const template = templateOf(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE_NAME: 'existing-idempotency' }) },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
          ]),
        },
      });
      expect(stack.resolve(c.table.tableArn)).toEqual(
        stack.resolve(stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: 'existing-idempotency' })),
      );
    });

    it('table accepts IdempotencyTable.fromTableAttributes with a key, whose KMS actions are granted too', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'TableKey', { enableKeyRotation: true });
      const table = IdempotencyTable.fromTableAttributes(stack, 'Existing', {
        tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/existing-idempotency',
        encryptionKey: key,
      });
      const c = consumer(stack, { table });
      expect(c.table).toBe(table);
      templateOf(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: GRANTED_TABLE_ACTIONS,
              Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/existing-idempotency',
            },
            { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'], Resource: arnOf(stack, key) },
          ]),
        },
      });
    });

    it('functionProps are passed to the bundled function, its environment merged with the table name', () => {
      const stack = newStack();
      consumer(stack, {
        functionProps: { memorySize: 512, runtime: lambda.Runtime.NODEJS_24_X, environment: { STAGE: 'test' } },
      });
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 512,
        Runtime: 'nodejs24.x',
        Environment: {
          Variables: { STAGE: 'test', NODE_OPTIONS: '--enable-source-maps', IDEMPOTENCY_TABLE_NAME: Match.anyValue() },
        },
      });
    });

    it('functionProps.role replaces the created role, which is then still allowed to write the logs', () => {
      const stack = newStack();
      const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      consumer(stack, { functionProps: { role } });
      const template = templateOf(stack);
      template.resourceCountIs('AWS::IAM::Role', 1);
      template.hasResourceProperties('AWS::Lambda::Function', { Role: arnOf(stack, role) });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(stack, role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] })]),
        },
      });
    });

    it('oldestMessageAgeAlarmThreshold sets the age alarm threshold', () => {
      const stack = newStack();
      consumer(stack, { oldestMessageAgeAlarmThreshold: Duration.hours(1) });
      templateOf(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: 3600,
      });
    });
  });

  describe('exposed members', () => {
    it('exposes the queue, dead-letter queue, function, table and alarms', () => {
      const stack = newStack();
      const c = consumer(stack);
      expect(c.queue).toBeInstanceOf(sqs.Queue);
      expect(c.deadLetterQueue).toBeInstanceOf(sqs.Queue);
      expect(c.function).toBeInstanceOf(lambda.Function);
      expect(stack.resolve(c.table.tableName)).toEqual({ Ref: logicalId(stack, c.table) });
      expect(c.alarms.deadLetterQueueDepth).toBeInstanceOf(cloudwatch.Alarm);
      expect(c.alarms.oldestMessageAge).toBeInstanceOf(cloudwatch.Alarm);
      templateOf(stack).resourceCountIs('AWS::CloudWatch::Alarm', 2);
    });

    it('grantIdempotency grants another principal the idempotency actions on its table', () => {
      const stack = newStack();
      const c = consumer(stack);
      const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      c.grantIdempotency(other);
      templateOf(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(stack, other) }],
        PolicyDocument: {
          Statement: [{ Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: arnOf(stack, c.table) }],
        },
      });
    });
  });
});
