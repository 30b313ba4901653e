/**
 * One notation for defaults: every `@default` in the TSDoc of lib/ is a literal value (`@default 3600`,
 * `@default 'lease'`) or a description (`@default - the whole first argument`), never the name of a
 * constant users cannot import; and each literal agrees with the constant the code uses.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as defaults from '../../lib/defaults';
import * as http from '../../lib/http/constants';
import * as schema from '../../lib/persistence/schema';
import * as sqs from '../../lib/sqs/defaults';
import * as streams from '../../lib/streams/defaults';
import * as assertIdempotent from '../../lib/testing/assert-idempotent-options';
import * as eventSource from '../../lib/testing/event-source-options';
import * as faults from '../../lib/testing/faults';
import * as lambdaContext from '../../lib/testing/lambda-context';
import * as localDynamo from '../../lib/testing/local-dynamodb';
import * as localSqs from '../../lib/testing/local-sqs';

const constants: Record<string, unknown> = {
  ...defaults,
  ...http,
  ...schema,
  ...sqs,
  ...streams,
  ...assertIdempotent,
  ...eventSource,
  ...faults,
  ...lambdaContext,
  ...localDynamo,
  ...localSqs,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const ROOT = join(__dirname, '../..');

/** Where each defaulted option is documented, and the constant the code uses for it. */
const DOCUMENTED: readonly (readonly [file: string, option: string, constant: string])[] = [
  ['lib/http/options.ts', 'onInProgress', 'DEFAULT_ON_IN_PROGRESS'],
  ['lib/http/options.ts', 'headerName', 'DEFAULT_IDEMPOTENCY_KEY_HEADER'],
  ['lib/http/options.ts', 'requiredFor', 'DEFAULT_KEY_REQUIRED_METHODS'],
  ['lib/http/options.ts', 'problemTypeBase', 'DEFAULT_PROBLEM_TYPE_BASE'],
  ['lib/options.ts', 'expiresAfterSeconds', 'DEFAULT_EXPIRES_AFTER_SECONDS'],
  ['lib/options.ts', 'onInProgress', 'DEFAULT_ON_IN_PROGRESS'],
  ['lib/options.ts', 'onMissingKey', 'DEFAULT_ON_MISSING_KEY'],
  ['lib/options.ts', 'mode', 'DEFAULT_MODE'],
  ['lib/options.ts', 'maxResultBytes', 'DEFAULT_MAX_RESULT_BYTES'],
  ['lib/options.ts', 'clockSkewMs', 'DEFAULT_CLOCK_SKEW_MS'],
  ['lib/options.ts', 'completionRetrySeconds', 'DEFAULT_COMPLETION_RETRY_SECONDS'],
  ['lib/options.ts', 'durableExecutionTimeoutSeconds', 'DEFAULT_DURABLE_EXECUTION_TIMEOUT_SECONDS'],
  ['lib/metrics/emf.ts', 'namespace', 'DEFAULT_EMF_NAMESPACE'],
  ['lib/persistence/dynamodb/options.ts', 'keyAttr', 'DEFAULT_KEY_ATTR'],
  ['lib/persistence/dynamodb/options.ts', 'ttlAttr', 'DEFAULT_TTL_ATTR'],
  ['lib/persistence/dynamodb/options.ts', 'compressAboveBytes', 'DEFAULT_COMPRESS_ABOVE_BYTES'],
  ['lib/persistence/dynamodb/options.ts', 'batchWrites', 'DEFAULT_BATCH_WRITES'],
  ['lib/sqs/options.ts', 'extendBySeconds', 'DEFAULT_VISIBILITY_EXTEND_BY_SECONDS'],
  ['lib/sqs/options.ts', 'concurrency', 'DEFAULT_SQS_CONCURRENCY'],
  ['lib/sqs/options.ts', 'fifoOnFailure', 'DEFAULT_FIFO_ON_FAILURE'],
  ['lib/streams/options.ts', 'concurrency', 'DEFAULT_KAFKA_CONCURRENCY'],
  ['lib/testing/assert-idempotent-options.ts', 'numRuns', 'DEFAULT_IDEMPOTENCY_RUNS'],
  ['lib/testing/assert-idempotent-options.ts', 'maxConcurrency', 'DEFAULT_MAX_CONCURRENCY'],
  ['lib/testing/assert-idempotent-options.ts', 'maxRedeliveries', 'DEFAULT_MAX_REDELIVERIES'],
  ['lib/testing/event-source-options.ts', 'batchSize', 'DEFAULT_BATCH_SIZE'],
  ['lib/testing/event-source-options.ts', 'pollers', 'DEFAULT_POLLERS'],
  ['lib/testing/event-source-options.ts', 'waitTimeSeconds', 'DEFAULT_WAIT_TIME_SECONDS'],
  ['lib/testing/event-source-options.ts', 'timeoutMs', 'DEFAULT_HANDLER_TIMEOUT_MS'],
  ['lib/testing/event-source-options.ts', 'reportBatchItemFailures', 'DEFAULT_REPORT_BATCH_ITEM_FAILURES'],
  ['lib/testing/event-source-options.ts', 'functionName', 'DEFAULT_FUNCTION_NAME'],
  ['lib/testing/faults.ts', 'throttleRate', 'DEFAULT_THROTTLE_RATE'],
  ['lib/testing/faults.ts', 'lostResponseRate', 'DEFAULT_LOST_RESPONSE_RATE'],
  ['lib/testing/faults.ts', 'latencyMs', 'DEFAULT_LATENCY_MS'],
  ['lib/testing/faults.ts', 'throttleErrorName', 'DEFAULT_THROTTLE_ERROR_NAME'],
  ['lib/testing/faults.ts', 'lostResponseError', 'DEFAULT_LOST_RESPONSE_ERROR'],
  ['lib/testing/faults.ts', 'maxFaults', 'DEFAULT_MAX_FAULTS'],
  ['lib/testing/lambda-context.ts', 'functionName', 'DEFAULT_FUNCTION_NAME'],
  ['lib/testing/lambda-context.ts', 'timeoutMs', 'DEFAULT_FUNCTION_TIMEOUT_MS'],
  ['lib/testing/lambda-context.ts', 'region', 'DEFAULT_LAMBDA_REGION'],
  ['lib/testing/lambda-context.ts', 'accountId', 'DEFAULT_ACCOUNT_ID'],
  ['lib/testing/lambda-context.ts', 'memoryLimitInMB', 'DEFAULT_MEMORY_LIMIT_MB'],
  ['lib/testing/local-dynamodb.ts', 'port', 'DEFAULT_LOCAL_PORT'],
  ['lib/testing/local-dynamodb.ts', 'javaPath', 'DEFAULT_JAVA_PATH'],
  ['lib/testing/local-dynamodb.ts', 'startTimeoutMs', 'DEFAULT_DYNAMODB_START_TIMEOUT_MS'],
  ['lib/testing/local-dynamodb.ts', 'keyAttr', 'DEFAULT_KEY_ATTR'],
  ['lib/testing/local-dynamodb.ts', 'ttlAttr', 'DEFAULT_TTL_ATTR'],
  ['lib/testing/local-dynamodb.ts', 'activeTimeoutMs', 'DEFAULT_TABLE_ACTIVE_TIMEOUT_MS'],
  ['lib/testing/local-sqs.ts', 'port', 'DEFAULT_LOCAL_PORT'],
  ['lib/testing/local-sqs.ts', 'region', 'DEFAULT_SQS_REGION'],
];

