import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeHandlerOutput,
  HandlerExecutionContext,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';
import { nonEmptyString, numberIn, oneOf, satisfies } from '../config/checks';
import { atPath, defineOptions, type At, type Check, type SameKeys } from '../config/spec';
import { TestKitConfigError } from './errors';
import { fakeRequestId, networkError, throttlingError, unreachableError } from './fault-errors';
import { sleep } from '../time';

/** Name of the throttling error thrown when `throttleErrorName` is not given. */
export const DEFAULT_THROTTLE_ERROR_NAME = 'ThrottlingException';
/** Network error a lost response surfaces as when `lostResponseError` is not given. */
export const DEFAULT_LOST_RESPONSE_ERROR = 'ECONNRESET';
/** Probability of a throttling error per request when `throttleRate` is not given. */
export const DEFAULT_THROTTLE_RATE = 0;
/** Probability of a lost response per request when `lostResponseRate` is not given. */
export const DEFAULT_LOST_RESPONSE_RATE = 0;
/** Added latency per request, in milliseconds, when `latencyMs` is not given. */
export const DEFAULT_LATENCY_MS = 0;
/** Most faults (throttles plus lost responses) injected when `maxFaults` is not given: no limit. */
export const DEFAULT_MAX_FAULTS = Number.POSITIVE_INFINITY;

/** Middleware name prefix, so that several injectors can sit on one client. */
const MIDDLEWARE_NAME = 'effectivelyOnceFaultInjection';
let injectorCount = 0;

/** Options of {@link withFaults}. */
export interface FaultOptions {
  /**
   * Seed of the pseudo-random generator: the same seed injects the same faults into the same sequence of
   * requests (each SDK attempt, retries included, is one request).
   */
  readonly seed: number;
  /**
   * Probability (0 to 1) that a request fails with a throttling error before it is sent. The error is
   * shaped like the SDK's (HTTP 400, `$fault: 'client'`, `$metadata`), so the SDK's retry strategy retries
   * it with its throttling backoff.
   * @default 0
   */
  readonly throttleRate?: number;
  /**
   * Probability (0 to 1) that a request is sent and applied but its response is lost: the caller sees a
   * network error the SDK retries, so the retry meets the effect of its own first attempt.
   * @default 0
   */
  readonly lostResponseRate?: number;
  /**
   * Latency added before each request, in milliseconds: a number, or `[min, max]` for a seeded uniform
   * draw in that range.
   * @default 0
   */
  readonly latencyMs?: number | readonly [number, number];
  /**
   * Only requests of these commands get faults, named as the SDK reports them in `context.commandName`
   * (e.g. `GetItemCommand`, `PutItemCommand`, `TransactWriteItemsCommand`; the DynamoDB document client's
   * `PutCommand` runs as `PutItemCommand`).
   * @default - every command
   */
  readonly commands?: readonly string[];
  /**
   * Name of the throttling error. On a DynamoDB client an exception class of that name from
   * `@aws-sdk/client-dynamodb` is used (so `instanceof` works), e.g. `ProvisionedThroughputExceededException`.
   * @default 'ThrottlingException'
   */
  readonly throttleErrorName?: string;
  /**
   * The network error a lost response surfaces as: a socket reset (`ECONNRESET`) or the SDK's
   * `TimeoutError`. Both are retried by the SDK.
   * @default 'ECONNRESET'
   */
  readonly lostResponseError?: 'ECONNRESET' | 'TimeoutError';
  /**
   * Stop injecting throttles and lost responses after this many (latency is not counted).
   * @default Infinity (no limit)
   */
  readonly maxFaults?: number;
  /**
   * Probability (0 to 1) that a request is sent and applied at once but its answer reaches the caller only
   * after `slowAnswerMs`: a slow network, a paused process, a long GC. Drawn from a generator of its own, so
   * adding it keeps the throttles and lost responses a seed gives.
   * @default 0
   */
  readonly slowAnswerRate?: number;
  /**
   * How late a slow answer (`slowAnswerRate`) arrives, in milliseconds: a number, or `[min, max]` for a
   * seeded uniform draw in that range.
   * @default 0
   */
  readonly slowAnswerMs?: number | readonly [number, number];
  /**
   * Windows of time, in milliseconds from the call to `withFaults`, during which every request fails
   * before it is sent: with a throttling error (`'throttle'`, see `throttleErrorName`) or as if the service
   * were down (`'unreachable'`: the connection is refused). The SDK retries both. Not counted in `maxFaults`.
   * @default [] (no outage)
   */
  readonly outages?: readonly FaultOutage[];
}

