/** Internal: the function {@link IdempotentQueueConsumer} bundles from `entry`, with its role and log group. */
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLING_EXTERNAL_MODULES, DEFAULT_ARCHITECTURE, DEFAULT_LOG_RETENTION, DEFAULT_RUNTIME, FUNCTION_ENVIRONMENT } from './defaults';
import type { ConsumerFunctionProps } from './idempotent-queue-consumer-props';

/**
 * A `NodejsFunction` bundled by the local esbuild (never Docker), minified with source maps, `@aws-sdk/*`
 * left to the runtime; its own log group and a role allowed to write only there, unless
 * `functionProps` gives them. `kind` says what the function is, in its role's description.
 */
export function createConsumerFunction(
  scope: Construct,
  entry: string,
  timeout: Duration,
  functionProps: ConsumerFunctionProps = {},
  kind = 'consumer',
): lambda.Function {
  const { bundling, ...rest } = functionProps;
  const logGroup = rest.logGroup ?? new logs.LogGroup(scope, 'FunctionLogGroup', { retention: DEFAULT_LOG_RETENTION });
  // A role scoped to this function's log group instead of the AWSLambdaBasicExecutionRole managed policy.
  const executionRole =
    rest.role ??
    new iam.Role(scope, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${kind} ${scope.node.path}`,
    });
  // The log group ARN ends in `:*`, which covers its log streams.
  iam.Grant.addToPrincipal({
    grantee: executionRole,
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resourceArns: [logGroup.logGroupRef.logGroupArn],
  });
  return new nodejs.NodejsFunction(scope, 'Function', {
    runtime: DEFAULT_RUNTIME,
    architecture: DEFAULT_ARCHITECTURE,
    ...rest,
    environment: { ...FUNCTION_ENVIRONMENT, ...rest.environment },
    entry,
    timeout,
    role: executionRole,
    logGroup,
    bundling: {
      minify: true,
      sourceMap: true,
      externalModules: [...BUNDLING_EXTERNAL_MODULES],
      ...bundling,
      forceDockerBundling: false,
    },
  });
}
