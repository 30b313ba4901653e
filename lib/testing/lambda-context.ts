import { randomUUID } from 'node:crypto';
import { TestKitConfigError } from './errors';
import type { LambdaContext } from './lambda-types';

/** Function name of contexts built by {@link createLambdaContext} when none is given. */
export const DEFAULT_FUNCTION_NAME = 'local-function';
/** Function timeout in milliseconds of contexts built by {@link createLambdaContext} (Lambda's default, 3 s). */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 3_000;
/** Memory size of contexts built by {@link createLambdaContext} (Lambda's default). */
export const DEFAULT_MEMORY_LIMIT_MB = 128;
/** Account id in the ARNs the kit builds when none is known. */
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** Region of contexts and events the kit builds when none is given. */
export const DEFAULT_LAMBDA_REGION = 'us-east-1';

/** Options of {@link createLambdaContext}. */
export interface LambdaContextOptions {
  /**
   * The function name (also in the ARN and the log group name).
   * @default 'local-function'
   */
  readonly functionName?: string;
  /**
   * The function timeout in milliseconds: `getRemainingTimeInMillis()` counts down from it.
   * @default 3000
   */
  readonly timeoutMs?: number;
  /**
   * Region in the function ARN.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * Account id in the function ARN.
   * @default '123456789012'
   */
  readonly accountId?: string;
  /**
   * Memory size in MB.
   * @default 128
   */
  readonly memoryLimitInMB?: number;
  /**
   * The request id.
   * @default - a new random UUID
   */
  readonly awsRequestId?: string;
  /**
   * Clock used for the deadline (milliseconds since the epoch).
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Builds a Lambda `Context` like the Node.js runtime passes: `getRemainingTimeInMillis()` counts down
 * from `timeoutMs` starting now (never below 0).
 */
export function createLambdaContext(options: LambdaContextOptions = {}): LambdaContext {
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TestKitConfigError(`Expected \`timeoutMs\` to be a positive number, got \`${String(timeoutMs)}\``);
  }
  const region = options.region ?? DEFAULT_LAMBDA_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const now = options.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const awsRequestId = options.awsRequestId ?? randomUUID();
  const day = new Date(now()).toISOString().slice(0, 10).replace(/-/g, '/');
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is deprecated and not supported by the local context; return or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? DEFAULT_MEMORY_LIMIT_MB),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