/** A window of time during which every request fails (see {@link FaultOptions.outages}). */
export interface FaultOutage {
  /** Start of the window, in milliseconds from the call to `withFaults`. */
  readonly fromMs: number;
  /** End of the window (exclusive), in milliseconds from the call to `withFaults`. */
  readonly toMs: number;
  /**
   * How requests fail in the window.
   * @default 'throttle'
   */
  readonly as?: 'throttle' | 'unreachable';
}

/** Counts of what {@link withFaults} injected so far. */
export interface InjectedFaults {
  /** Requests that went through the injector (matching `commands`). */
  readonly requests: number;
  /** Requests failed with a throttling error before they were sent. */
  readonly throttled: number;
  /** Requests sent whose response was replaced by a network error. */
  readonly lostResponses: number;
  /** Requests delayed by `latencyMs`. */
  readonly delayed: number;
  /** Requests whose answer was delayed by `slowAnswerMs`. */
  readonly slowAnswers: number;
  /** Requests failed because they fell in an outage window. */
  readonly outaged: number;
}

/** Handle returned by {@link withFaults}. */
export interface FaultInjector {
  /** What was injected so far (a snapshot). */
  injected(): InjectedFaults;
  /** Takes the middleware off the client. Idempotent. */
  remove(): void;
}

/** Any AWS SDK v3 client (or DynamoDB document client): what fault injection needs of it. */
export interface FaultInjectableClient {
  // Method syntax keeps the parameter bivariant, so every client's stack type is accepted.
  readonly middlewareStack: MiddlewareStack<object, MetadataBearer>;
  readonly config?: { readonly serviceId?: string };
}

/** mulberry32: a tiny, fast, seeded 32-bit PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Milliseconds: a number >= 0, or `[min, max]` with 0 <= min <= max. */
const millis: Check<number | readonly [number, number]> = (value: unknown, at: At) => {
  const ms = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  const valid = Array.isArray(value) ? value.length === 2 && value.every(ms) && (value[0] as number) <= (value[1] as number) : ms(value);
  if (!valid) at.refuse('to be a number >= 0 or [min, max] with 0 <= min <= max', value);
  return value as number | readonly [number, number];
};

const outageList: Check<readonly FaultOutage[]> = satisfies(
  "to be a list of { fromMs, toMs, as? } with 0 <= fromMs <= toMs and as 'throttle' or 'unreachable'",
  (outages) =>
    Array.isArray(outages) &&
    outages.every((o: FaultOutage | null) => {
      if (o === null || typeof o !== 'object') return false;
      const window = Number.isFinite(o.fromMs) && Number.isFinite(o.toMs) && o.fromMs >= 0 && o.toMs >= o.fromMs;
      return window && (o.as === undefined || o.as === 'throttle' || o.as === 'unreachable');
    }),
);

