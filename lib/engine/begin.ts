/** What `begin` decides for one invocation: replay, run unprotected, run disabled, or run in a claimed execution. */
import type { Execution } from './execution';
import type { DisabledExecution } from './kill-switch';

/** What `begin` decided for one invocation. */
export type Begin<TResult> =
  /** A stored outcome: return `value` (or throw `error`) without running the work. */
  | { readonly kind: 'replay'; readonly value: TResult }
  /** No key and `onMissingKey: 'run'`: run the work unprotected. */
  | { readonly kind: 'unprotected' }
  /**
   * `EFFECTIVELY_ONCE_DISABLED=true`: run the work inside `execution` (for `step` and `downstreamKey`), without
   * touching the store.
   */
  | { readonly kind: 'disabled'; readonly execution: DisabledExecution }
  /** This invocation runs the work inside `execution`, then calls `execution.complete` or `execution.fail`. */
  | { readonly kind: 'execute'; readonly execution: Execution<TResult> };
