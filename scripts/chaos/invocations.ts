import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import type { IdempotencyStore } from '../../lib';

/** What one emulated Lambda invocation did to the business events of its batch, with times (epoch ms). */
export interface InvocationTrace {
  readonly id: number;
  readonly startedAt: number;
  /** When its function timeout ends: Lambda stops an invocation there. */
  readonly deadline: number;
  /** When the handler returned or threw (possibly past the deadline: the emulation does not stop it). */
  settledAt: number | undefined;
  /** Business events whose notification (the plain effect) this invocation sent, and when. */
  readonly notified: Map<string, number>;
  /** Business events whose record got an injected crash (thrown or stalled) after its notification. */
  readonly crashedAfterEffect: Set<string>;
  /** Business events whose completion this invocation started to store, and when it first tried. */
  readonly completionStarted: Map<string, number>;
  /** Business events whose completion this invocation stored, and when. */
  readonly completed: Map<string, number>;
  /** Store calls that failed to complete a business event's record: when, and the error's name. */
  readonly completionFailures: Array<{ readonly eventId: string; readonly at: number; readonly error: string }>;
}

/**
 * How each delivery that sent the plain effect ended:
 * - `completed`: its record completed within the invocation's function timeout;
 * - `crashed`: an injected crash (a throw, or a stall past the timeout) landed between the effect and the completion;
 * - `timed-out`: no crash, but the function timeout passed between the effect and the completion (Lambda would
 *   stop the invocation there; `duringCompletion` when the completion had been sent and had not returned);
 * - `not-stored`: none of these, and the invocation returned without its record completed (the completion failed).
 * `crashed` and `timed-out` excuse a repeat (Lambda stops the process at its timeout: a crash at that point,
 * reported apart); `not-stored` does not.
 */
export type PlainEffectFate =
  | { readonly kind: 'completed' | 'crashed' }
  | { readonly kind: 'not-stored'; readonly completionErrors: readonly string[] }
  | { readonly kind: 'timed-out'; readonly duringCompletion: boolean };

/** One delivery (an invocation's handling of one business event) that sent the plain effect. */
export interface PlainEffectDelivery {
  readonly eventId: string;
  readonly invocation: number;
  readonly fate: PlainEffectFate;
}

/** The business event id in a completion's staged ledger writes (the chaos consumer stages the entry first). */
function eventIdOfCompletion(input: unknown): string | undefined {
  const writes = (input as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes)) return undefined;
  for (const write of writes) {
    const eventId = (write as { Put?: { Item?: { eventId?: unknown } } } | null)?.Put?.Item?.eventId;
    if (typeof eventId === 'string') return eventId;
  }
  return undefined;
}

/**
 * Follows the emulated Lambda invocations of a chaos run: their function timeouts, the plain effects they
 * sent, the crashes injected after them and the completions the idempotency store wrote, so that each
 * repeat of the plain effect can be matched with a delivery that died between the effect and the
 * completion.
 */
export class InvocationLog {
  readonly #current = new AsyncLocalStorage<InvocationTrace>();
  readonly #all: InvocationTrace[] = [];

  /** Runs one invocation's work, traced; `context` gives its function timeout. */
  public run<T>(context: Context, work: () => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    const trace: InvocationTrace = {
      id: this.#all.length,
      startedAt,
      deadline: startedAt + context.getRemainingTimeInMillis(),
      settledAt: undefined,
      notified: new Map(),
      crashedAfterEffect: new Set(),
      completionStarted: new Map(),
      completed: new Map(),
      completionFailures: [],
    };
    this.#all.push(trace);
    return this.#current.run(trace, async () => {
      try {
        return await work();
      } finally {
        trace.settledAt = Date.now();
      }
    });
  }

  /** The invocation the caller runs in, if any. */
  public current(): InvocationTrace | undefined {
    return this.#current.getStore();
  }

  /** Why the caller can no longer reach the outside world (its invocation is past its timeout), or undefined. */
  public stoppedReason(): string | undefined {
    const trace = this.current();
    if (trace === undefined || Date.now() <= trace.deadline) return undefined;
    return `invocation ${trace.id} is ${Date.now() - trace.deadline} ms past its function timeout (Lambda has stopped it)`;
  }

  /** Notes that the current invocation sent the plain effect of `eventId`. */
  public notified(eventId: string): void {
    const trace = this.current();
    if (trace !== undefined && !trace.notified.has(eventId)) trace.notified.set(eventId, Date.now());
  }

  /** Notes that the current invocation crashed after sending the plain effect of `eventId`. */
  public crashedAfterEffect(eventId: string): void {
    this.current()?.crashedAfterEffect.add(eventId);
  }

  /**
   * The same store, with its completions traced (a Proxy: every other member is the store's own, bound to
   * it, so the store's request batching and private state are untouched).
   */
  public observe(store: IdempotencyStore): IdempotencyStore {
    const complete: IdempotencyStore['complete'] = async (input) => {
      const trace = this.current();
      const eventId = eventIdOfCompletion(input);
      if (trace !== undefined && eventId !== undefined && !trace.completionStarted.has(eventId)) {
        trace.completionStarted.set(eventId, Date.now());
      }
      try {
        await store.complete(input);
      } catch (error) {
        if (trace !== undefined && eventId !== undefined) {
          trace.completionFailures.push({ eventId, at: Date.now(), error: error instanceof Error ? error.name : String(error) });
        }
        throw error;
      }
      if (trace !== undefined && eventId !== undefined && !trace.completed.has(eventId)) trace.completed.set(eventId, Date.now());
    };
    return new Proxy(store, {
      get(target, property) {
        if (property === 'complete') return complete;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Every delivery that sent the plain effect, with how it ended (call once the invocations have settled). */
  public plainEffectDeliveries(): PlainEffectDelivery[] {
    const deliveries: PlainEffectDelivery[] = [];
    for (const trace of this.#all) {
      for (const eventId of trace.notified.keys()) {
        deliveries.push({ eventId, invocation: trace.id, fate: fateOf(trace, eventId) });
      }
    }
    return deliveries;
  }

  /** The traces of every invocation so far, oldest first. */
  public traces(): readonly InvocationTrace[] {
    return this.#all;
  }
}

function fateOf(trace: InvocationTrace, eventId: string): PlainEffectFate {
  const completedAt = trace.completed.get(eventId);
  if (completedAt !== undefined && completedAt <= trace.deadline) return { kind: 'completed' };
  if (trace.crashedAfterEffect.has(eventId)) return { kind: 'crashed' };
  if (trace.settledAt === undefined || trace.settledAt > trace.deadline) {
    const startedAt = trace.completionStarted.get(eventId);
    return { kind: 'timed-out', duringCompletion: startedAt !== undefined && startedAt <= trace.deadline };
  }
  const completionErrors = trace.completionFailures.filter((failure) => failure.eventId === eventId).map((failure) => failure.error);
  return { kind: 'not-stored', completionErrors };
}
