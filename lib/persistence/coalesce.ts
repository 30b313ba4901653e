import { AsyncLocalStorage } from 'node:async_hooks';

/** A call waiting to be sent together with others. */
export interface Pending<I, O> {
  readonly input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Collects the calls made during one turn of the event loop and hands them to `flush` together (after
 * the current I/O callbacks and microtasks, so concurrent callers meet), like a DataLoader. `flush` must
 * settle every pending call; if it throws, the calls it left unsettled are rejected with its error.
 */
export function coalesce<I, O>(flush: (batch: Pending<I, O>[]) => Promise<void>): (input: I) => Promise<O> {
  let pending: Pending<I, O>[] = [];
  return (input) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ input, resolve, reject });
      if (pending.length === 1) {
        setImmediate(() => {
          const batch = pending;
          pending = [];
          flush(batch).catch((error: unknown) => batch.forEach((call) => call.reject(error)));
        });
      }
    });
}

/** Settles a pending call with the outcome of `promise`. */
export function settle<I, O>(call: Pending<I, O>, promise: Promise<O>): Promise<void> {
  return promise.then(
    (output) => call.resolve(output),
    (error: unknown) => call.reject(error),
  );
}

const scopes = new AsyncLocalStorage<Map<object, unknown>>();

/**
 * Runs `work` in a write-batching scope: stores that support it may send the writes that executions make
 * concurrently inside it (the records of one SQS or stream batch) together. Outside a scope, and across
 * scopes, every write is its own request, so unrelated invocations never share a request (nor its fate,
 * nor its trace).
 */
export function withWriteBatching<T>(work: () => Promise<T>): Promise<T> {
  return scopes.run(new Map(), work);
}

/**
 * The coalescer `owner` keeps in the current scope, made by `create` on first use; undefined outside a
 * scope.
 */
export function scopedCoalescer<F>(owner: object, create: () => F): F | undefined {
  const scope = scopes.getStore();
  if (!scope) return undefined;
  let coalescer = scope.get(owner) as F | undefined;
  if (!coalescer) {
    coalescer = create();
    scope.set(owner, coalescer);
  }
  return coalescer;
}
