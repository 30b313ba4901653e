/**
 * The documented defaults of the construct props. Each optional prop's TSDoc carries exactly one
 * `@default`, in one notation (aws-cdk-lib's): a literal (`5`, `true`, `Duration.seconds(30)`,
 * `RemovalPolicy.RETAIN`) or `- <description>` for a computed one. Every literal is checked here against
 * the behaviour: the construct is synthesized with the prop omitted and the template must carry the
 * literal's value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { MultiRegionConsistency } from 'aws-cdk-lib/aws-dynamodb';
import { CONSUMER_WARNINGS, IdempotencyTable, IdempotentQueueConsumer, OutboxRelay } from '../../constructs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IdempotentQueueConsumerProps } from '../../constructs';
import { annotationsOf, FIXTURE_HANDLER, newStack, templateOf } from './support';

const CONSTRUCTS_DIR = path.join(__dirname, '..', '..', 'constructs');

interface DocumentedProp {
  /** `Interface.prop`, e.g. `IdempotentQueueConsumerProps.batchSize`. */
  readonly key: string;
  /** The `@default` text, joined onto one line; undefined when the prop has none. */
  readonly text: string | undefined;
  /** How many `@default` tags its TSDoc has. */
  readonly tags: number;
}

/** Every optional prop of every exported props or attributes interface of constructs/, with its `@default`. */
function documentedProps(): DocumentedProp[] {
  const props: DocumentedProp[] = [];
  for (const file of fs.readdirSync(CONSTRUCTS_DIR).filter((f) => f.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(CONSTRUCTS_DIR, file), 'utf8');
    for (const block of source.matchAll(/export interface (\w+(?:Props|Attributes))\b[^{]*\{([\s\S]*?)\n\}/g)) {
      const [, name, body] = block as unknown as [string, string, string];
      for (const prop of body.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*readonly (\w+)\?:/g)) {
        const [, doc, propName] = prop as unknown as [string, string, string];
        const tags = [...doc.matchAll(/@default\b/g)].length;
        const match = /@default ((?:(?!\*\/)[\s\S])*)\*\//.exec(doc);
        const text = match?.[1]?.replace(/\n\s*\*\s*/g, ' ').trim();
        props.push({ key: `${name}.${propName}`, text, tags });
      }
    }
  }
  return props;
}

const PROPS = documentedProps();

/** Whether `text` is a literal default (not `- <description>`, not malformed). */
function isLiteral(text: string | undefined): boolean {
  try {
    return literal(text ?? '') !== undefined;
  } catch {
    return false;
  }
}

/** The literal notations, evaluated. `undefined` for `- <description>`. */
function literal(text: string): unknown {
  if (text.startsWith('- ')) return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  const duration = /^Duration\.(seconds|minutes|hours|days)\((\d+)\)$/.exec(text);
  if (duration) return Duration[duration[1] as 'seconds' | 'minutes' | 'hours' | 'days'](Number(duration[2]));
  const policy = /^RemovalPolicy\.(RETAIN|DESTROY|SNAPSHOT|RETAIN_ON_UPDATE_OR_DELETE)$/.exec(text);
  if (policy) return RemovalPolicy[policy[1] as keyof typeof RemovalPolicy];
  const consistency = /^MultiRegionConsistency\.(STRONG|EVENTUAL)$/.exec(text);
  if (consistency) return MultiRegionConsistency[consistency[1] as keyof typeof MultiRegionConsistency];
  throw new Error(`@default ${text} is neither a literal nor "- <description>"`);
}

function consumerStack(props: Partial<IdempotentQueueConsumerProps> = {}): ReturnType<typeof newStack> {
  const stack = newStack();
  new IdempotentQueueConsumer(stack, 'Consumer', { entry: FIXTURE_HANDLER, ...props });
  return stack;
}

function tableStack(): ReturnType<typeof newStack> {
  const stack = newStack();
  new IdempotencyTable(stack, 'Idempotency');
  return stack;
}

function relayStack(): ReturnType<typeof newStack> {
  const stack = newStack();
  const table = new IdempotencyTable(stack, 'Idempotency');
  new OutboxRelay(stack, 'Outbox', { table, queues: [new sqs.Queue(stack, 'Downstream')] });
  return stack;
}

const DELETION_POLICIES: Partial<Record<RemovalPolicy, string>> = {
  [RemovalPolicy.RETAIN]: 'Retain',
  [RemovalPolicy.DESTROY]: 'Delete',
  [RemovalPolicy.SNAPSHOT]: 'Snapshot',
};

