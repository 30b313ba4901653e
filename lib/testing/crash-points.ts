/**
 * Crash-point instrumentation of `assertIdempotent`: the {@link crashPoint} calls of user code, AWS SDK
 * client middleware that makes each request a crash point, and the per-call bookkeeping that counts the
 * crash points of a call or crashes it at one of them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
} from '@smithy/types';
import { TestKitError } from './errors';
import type { FaultInjectableClient } from './faults';

/** How the first call of `crash-and-retry` crashes. */
export type CrashKind =
  /** The crash point throws {@link SimulatedCrashError}; the code around it (error handlers, releases) still runs. */
  | 'throw'
  /**
   * The process dies: the crash point and every later crash point of that call throw (requests through
   * `clients` are not sent), so no clean-up reaches the store; `recover` then runs before the retry.
   */
  | 'die';

/** The error a crash point throws when the kit crashes the call there. */
export class SimulatedCrashError extends TestKitError {
  public override name = 'SimulatedCrashError';
  /** Label of the crash point. */
  public readonly point: string;
  /** How the call crashes. */
  public readonly kind: CrashKind;

  public constructor(point: string, kind: CrashKind) {
    super(`Simulated crash at "${point}" (${kind === 'die' ? 'the process died' : 'thrown'}; injected by assertIdempotent)`);
    this.point = point;
    this.kind = kind;
  }
}

/** Crash bookkeeping of one call: counting its crash points, or crashing at one of them. */
export class CallControl {
  readonly seen: string[] = [];
  #dead = false;
  crashedAt: string | undefined;

  /**
   * @param crashAt index of the crash point to crash at (in the order they are met); `undefined` only counts.
   * @param kind how the call crashes there.
   */
  public constructor(
    private readonly crashAt: number | undefined,
    private readonly kind: CrashKind,
  ) {}

  /** A control that never crashes: it counts the crash points a call meets (in {@link CallControl.seen}). */
  public static counter(): CallControl {
    return new CallControl(undefined, 'throw');
  }

  /** Called at each crash point; throws when this call crashes here (or died before). */
  public hit(label: string): void {
    if (this.#dead) throw new SimulatedCrashError(label, 'die');
    const index = this.seen.length;
    this.seen.push(label);
    if (index === this.crashAt) {
      this.crashedAt = label;
      if (this.kind === 'die') this.#dead = true;
      throw new SimulatedCrashError(label, this.kind);
    }
  }
}

/** The control of the call running in the current async context (none outside assertIdempotent's calls). */
const calls = new AsyncLocalStorage<{ readonly control: CallControl | undefined }>();

/** Runs `body` as a call whose crash points `control` handles (none when `undefined`). */
export function runInCall<T>(control: CallControl | undefined, body: () => Promise<T>): Promise<T> {
  return calls.run({ control }, body);
}

/**
 * A crash point in your code or your test doubles (a fake payment API, between two steps): inside a call
 * made by {@link assertIdempotent}'s `crash-and-retry` scenario the kit may throw
 * {@link SimulatedCrashError} here; everywhere else (other scenarios, production) it resolves at once.
 * Same as the trial's `crashPoint`, found through the async context so it needs no plumbing.
 */
export async function crashPoint(label = 'crash point'): Promise<void> {
  calls.getStore()?.control?.hit(label);
}

let middlewareCount = 0;

/** Makes every request through `client` a crash point (two with `afterResponse`); returns the remover. */
function instrument(client: FaultInjectableClient, afterResponse: boolean): () => void {
  middlewareCount += 1;
  const name = `effectivelyOnceAssertIdempotent${middlewareCount}`;
  const middleware =
    (next: InitializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: InitializeHandlerArguments<object>): Promise<InitializeHandlerOutput<MetadataBearer>> => {
      const control = calls.getStore()?.control;
      if (control === undefined) return next(args);
      const command = context.commandName ?? 'request';
      control.hit(`${command}: before sending`);
      if (!afterResponse) return next(args);
      let output: InitializeHandlerOutput<MetadataBearer>;
      try {
        output = await next(args);
      } catch (error) {
        control.hit(`${command}: after the response (an error)`);
        throw error;
      }
      control.hit(`${command}: after the response`);
      return output;
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', priority: 'high', name, override: false } as never);
  return () => client.middlewareStack.remove(name);
}

/**
 * Makes every request through `clients` a crash point: before it is sent and, with `afterResponse`, after
 * its response. Returns the function that removes the middleware again.
 */
export function instrumentClients(clients: readonly FaultInjectableClient[], afterResponse: boolean): () => void {
  const removers = clients.map((client) => instrument(client, afterResponse));
  return () => {
    for (const remove of removers) remove();
  };
}
