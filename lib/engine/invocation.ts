/** What every adapter needs from an invocation: its Lambda facts and the default namespace of its keys. */
import { IdempotencyConfigError } from '../errors';
import type { InvocationInfo } from './types';

/**
 * Facts of a Lambda invocation, when `context` is a Lambda context, or the `DurableContext` that
 * `withDurableExecution` (`@aws/durable-execution-sdk-js`) passes a handler: its Lambda context gives the
 * remaining time, its `executionContext.durableExecutionArn` the durable execution.
 */
export function invocationInfo(context: unknown): InvocationInfo {
  const durable = durableFacts(context);
  const lambda = durable === undefined ? context : durable.lambdaContext;
  const getRemaining = (lambda as { getRemainingTimeInMillis?: unknown } | null | undefined)?.getRemainingTimeInMillis;
  const arn = durable === undefined ? {} : { durableExecutionArn: durable.arn };
  if (typeof getRemaining !== 'function') return arn;
  const remainingMs = Number(getRemaining.call(lambda));
  // An invocation past its timeout (a late, resumed one) gets the shortest lease, not the 60 s default.
  return Number.isFinite(remainingMs) ? { remainingMs: Math.max(0, remainingMs), ...arn } : arn;
}

/** The durable execution's ARN and Lambda context, when `context` is a durable SDK's `DurableContext`. */
function durableFacts(context: unknown): { arn: string; lambdaContext: unknown } | undefined {
  if (context === null || typeof context !== 'object') return undefined;
  const { executionContext, lambdaContext } = context as { executionContext?: unknown; lambdaContext?: unknown };
  const arn = (executionContext as { durableExecutionArn?: unknown } | null | undefined)?.durableExecutionArn;
  return typeof arn === 'string' && arn.length > 0 ? { arn, lambdaContext } : undefined;
}

/** `<AWS_LAMBDA_FUNCTION_NAME or "local">.<suffix>`: the default namespace of an operation's keys. */
export function defaultOperationName(suffix: string): string {
  return `${process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'local'}.${suffix}`;
}

const defaultNames = new Map<string, unknown>();

/**
 * Two different operations must never share records silently: a default name taken by another
 * function (or middleware instance) in this process is refused.
 */
export function claimDefaultName(name: string, owner: unknown): void {
  const current = defaultNames.get(name);
  if (current !== undefined && current !== owner) {
    throw new IdempotencyConfigError(
      `Two different idempotent operations would share the default name "${name}" and so each other's records; pass a distinct \`name\` option to each`,
    );
  }
  defaultNames.set(name, owner);
}
