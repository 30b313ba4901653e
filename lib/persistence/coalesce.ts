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

/**
 * A write-batching scope: the coalescers of the stores written to inside it (one batch's records). Opaque to
 * everything but this module.
 */
export interface WriteBatch {
  readonly coalescers: Map<object, unknown>;
}

/**
 * The scope of the store call being made, set only for the synchronous span of {@link inWriteBatch} (no
 * `AsyncLocalStorage`: on Node 20 and 22 every enabled one costs every promise of the process a hook, the
 * SDK's included). Whoever makes a store call carries its scope and makes the call through `inWriteBatch`;
 * a store that batches reads it, synchronously, as the call starts ({@link scopedCoalescer}).
 */
let current: WriteBatch | undefined;

/** A new write-batching scope. */
export function newWriteBatch(): WriteBatch {
  return { coalescers: new Map() };
}

/** The scope of the store call being made (or of {@link withWriteBatching}'s synchronous span), if any. */
export function currentWriteBatch(): WriteBatch | undefined {
  return current;
}

/**
 * Calls `call` (a store call) with `scope` as the current write-batching scope for its synchronous span:
 * what it starts before its first `await` sees the scope. `undefined`: no scope, every write alone.
 */
export function inWriteBatch<T>(scope: WriteBatch | undefined, call: () => T): T {
  if (scope === current) return call();
  const outer = current;
  current = scope;
  try {
    return call();
  } finally {
    current = outer;
  }
}

/**
 * Runs `work` in a new write-batching scope: the idempotent executions it begins synchronously (before its
 * first `await`; the engine keeps the scope for every write of the execution) may send their concurrent
 * writes together (the records of one SQS or stream batch). Outside a scope, and across scopes, every write
 * is its own request, so unrelated invocations never share a request (nor its fate, nor its trace).
 */
export function withWriteBatching<T>(work: () => Promise<T>): Promise<T> {
  return inWriteBatch(newWriteBatch(), work);
}

/**
 * The coalescer `owner` keeps in the current scope, made by `create` on first use; undefined outside a
 * scope. A store calls it synchronously as its call starts: after an `await` the scope is gone.
 */
export function scopedCoalescer<F>(owner: object, create: () => F): F | undefined {
  const scope = current;
  if (!scope) return undefined;
  let coalescer = scope.coalescers.get(owner) as F | undefined;
  if (!coalescer) {
    coalescer = create();
    scope.coalescers.set(owner, coalescer);
  }
  return coalescer;
}
