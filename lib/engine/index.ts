/**
 * The one execution lifecycle: claim → run → complete or fail → replay, for every adapter. Adapters plug in
 * through {@link LifecycleHooks}; they never drive the steps themselves.
 */
export { IdempotencyEngine } from './engine';
export { Execution } from './execution';
export { DisabledExecution } from './kill-switch';
export { currentExecution, enterExecutionHolder } from './context';
export { claimDefaultName, defaultOperationName, invocationInfo } from './invocation';
export { checkFingerprint } from './identity';
export type { Begin } from './begin';
export type { StepOptions } from './context';
export type { InvocationInfo, LeaseHolder, LifecycleHooks, RecordResolution } from './types';
