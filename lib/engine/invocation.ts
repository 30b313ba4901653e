/** What every adapter needs from an invocation: its Lambda facts and the default namespace of its keys. */
import { IdempotencyConfigError } from '../errors';
import type { InvocationInfo } from './types';

/** Facts of a Lambda invocation, when `context` is a Lambda context. */
export function invocationInfo(context: unknown): InvocationInfo {
  const getRemaining = (context as { getRemainingTimeInMillis?: unknown } | null | undefined)?.getRemainingTimeInMillis;
  if (typeof getRemaining !== 'function') return {};
  const remainingMs = Number(getRemaining.call(context));
  // An invocation past its timeout (a late, resumed one) gets the shortest lease, not the 60 s default.
  return Number.isFinite(remainingMs) ? { remainingMs: Math.max(0, remainingMs) } : {};
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
