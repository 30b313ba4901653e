import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  buildExampleApp,
  EXAMPLE_ACKNOWLEDGEMENTS,
  EXAMPLE_STACK_NAME,
  ORDER_CONSUMER_ENTRY,
  ORDER_RETENTION,
  ORDER_ACCEPTED_ENTRY,
} from '../../bin/example-stack';
import type { EffectivelyOnceExampleStack } from '../../bin/example-stack';
import { HTTP_ORDERS_ENTRY, PAYMENT_ENTRY, STREAM_PROJECTION_ENTRY } from '../../bin/example-parts';
import { GRANTED_TABLE_ACTIONS, withFakeDocker } from './support';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RELAY_ENTRY = path.join(REPO_ROOT, 'lib', 'outbox', 'handler.ts');

/** The parts of CDK's validation-report.json these tests read. */
interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string }[];
    suppressedViolations?: { ruleName: string; acknowledgedId: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function readReport(dir: string): ValidationReport {
  return JSON.parse(fs.readFileSync(path.join(dir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'eo-example-'));
}

/** Text that only the bundle of each example handler contains (a message of its own, kept by the minifier). */
const HANDLER_MARKERS: Record<string, string> = {
  [ORDER_CONSUMER_ENTRY]: 'Expected an OrderPlaced event',
  [ORDER_ACCEPTED_ENTRY]: 'Expected an OrderAccepted message',
  [RELAY_ENTRY]: 'was not published',
  [HTTP_ORDERS_ENTRY]: 'The body must be JSON',
  [STREAM_PROJECTION_ENTRY]: "it must name the read model's table",
  [PAYMENT_ENTRY]: 'Wire a real payment provider here',
};

/** Only handlers/chaos-consumer.ts has this text: it is the chaos suite's consumer, not an example to deploy. */
const CHAOS_CONSUMER_MARKER = 'Wire a real email sender here';

describe('example app (bin/example-stack.ts)', () => {
  // One in-process synth of the real app, shared by the assertions below (bundling costs seconds).
  let outdir: string;
  let dockerCalled: boolean;
  let stack: EffectivelyOnceExampleStack;
  let template: Template;
  let warnings: unknown[];

  beforeAll(() => {
    outdir = tempDir();
    withFakeDocker((marker) => {
      const built = buildExampleApp({ outdir });
      stack = built.stack;
      const assembly = built.app.synth();
      const artifact = assembly.getStackArtifact(stack.artifactId);
      template = Template.fromJSON(artifact.template as Record<string, unknown>);
      warnings = artifact.messages.filter((message) => message.level === 'warning').map((message) => message.entry.data);
      dockerCalled = fs.existsSync(marker);
    });
  });

  const ref = (construct: IConstruct): { Ref: string } => ({ Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement) });
  const arn = (construct: IConstruct, attribute = 'Arn'): unknown => ({
    'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as CfnElement), attribute],
  });

  /** The statements of the policy attached to a function's role, by the construct holding the function. */
  function statementsOf(fn: IConstruct & { role?: IConstruct }): unknown[] {
    const role = fn.role as IConstruct;
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(role)] } }));
    expect(policies).toHaveLength(1);
    return (policies[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement;
  }

  /** The environment variables of a function. */
  function environmentOf(fn: IConstruct): Record<string, unknown> {
    const resource = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    return resource.Properties.Environment.Variables;
  }

  /** The function's right to write its own log group, and nothing else of CloudWatch Logs. */
  const logWrites = (fn: lambda.Function): unknown => ({
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Effect: 'Allow',
    Resource: arn(fn.logGroup),
  });

  /** `grantIdempotency`'s actions, as the app's `@aws-cdk/aws-iam:minimizePolicies` flag writes them (sorted). */
  const IDEMPOTENCY_ACTIONS = [...GRANTED_TABLE_ACTIONS].sort();

  describe('synthesis', () => {
    it('synthesizes the EffectivelyOnceExample stack without running Docker', () => {
      expect(fs.existsSync(path.join(outdir, `${EXAMPLE_STACK_NAME}.template.json`))).toBe(true);
      expect(dockerCalled).toBe(false);
    });

    it('has zero unsuppressed cdk-nag (AWS Solutions) findings', () => {
      const report = readReport(outdir);
      expect(report.pluginReports.map((r) => r.pluginName)).toEqual(['AwsSolutions']);
      expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
      expect(report.pluginReports.map((r) => r.conclusion)).toEqual(['success']);
    });

    it('suppresses only the listed findings, each with its written reason', () => {
      const suppressed = readReport(outdir).pluginReports.flatMap((r) => r.suppressedViolations ?? []);
      const byId = (a: { id: string; reason: string }, b: { id: string; reason: string }): number =>
        a.id.localeCompare(b.id) || a.reason.localeCompare(b.reason);
      expect(suppressed.map((s) => ({ id: s.acknowledgedId, reason: s.reason })).sort(byId)).toEqual(
        EXAMPLE_ACKNOWLEDGEMENTS.map((a) => ({ id: a.id, reason: a.reason })).sort(byId),
      );
      for (const acknowledgement of EXAMPLE_ACKNOWLEDGEMENTS) {
        expect(acknowledgement.reason.length).toBeGreaterThan(40);
      }
    });

    it('suppresses each finding only on the construct its acknowledgement names', () => {
      const suppressed = readReport(outdir).pluginReports.flatMap((r) => r.suppressedViolations ?? []);
      for (const { id, reason, at } of EXAMPLE_ACKNOWLEDGEMENTS) {
        const paths = suppressed
          .filter((s) => s.acknowledgedId === id && s.reason === reason)
          .flatMap((s) => s.violatingConstructs.map((c) => c.constructPath));
        expect(paths.length).toBeGreaterThan(0);
        const prefix = at === '' ? `${EXAMPLE_STACK_NAME}/` : `${EXAMPLE_STACK_NAME}/${at}/`;
        expect(paths.filter((p) => !p.startsWith(prefix))).toEqual([]);
      }
    });

    it('adds no construct warning', () => {
      expect(warnings).toEqual([]);
    });

    it('fails the synth on an unsuppressed cdk-nag finding (the checks are wired in)', () => {
      const dir = tempDir();
      const { app, stack: other } = buildExampleApp({ outdir: dir, context: { 'aws:cdk:bundling-stacks': [] } });
      new sqs.Queue(other, 'Unguarded'); // no dead-letter queue, no SSL enforcement
      expect(() => app.synth()).toThrow(
        expect.objectContaining({
          name: 'ValidationFailed',
          // CDK prints the report's path relative to the working directory when that is shorter.
          message: expect.stringMatching(
            new RegExp(`A copy of this report can be found in: \\S*${path.basename(dir)}/validation-report\\.json`),
          ),
        }),
      );
      const violations = readReport(dir).pluginReports.flatMap((r) => r.violations);
      expect(violations.map((v) => [v.ruleName, v.severity])).toEqual([
        ['AwsSolutions-SQS3', 'error'],
        ['AwsSolutions-SQS4', 'error'],
      ]);
    });

    it('carries every feature flag a new `cdk init` app sets, with the same value, in cdk.json', () => {
      const recommended = JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
      expect(Object.keys(recommended).length).toBeGreaterThan(50);
      expect(cdkJson.context).toMatchObject(recommended);
    });

    it('applies those feature flags to the in-process synth too', () => {
      expect(stack.node.tryGetContext('@aws-cdk/aws-iam:minimizePolicies')).toBe(true);
    });
  });

  describe('functions', () => {
    it('runs each example handler in its own Node.js 22 function, from its own bundle', () => {
      const functions = [
        stack.orders.function,
        stack.acceptedOrders.function,
        stack.outbox.function,
        stack.ordersApi.function,
        stack.orderProjection.function,
        stack.payments.function,
      ];
      const entries = [ORDER_CONSUMER_ENTRY, ORDER_ACCEPTED_ENTRY, RELAY_ENTRY, HTTP_ORDERS_ENTRY, STREAM_PROJECTION_ENTRY, PAYMENT_ENTRY];
      expect(entries.map((entry) => path.relative(REPO_ROOT, entry))).toEqual([
        'handlers/order-consumer.ts',
        'handlers/order-accepted.ts',
        'lib/outbox/handler.ts',
        'handlers/http-orders.ts',
        'handlers/stream-projection.ts',
        'handlers/payment.ts',
      ]);
      template.resourceCountIs('AWS::Lambda::Function', 6);
      functions.forEach((fn, index) => {
        const resource = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)] as {
          Properties: { Runtime: string; Handler: string; Code: { S3Key: string } };
        };
        expect(resource.Properties.Runtime).toBe('nodejs22.x');
        expect(resource.Properties.Handler).toBe('index.handler');
        const bundle = fs.readFileSync(
          path.join(outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js'),
          'utf8',
        );
        expect(bundle).toContain(HANDLER_MARKERS[entries[index] as string]);
      });
    });

    it('does not deploy the chaos suite consumer', () => {
      const bundles = fs.readdirSync(outdir).filter((name) => name.startsWith('asset.'));
      expect(bundles).toHaveLength(6);
      for (const bundle of bundles) {
        expect(fs.readFileSync(path.join(outdir, bundle, 'index.js'), 'utf8')).not.toContain(CHAOS_CONSUMER_MARKER);
      }
    });
  });

  describe('order consumer (handlers/order-consumer.ts)', () => {
    it('consumes a FIFO queue with ReportBatchItemFailures, and keeps records as long as messages', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: ORDER_RETENTION.toSeconds() });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(stack.orders.function),
        EventSourceArn: arn(stack.orders.queue),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('uses the shared idempotency table, and may only read, delete and extend messages of its queue besides', () => {
      expect(environmentOf(stack.orders.function)).toMatchObject({ IDEMPOTENCY_TABLE_NAME: ref(stack.idempotency) });
      expect(statementsOf(stack.orders.function)).toEqual([
        logWrites(stack.orders.function as lambda.Function),
        {
          Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
          Effect: 'Allow',
          Resource: arn(stack.orders.queue),
        },
        { Action: IDEMPOTENCY_ACTIONS, Effect: 'Allow', Resource: arn(stack.idempotency) },
      ]);
    });

    it('has its dead-letter and oldest-message alarms', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage' });
    });
  });

  describe('order accepted, through the outbox (handlers/order-accepted.ts, OutboxRelay)', () => {
    it('gives the order consumer the accepted-orders FIFO queue to publish to', () => {
      expect(environmentOf(stack.orders.function)).toMatchObject({ ACCEPTED_QUEUE_URL: ref(stack.acceptedOrders.queue) });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(stack.acceptedOrders.function),
        EventSourceArn: arn(stack.acceptedOrders.queue),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('relays the idempotency table stream, filtered to outbox items, with an on-failure queue', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(stack.outbox.function),
        EventSourceArn: arn(stack.idempotency, 'StreamArn'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { outbox: { S: [{ exists: true }] } } } }) }] },
        DestinationConfig: { OnFailure: { Destination: arn(stack.outbox.failedRecords) } },
      });
    });

    it('lets the relay send to the accepted-orders queue only', () => {
      const sends = (statementsOf(stack.outbox.function) as { Action: unknown; Resource: unknown }[]).filter(
        (s) => s.Action === 'sqs:SendMessage',
      );
      expect(sends.flatMap((s) => s.Resource)).toEqual([arn(stack.acceptedOrders.queue), arn(stack.outbox.failedRecords)]);
    });
  });

  describe('orders HTTP API (handlers/http-orders.ts)', () => {
    it('routes POST /orders to the function, callers signing with IAM', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'POST /orders',
        AuthorizationType: 'AWS_IAM',
        ApiId: ref(stack.ordersApi.api),
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: arn(stack.ordersApi.function),
        PayloadFormatVersion: '2.0',
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: arn(stack.ordersApi.function),
        Principal: 'apigateway.amazonaws.com',
      });
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    });

    it('serves the $default stage, auto-deployed, throttled and with access logs', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
      });
    });

    it('uses the shared idempotency table and may only put orders into its orders table', () => {
      expect(environmentOf(stack.ordersApi.function)).toMatchObject({
        IDEMPOTENCY_TABLE_NAME: ref(stack.idempotency),
        ORDERS_TABLE_NAME: ref(stack.ordersApi.ordersTable),
      });
      expect(statementsOf(stack.ordersApi.function)).toEqual([
        logWrites(stack.ordersApi.function),
        { Action: IDEMPOTENCY_ACTIONS, Effect: 'Allow', Resource: arn(stack.idempotency) },
        { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: arn(stack.ordersApi.ordersTable) },
      ]);
    });

    it('has a 5xx alarm', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 1 });
    });
  });

  describe('order-status projection (handlers/stream-projection.ts)', () => {
    it('reads the stream of the order-status table through processStreamBatch, failed records to a queue', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(stack.orderProjection.function),
        EventSourceArn: arn(stack.orderProjection.sourceTable, 'StreamArn'),
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 10,
        DestinationConfig: { OnFailure: { Destination: arn(stack.orderProjection.failedRecords) } },
      });
    });

    it('needs no idempotency table: it may only update its views and read the stream', () => {
      expect(environmentOf(stack.orderProjection.function)).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        ORDER_VIEWS_TABLE_NAME: ref(stack.orderProjection.viewsTable),
      });
      expect(statementsOf(stack.orderProjection.function)).toEqual([
        logWrites(stack.orderProjection.function),
        { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: arn(stack.orderProjection.viewsTable) },
        {
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Effect: 'Allow',
          Resource: arn(stack.orderProjection.failedRecords),
        },
        { Action: 'dynamodb:ListStreams', Effect: 'Allow', Resource: '*' },
        {
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Effect: 'Allow',
          Resource: arn(stack.orderProjection.sourceTable, 'StreamArn'),
        },
      ]);
    });

    it('has an iterator-age alarm and a failed-records alarm', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 60_000 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: arn(stack.orderProjection.failedRecords, 'QueueName') }],
      });
    });
  });

  describe('payments (handlers/payment.ts)', () => {
    it('keeps its records in an idempotency table of its own, and may only put ledger entries', () => {
      expect(stack.payments.idempotencyTable).not.toBe(stack.idempotency);
      expect(environmentOf(stack.payments.function)).toMatchObject({
        IDEMPOTENCY_TABLE_NAME: ref(stack.payments.idempotencyTable),
        LEDGER_TABLE_NAME: ref(stack.payments.ledgerTable),
      });
      expect(statementsOf(stack.payments.function)).toEqual([
        logWrites(stack.payments.function),
        { Action: IDEMPOTENCY_ACTIONS, Effect: 'Allow', Resource: arn(stack.payments.idempotencyTable) },
        { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: arn(stack.payments.ledgerTable) },
      ]);
    });

    it('is invoked directly by callers given a policy that allows invoking it and nothing else', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: [{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arn(stack.payments.function) }] },
      });
      // The two queue consumers, the projection and the outbox relay: the payment function has none.
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
    });

    it('has an error alarm', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack.payments.function) }],
      });
    });
  });

  it('has three idempotency-record tables at most: the shared one and the payments one, plus the business tables', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')) as { Properties: Record<string, unknown> }[];
    const withTtl = tables.filter((table) => table.Properties.TimeToLiveSpecification !== undefined);
    expect(withTtl).toHaveLength(2);
    expect(tables).toHaveLength(6);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });
});
