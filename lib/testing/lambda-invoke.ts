/** Runs a Lambda handler as the Lambda runtime does: a JSON result, and a function timeout. */
import type { Context } from 'aws-lambda';
import { TestKitError } from './errors';

/** How an invocation ended: its result (as JSON would carry it), or why it failed. */
export type Invoked =
  | { readonly kind?: undefined; readonly result: unknown }
  | { readonly kind: 'handler'; readonly error: unknown }
  /** `running` settles when the handler, which is not killed, ends. */
  | { readonly kind: 'timeout'; readonly error: unknown; readonly running: Promise<unknown> };

/**
 * Invokes `handler(event, context)`. Lambda serialises the result to JSON; so does this, so that a result
 * that cannot be sent fails here too. A handler still running after `timeoutMs` fails the invocation with
 * `Task timed out after N seconds`, and keeps running.
 */
export async function invokeHandler<TEvent>(
  handler: (event: TEvent, context: Context) => unknown,
  event: TEvent,
  context: Context,
  timeoutMs: number,
): Promise<Invoked> {
  const run = (async () => handler(event, context))();
  const settled: Promise<Invoked> = run.then(
    (result) => {
      const json = JSON.stringify(result);
      return { result: json === undefined ? undefined : (JSON.parse(json) as unknown) };
    },
    (error: unknown) => ({ kind: 'handler' as const, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Invoked>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          kind: 'timeout',
          error: new TestKitError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`),
          running: settled.catch(() => undefined),
        }),
      timeoutMs,
    );
  });
  const invoked = await Promise.race([settled.catch((error: unknown): Invoked => ({ kind: 'handler', error })), timedOut]);
  clearTimeout(timer);
  return invoked;
}
