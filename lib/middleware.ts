import { enterExecutionHolder, IdempotencyEngine, type DisabledExecution, type Execution, type RecordResolution } from './engine';
import { claimDefaultName, defaultOperationName, invocationInfo } from './engine';
import type { IdempotencyOptions } from './options';
import { resolveOptions } from './config/idempotency';

/** The part of a middy request this middleware uses (middy 4 to 7). */
export interface MiddyRequest<TEvent = unknown, TResult = unknown> {
  event: TEvent;
  context: unknown;
  response: TResult | undefined;
  error: unknown;
  internal: Record<string, unknown>;
  earlyResponse?: TResult;
}

/** A middy middleware object. */
export interface IdempotencyMiddleware<TEvent, TResult> {
  before(request: MiddyRequest<TEvent, TResult>): Promise<TResult | undefined>;
  after(request: MiddyRequest<TEvent, TResult>): Promise<void>;
  onError(request: MiddyRequest<TEvent, TResult>): Promise<void>;
  /**
   * Deletes the in-progress record of this event (a stuck, interrupted `atMostOnce` step), fenced by a
   * take-over; see `IdempotentFunction.release`.
   */
  release(event: TEvent, context?: unknown): Promise<RecordResolution>;
  /** Marks a step of this event's in-progress record done with `result`; see `IdempotentFunction.completeStep`. */
  completeStep(step: string, result: unknown, event: TEvent, context?: unknown): Promise<RecordResolution>;
}

const EXECUTION = Symbol.for('effectively-once.execution');
const HOLDER = Symbol.for('effectively-once.holder');
const DISABLED = Symbol.for('effectively-once.disabled');

/**
 * A middy-compatible middleware with the same options and behaviour as {@link makeIdempotent}:
 * `before` claims (or replays, short-circuiting the handler, `undefined` included), `after` stores the
 * response, `onError` releases the lease (only a lease this invocation holds).
 *
 * Use it as the FIRST middleware so `step`, `commitWith` and `downstreamKey` can find the execution
 * from inside the handler.
 */
export function idempotencyMiddleware<TEvent = unknown, TResult = unknown>(
  options: IdempotencyOptions<[TEvent, unknown], TResult>,
): IdempotencyMiddleware<TEvent, TResult> {
  const defaultName = defaultOperationName('middleware');
  const engine = new IdempotencyEngine<[TEvent, unknown], TResult>(
    resolveOptions<[TEvent, unknown]>(options, defaultName, 'idempotencyMiddleware'),
  );
  const executionOf = (request: MiddyRequest<TEvent, TResult>): Execution<TResult> | undefined => {
    const execution = request.internal[EXECUTION as unknown as string] as Execution<TResult> | undefined;
    const holder = request.internal[HOLDER as unknown as string] as { execution: unknown } | undefined;
    delete request.internal[EXECUTION as unknown as string];
    delete request.internal[HOLDER as unknown as string];
    // The holder may outlive the invocation in the caller's async context: empty it.
    if (holder) holder.execution = undefined;
    return execution;
  };
  const middleware: IdempotencyMiddleware<TEvent, TResult> = {
    before(request) {
      // Synchronously, before any await: the handler that middy calls next inherits this holder.
      const holder = enterExecutionHolder();
      return (async () => {
        const begun = await engine.begin([request.event, request.context], invocationInfo(request.context));
        if (begun.kind === 'replay') {
          // middy 6+ short-circuits on earlyResponse, even for undefined; older versions on a returned value.
          request.earlyResponse = begun.value;
          return begun.value;
        }
        if (begun.kind === 'execute') {
          request.internal[EXECUTION as unknown as string] = begun.execution;
          request.internal[HOLDER as unknown as string] = holder;
          holder.execution = begun.execution;
        } else if (begun.kind === 'disabled') {
          // The kill switch: step and downstreamKey find this execution; after commits its commitWith writes
          // (no record); onError drops them.
          request.internal[DISABLED as unknown as string] = begun.execution;
          request.internal[HOLDER as unknown as string] = holder;
          holder.execution = begun.execution;
        }
        return undefined;
      })();
    },
    async after(request) {
      const disabled = request.internal[DISABLED as unknown as string] as DisabledExecution | undefined;
      delete request.internal[DISABLED as unknown as string];
      if (disabled) await disabled.finish();
      const execution = executionOf(request);
      if (execution) request.response = await execution.complete(request.response as TResult);
    },
    async onError(request) {
      // Only a lease this invocation acquired is released: an error from `before` (in progress, payload
      // mismatch) leaves the other invocation's record alone.
      const execution = executionOf(request);
      if (!execution) return;
      const original = request.error;
      try {
        request.response = await execution.fail(original);
      } catch (error) {
        if (error !== original) request.error = error;
      }
    },
    release: (event, context) => engine.resolveRecord([event, context]),
    completeStep: (step, result, event, context) => engine.resolveRecord([event, context], { name: step, result }),
  };
  if (options.name === undefined) claimDefaultName(defaultName, middleware);
  return middleware;
}
