/** The shape of an SQS event, checked before any record runs: the first thing not as Lambda's SQS event source sends it is named. */
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import type { SqsRecord } from './types';

/** Where to send events of other sources that reach processSqsBatch by mistake. */
const OTHER_PROCESSORS: Readonly<Record<string, string>> = {
  'aws:kinesis': '; use processStreamBatch for Kinesis',
  'aws:dynamodb': '; use processStreamBatch for DynamoDB Streams',
};

/** `arn:PARTITION:sqs:REGION:ACCOUNT:QUEUE_NAME`. */
const SQS_ARN = /^arn:[a-z0-9-]+:sqs:[^:]*:[^:]*:[^:]+$/;

type RecordFields = Partial<Record<keyof SqsRecord, unknown>>;

/** The checks of one record, in order: each says what is wrong with it, or `undefined` when that part is fine. */
const RECORD_RULES: readonly ((r: RecordFields) => string | undefined)[] = [
  (r) =>
    r.eventSource === 'aws:sqs'
      ? undefined
      : `has eventSource ${describe(r.eventSource ?? (r as { EventSource?: unknown }).EventSource)} (expected "aws:sqs"${
          OTHER_PROCESSORS[String(r.eventSource)] ?? ''
        })`,
  (r) =>
    typeof r.messageId === 'string' && r.messageId.length > 0
      ? undefined
      : `has messageId ${describe(r.messageId)} (expected a non-empty string)`,
  (r) => (typeof r.body === 'string' ? undefined : `has body ${describe(r.body)} (expected a string)`),
  (r) =>
    typeof r.eventSourceARN === 'string' && SQS_ARN.test(r.eventSourceARN)
      ? undefined
      : `has eventSourceARN ${describe(r.eventSourceARN)} (expected arn:aws:sqs:REGION:ACCOUNT:QUEUE)`,
  (r) =>
    r.attributes !== null && typeof r.attributes === 'object' ? undefined : `has attributes ${describe(r.attributes)} (expected an object)`,
];

/** What an event without a `Records` array is: its type, or the keys it has instead (the first ten). */
function describeEvent(event: unknown): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return describe(event);
  if ('Records' in event) return `an object whose Records is ${describe(event.Records)}`;
  const keys = Object.keys(event);
  return `an object with keys [${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''}]`;
}

/** What is wrong with one record, or `undefined`. */
function recordProblem(record: unknown): string | undefined {
  if (record === null || typeof record !== 'object') return `is ${describe(record)}`;
  for (const rule of RECORD_RULES) {
    const problem = rule(record);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The event's records, once the event is checked to be an SQS event. */
export function checkEvent(event: unknown): readonly SqsRecord[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (event === null || typeof event !== 'object' || !Array.isArray(records)) {
    throw new IdempotencyConfigError(
      `processSqsBatch expected an SQS event with a Records array, got ${describeEvent(event)}; check the function's event source`,
    );
  }
  records.forEach((record: unknown, index) => {
    const problem = recordProblem(record);
    if (problem !== undefined) {
      throw new IdempotencyConfigError(
        `processSqsBatch expected an SQS event, but record #${index} ${problem}; check the function's event source`,
      );
    }
  });
  return records as SqsRecord[];
}
