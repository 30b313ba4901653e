import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import {
  buildExampleApp,
  EXAMPLE_ACKNOWLEDGEMENTS,
  EXAMPLE_STACK_NAME,
  ORDER_CONSUMER_ENTRY,
  ORDER_RETENTION,
} from '../../bin/example-stack';
import { withFakeDocker } from './support';

/** The parts of CDK's validation-report.json these tests read. */
interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string }[];
    suppressedViolations?: { ruleName: string; acknowledgedId: string; reason: string }[];
  }[];
}

function readReport(dir: string): ValidationReport {
  return JSON.parse(fs.readFileSync(path.join(dir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'eo-example-'));
}

describe('example app (bin/example-stack.ts)', () => {
  // One in-process synth of the real app, shared by the assertions below (bundling costs seconds).
  let outdir: string;
  let dockerCalled: boolean;
  let template: Template;
  let warnings: unknown[];

  beforeAll(() => {
    outdir = tempDir();
    withFakeDocker((marker) => {
      const { app, stack } = buildExampleApp({ outdir });
      const assembly = app.synth();
      const artifact = assembly.getStackArtifact(stack.artifactId);
      template = Template.fromJSON(artifact.template as Record<string, unknown>);
      warnings = artifact.messages.filter((message) => message.level === 'warning').map((message) => message.entry.data);
      dockerCalled = fs.existsSync(marker);
    });
  });

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
    expect(suppressed.map((s) => ({ id: s.acknowledgedId, reason: s.reason }))).toEqual(
      EXAMPLE_ACKNOWLEDGEMENTS.map((a) => ({ id: a.id, reason: a.reason })),
    );
    for (const acknowledgement of EXAMPLE_ACKNOWLEDGEMENTS) {
      expect(acknowledgement.reason.length).toBeGreaterThan(40);
    }
  });

  it('adds no construct warning', () => {
    expect(warnings).toEqual([]);
  });

  it('bundles handlers/order-consumer.ts into the order function', () => {
    expect(ORDER_CONSUMER_ENTRY).toBe(path.resolve(__dirname, '..', '..', 'handlers', 'order-consumer.ts'));
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Handler: 'index.handler' });
    const assets = fs.readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    expect(fs.existsSync(path.join(outdir, assets[0] as string, 'index.js'))).toBe(true);
  });

  it('consumes a FIFO queue with ReportBatchItemFailures, and keeps records as long as messages', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: ORDER_RETENTION.toSeconds() });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  it('fails the synth on an unsuppressed cdk-nag finding (the checks are wired in)', () => {
    const dir = tempDir();
    const { app, stack } = buildExampleApp({ outdir: dir });
    new sqs.Queue(stack, 'Unguarded'); // no dead-letter queue, no SSL enforcement
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
});
