/**
 * The Lambda and SQS client shapes of the kit's public types, declared here structurally so that the kit's
 * declarations compile without `@types/aws-lambda` and `@aws-sdk/client-sqs` (a project with
 * `skipLibCheck: false` that only uses the DynamoDB helpers installs neither). They are structurally
 * `@types/aws-lambda`'s `Context` and a subset of `SQSClient`: the real types fit where these are asked for.
 */

/** A Lambda `Context` (`@types/aws-lambda`'s `Context`, which it is assignable to). */
export interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis(): number;
  /** @deprecated Return or throw instead. */
  done(error?: Error, result?: unknown): void;
  /** @deprecated Throw instead. */
  fail(error: Error | string): void;
  /** @deprecated Return instead. */
  succeed(messageOrObject: unknown, object?: unknown): void;
}

/** An AWS SDK v3 command whose output is `Output` (any `XxxCommand` of an SDK client). */
export interface AwsCommandLike<Output> {
  resolveMiddleware(...args: never[]): (args: never) => Promise<{ output: Output }>;
}

/** An `SQSClient` of `@aws-sdk/client-sqs`, as far as the kit uses it: `send` keeps each command's output type. */
export interface LocalSqsClient {
  send<Output>(command: AwsCommandLike<Output>): Promise<Output>;
  destroy(): void;
}

/** Where the records of an event come from, and the function that receives them. */
export interface InvocationTarget {
  /** The queue ARN. */
  readonly eventSourceArn: string;
  readonly region: string;
  readonly functionName: string;
  readonly timeoutMs: number;
}