/** The literal of the `@default` tag in the TSDoc just before `readonly <option>` (or `<option>?:`) in `file`. */
function documentedDefault(file: string, option: string): string | undefined {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const at = source.search(new RegExp(`\\n\\s*(readonly\\s+)?${option}\\??:`));
  if (at < 0) return undefined;
  const doc = source.slice(source.lastIndexOf('/**', at), at);
  return /@default\s+([^\n]+)/.exec(doc)?.[1]?.trim();
}

/** A documented literal as the value it stands for. */
function valueOf(literal: string): unknown {
  const text = literal.replace(/\s+\(.*\)$/, '');
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  return JSON.parse(text.replace(/'/g, '"')) as unknown;
}

describe('documented defaults', () => {
  it('name no constant: each is a literal or a description', () => {
    const named = sources(join(ROOT, 'lib')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/@default[^\n]*`?DEFAULT_[A-Z_]+/g)].map((m) => `${file}: ${m[0]}`),
    );
    expect(named).toEqual([]);
  });

  it.each(DOCUMENTED)('%s: %s is documented as the value of %s', (file, option, constant) => {
    const literal = documentedDefault(file, option);
    expect(literal).toBeDefined();
    expect(literal?.startsWith('-')).toBe(false);
    expect(valueOf(literal as string)).toEqual(constants[constant]);
  });
});
