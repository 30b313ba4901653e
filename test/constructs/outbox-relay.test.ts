/** OutboxRelay: the stream, its filter, exact grants, the on-failure queue, the alarms, cdk-nag. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConstructValidationError, IdempotencyTable, OutboxRelay } from '../../constructs';
import { newStack, thrownBy } from './support';

function relayStack(stack: Stack = newStack()): {
  stack: Stack;
  table: IdempotencyTable;
  queue: sqs.Queue;
  topic: sns.Topic;
  bus: events.EventBus;
  relay: OutboxRelay;
} {
  const table = new IdempotencyTable(stack, 'Idempotency');
  const deadLetters = new sqs.Queue(stack, 'DownstreamDeadLetters', { fifo: true, enforceSSL: true });
  const queue = new sqs.Queue(stack, 'Downstream', {
    fifo: true,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
  });
  const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
  const bus = new events.EventBus(stack, 'Bus');
  const relay = new OutboxRelay(stack, 'Outbox', { table, queues: [queue], topics: [topic], eventBuses: [bus] });
  return { stack, table, queue, topic, bus, relay };
}

describe('OutboxRelay', () => {
  it('enables the table stream (NEW_IMAGE) and reads it filtered to outbox items, reporting batch item failures', () => {
    const { stack } = relayStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { outbox: { S: [{ exists: true }] } } } }) }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('grants exactly sqs:SendMessage, sns:Publish and events:PutEvents on the named targets', () => {
    const { stack, queue, topic, bus } = relayStack();
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const publishing = statements.filter((s) => ['sqs:SendMessage', 'sns:Publish', 'events:PutEvents'].includes(s.Action as string));
    expect(publishing).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'sqs:SendMessage', Resource: stack.resolve(queue.queueArn) }),
        expect.objectContaining({ Action: 'sns:Publish', Resource: stack.resolve(topic.topicArn) }),
        expect.objectContaining({ Action: 'events:PutEvents', Resource: stack.resolve(bus.eventBusArn) }),
      ]),
    );
    // The relay may also send to its on-failure queue, and nothing else.
    expect(publishing).toHaveLength(4);
  });

  it('alarms on iterator age and on records that failed every retry', () => {
    const { stack } = relayStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 300_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });

  it('refuses a relay without targets, naming the props', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const error = thrownBy(() => new OutboxRelay(stack, 'Outbox', { table }));
    expect(error).toBeInstanceOf(ConstructValidationError);
    expect(error.message).toBe(
      'Expected at least one of `queues`, `topics` or `eventBuses`: the relay may publish only to targets named here (at Test/Outbox)',
    );
  });

  it('refuses a batch size outside 1 to 10000, naming the value', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const queue = new sqs.Queue(stack, 'Q');
    expect(thrownBy(() => new OutboxRelay(stack, 'Outbox', { table, queues: [queue], batchSize: 0 })).message).toMatch(
      /Expected `batchSize` to be an integer from 1 to 10000, got 0/,
    );
  });

  it('has no unsuppressed cdk-nag (AWS Solutions) finding beyond the acknowledged ones', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-relay-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Relay');
    const { relay } = relayStack(stack);
    Validations.of(stack).acknowledge({ id: 'AwsSolutions::AwsSolutions-L1', reason: 'runtime pinned by the library' });
    Validations.of(relay).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams has no resource-level permission',
    });
    Validations.of(relay.failedRecords).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'it is the on-failure destination itself',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