/** Every option of `withFaults`, declared once. */
const FAULT_OPTIONS = /* @__PURE__ */ defineOptions(
  'withFaults',
  {
    seed: { check: satisfies<number>('to be an integer', Number.isInteger), required: true, doc: 'seed of the pseudo-random generator' },
    throttleRate: { check: numberIn(0, 1), default: DEFAULT_THROTTLE_RATE, doc: 'probability of a throttling error' },
    lostResponseRate: { check: numberIn(0, 1), default: DEFAULT_LOST_RESPONSE_RATE, doc: 'probability of a lost response' },
    latencyMs: {
      check: millis,
      default: DEFAULT_LATENCY_MS,
      doc: 'latency added before each request',
    },
    commands: {
      check: satisfies<readonly string[]>(
        "to be a list of command names like 'GetItemCommand'",
        (value) => Array.isArray(value) && value.every((name) => typeof name === 'string' && name !== ''),
      ),
      doc: 'only requests of these commands get faults',
    },
    throttleErrorName: {
      check: nonEmptyString(' (an error name)'),
      default: DEFAULT_THROTTLE_ERROR_NAME,
      doc: 'name of the throttling error',
    },
    lostResponseError: {
      check: oneOf(['ECONNRESET', 'TimeoutError']),
      default: DEFAULT_LOST_RESPONSE_ERROR,
      doc: 'the network error a lost response surfaces as',
    },
    maxFaults: {
      check: satisfies<number>(
        'to be an integer >= 0',
        (value) => value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && (value as number) >= 0),
      ),
      default: DEFAULT_MAX_FAULTS,
      doc: 'throttles and lost responses injected at most',
    },
    slowAnswerRate: { check: numberIn(0, 1), default: 0, doc: 'probability of a slow answer' },
    slowAnswerMs: { check: millis, default: 0, doc: 'how late a slow answer arrives' },
    outages: { check: outageList, default: [] as readonly FaultOutage[], doc: 'windows of time during which every request fails' },
  },
  TestKitConfigError,
);
const _faultKeys: SameKeys<FaultOptions, typeof FAULT_OPTIONS.spec> = true;

/** A number of milliseconds or a `[min, max]` range, drawn with `draw` in [0, 1). */
function drawMs(range: number | readonly [number, number], draw: number): number {
  const [min, max] = typeof range === 'number' ? [range, range] : range;
  return Math.round(min + (max - min) * draw);
}

/**
 * Adds seeded, reproducible fault injection to an AWS SDK v3 client (DynamoDB, DynamoDB document client,
 * SQS, ...) through its middleware stack. The middleware sits right after the SDK's retry middleware, so
 * every attempt passes through it and the SDK's own retry strategy sees and retries the faults:
 *
 * - throttling: the request is not sent; a throttling error (see `throttleErrorName`) is thrown;
 * - lost response: the request IS sent and applied, then the caller sees a network error instead of the
 *   response (or of the service's error); the SDK retries, meeting the effect of its own first attempt;
 * - latency: each request waits `latencyMs` first.
 *
 * Each request draws three numbers from a mulberry32 generator seeded with `seed`, whatever the rates,
 * so one seed reproduces the same faults for the same sequence of requests.
 *
 * @throws TestKitConfigError naming the option and the value when an option is invalid.
 */
export function withFaults(client: FaultInjectableClient, options: FaultOptions): FaultInjector {
  if (client === null || typeof client !== 'object' || typeof client.middlewareStack?.add !== 'function') {
    atPath('client', TestKitConfigError).refuse('to be an AWS SDK v3 client', client);
  }
  const faults = new Faults(FAULT_OPTIONS.resolve(options), client.config?.serviceId);
  const middleware =
    (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<MetadataBearer>> =>
      faults.handle(next, context, args);

  injectorCount += 1;
  const name = `${MIDDLEWARE_NAME}${injectorCount}`;
  const stack = client.middlewareStack;
  const hasRetry = stack.identify().some((entry) => entry.startsWith('retryMiddleware'));
  if (hasRetry) {
    stack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name, override: false });
  } else {
    stack.add(middleware, { step: 'finalizeRequest', priority: 'normal', name, override: false });
  }

  let removed = false;
  return {
    injected: () => ({ ...faults.counts }),
    remove: () => {
      if (removed) return;
      removed = true;
      stack.remove(name);
    },
  };
}

type Next = FinalizeHandler<object, MetadataBearer>;
type Output = FinalizeHandlerOutput<MetadataBearer>;