/** For each prop with a literal default: synthesize with the prop omitted, assert the literal's effect. */
const LITERAL_DEFAULT_CHECKS: Record<string, (value: never) => void> = {
  'OutboxRelayProps.batchSize': (value: number) => {
    templateOf(relayStack()).hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: value });
  },
  'OutboxRelayProps.retryAttempts': (value: number) => {
    templateOf(relayStack()).hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRetryAttempts: value });
  },
  'OutboxRelayProps.iteratorAgeAlarmThreshold': (value: Duration) => {
    templateOf(relayStack()).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: value.toMilliseconds(),
    });
  },
  'OutboxRelayProps.timeout': (value: Duration) => {
    templateOf(relayStack()).hasResourceProperties('AWS::Lambda::Function', { Timeout: value.toSeconds() });
  },
  'IdempotencyTableProps.removalPolicy': (value: RemovalPolicy) => {
    templateOf(tableStack()).hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: DELETION_POLICIES[value],
      UpdateReplacePolicy: DELETION_POLICIES[value],
    });
  },
  'IdempotencyTableProps.multiRegionConsistency': (value: MultiRegionConsistency) => {
    const stack = newStack({ region: 'us-east-1' });
    new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
    templateOf(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', { MultiRegionConsistency: value });
  },
  'IdempotencyTableProps.pointInTimeRecovery': (value: boolean) => {
    templateOf(tableStack()).hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: value },
    });
  },
  'IdempotentQueueConsumerProps.timeout': (value: Duration) => {
    templateOf(consumerStack()).hasResourceProperties('AWS::Lambda::Function', { Timeout: value.toSeconds() });
  },
  'IdempotentQueueConsumerProps.fifo': (value: boolean) => {
    const template = templateOf(consumerStack());
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: value ? true : Match.absent(),
      RedrivePolicy: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: value ? true : Match.absent(),
      RedrivePolicy: Match.absent(),
    });
  },
  'IdempotentQueueConsumerProps.batchSize': (value: number) => {
    templateOf(consumerStack()).hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: value });
  },
  'IdempotentQueueConsumerProps.maxReceiveCount': (value: number) => {
    templateOf(consumerStack()).hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: value }),
    });
  },
  'IdempotentQueueConsumerProps.retentionPeriod': (value: Duration) => {
    templateOf(consumerStack()).hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: value.toSeconds(),
      RedrivePolicy: Match.anyValue(),
    });
  },
  'IdempotentQueueConsumerProps.idempotencyRetention': (value: Duration) => {
    // No template property: the default is what the retention warning compares the queue's retention with.
    const retentionWarnings = (retentionPeriod: Duration): unknown[] =>
      annotationsOf(consumerStack({ retentionPeriod }))
        .findWarning('/Test/Consumer', Match.stringLikeRegexp('^idempotencyRetention'))
        .map((entry) => entry.entry.data);
    expect(retentionWarnings(value)).toEqual([]);
    expect(retentionWarnings(value.plus(Duration.minutes(1)))).toEqual([
      expect.stringContaining(`idempotencyRetention (${value.toHumanString()}) is shorter than`),
    ]);
    expect(String(retentionWarnings(value.plus(Duration.minutes(1)))[0])).toContain(CONSUMER_WARNINGS.idempotencyRetentionShort);
  },
  'IdempotentQueueConsumerProps.oldestMessageAgeAlarmThreshold': (value: Duration) => {
    templateOf(consumerStack()).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: value.toSeconds(),
    });
  },
};

describe('construct defaults', () => {
  it('finds the props of both constructs', () => {
    const keys = PROPS.map((prop) => prop.key);
    expect(keys).toEqual(expect.arrayContaining(['IdempotencyTableProps.removalPolicy', 'IdempotentQueueConsumerProps.table']));
    expect(keys.length).toBeGreaterThan(20);
  });

  it('document exactly one default on every optional prop', () => {
    expect(PROPS.filter((prop) => prop.tags !== 1 || prop.text === undefined).map((prop) => prop.key)).toEqual([]);
  });

  it('write every default as a literal or as "- <description>", naming no internal constant', () => {
    for (const { key, text } of PROPS) {
      expect({ key, notation: isLiteral(text) || (text ?? '').startsWith('- ') }).toEqual({ key, notation: true });
      expect({ key, constant: /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/.exec(text ?? '')?.[0] }).toEqual({ key, constant: undefined });
    }
  });

  it('check every literal default against a synthesized template', () => {
    const literalKeys = PROPS.filter((prop) => isLiteral(prop.text)).map((prop) => prop.key);
    expect(literalKeys.sort()).toEqual(Object.keys(LITERAL_DEFAULT_CHECKS).sort());
  });

  describe.each(PROPS.filter((prop) => isLiteral(prop.text)).map((prop) => [prop.key, prop.text as string]))(
    '%s (@default %s)',
    (key, text) => {
      it('holds when the prop is omitted', () => {
        (LITERAL_DEFAULT_CHECKS[key] as (value: unknown) => void)(literal(text));
      });
    },
  );
});