/** One injector's faults: its generators, what it injected so far, and what it does to each request. */
class Faults {
  public readonly counts = { requests: 0, throttled: 0, lostResponses: 0, delayed: 0, slowAnswers: 0, outaged: 0 };
  readonly #options: ReturnType<typeof FAULT_OPTIONS.resolve>;
  readonly #serviceId: string | undefined;
  readonly #commands: ReadonlySet<string> | undefined;
  readonly #latency: readonly [number, number];
  readonly #startedAt = Date.now();
  readonly #random: () => number;
  /** Request ids come from a second generator so that the fault draws stay three per request. */
  readonly #idRandom: () => number;
  /** The time faults draw from a third generator, so that adding them keeps what a seed injected before. */
  readonly #timeRandom: () => number;

  public constructor(options: ReturnType<typeof FAULT_OPTIONS.resolve>, serviceId: string | undefined) {
    this.#options = options;
    this.#serviceId = serviceId;
    this.#commands = options.commands === undefined ? undefined : new Set(options.commands);
    const latency = options.latencyMs;
    this.#latency = typeof latency === 'number' ? [latency, latency] : latency;
    this.#random = mulberry32(options.seed);
    this.#idRandom = mulberry32(options.seed ^ 0x9e3779b9);
    this.#timeRandom = mulberry32(options.seed ^ 0x7f4a7c15);
  }

  public async handle(next: Next, context: HandlerExecutionContext, args: FinalizeHandlerArguments<object>): Promise<Output> {
    if (this.#commands !== undefined && !this.#commands.has(context.commandName ?? '')) return next(args);
    const { throttleRate, lostResponseRate, throttleErrorName, maxFaults, slowAnswerRate, slowAnswerMs } = this.#options;
    const counts = this.counts;
    counts.requests += 1;
    const latencyDraw = this.#random();
    const throttleDraw = this.#random();
    const lostDraw = this.#random();
    const faultsLeft = counts.throttled + counts.lostResponses < maxFaults;
    const slowDraw = this.#timeRandom();
    const slowMsDraw = this.#timeRandom();

    const [minLatency, maxLatency] = this.#latency;
    const delay = Math.round(minLatency + (maxLatency - minLatency) * latencyDraw);
    if (delay > 0) {
      counts.delayed += 1;
      await sleep(delay);
    }
    this.#failInOutage();
    if (slowDraw < slowAnswerRate) return this.#answerSlowly(next, args, drawMs(slowAnswerMs, slowMsDraw));
    if (faultsLeft && throttleDraw < throttleRate) {
      counts.throttled += 1;
      throw throttlingError(throttleErrorName, this.#serviceId, fakeRequestId(this.#idRandom));
    }
    if (faultsLeft && lostDraw < lostResponseRate) return this.#loseResponse(next, args);
    return next(args);
  }

  /** Throws the outage's error when the request falls in one of `outages`. */
  #failInOutage(): void {
    const sinceStart = Date.now() - this.#startedAt;
    const outage = this.#options.outages.find((o) => sinceStart >= o.fromMs && sinceStart < o.toMs);
    if (outage === undefined) return;
    this.counts.outaged += 1;
    throw outage.as === 'unreachable'
      ? unreachableError()
      : throttlingError(this.#options.throttleErrorName, this.#serviceId, fakeRequestId(this.#idRandom));
  }

  /** Sends the request, then holds its answer (or its error) back for `answerMs`. */
  async #answerSlowly(next: Next, args: FinalizeHandlerArguments<object>, answerMs: number): Promise<Output> {
    this.counts.slowAnswers += 1;
    try {
      const output = await next(args);
      await sleep(answerMs);
      return output;
    } catch (error) {
      await sleep(answerMs);
      throw error;
    }
  }

  /** Sends the request (it is applied), then loses the service's answer, success or error. */
  async #loseResponse(next: Next, args: FinalizeHandlerArguments<object>): Promise<never> {
    this.counts.lostResponses += 1;
    try {
      await next(args);
    } catch {
      // The service's answer, success or error, is what gets lost.
    }
    throw networkError(this.#options.lostResponseError);
  }
}
