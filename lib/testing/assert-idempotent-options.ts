/**
 * The vocabulary of `assertIdempotent`: its options and their defaults, the scenarios, and what the
 * function under test learns about each call; and the validation of the options.
 */
import { inspect } from 'node:util';
import { fn, integerAtLeast, satisfies } from '../config/checks';
import { defineOptions, shown, type Resolved, type SameKeys } from '../config/spec';
import { TestKitConfigError } from './errors';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- named by the TSDoc links of IdempotencyTrial
import type { crashPoint, SimulatedCrashError } from './crash-points';
import type { FaultInjectableClient } from './faults';

/** Generated inputs checked when `numRuns` is not given (each runs the four scenarios). */
export const DEFAULT_IDEMPOTENCY_RUNS = 50;
/** Most duplicates delivered at once in the `concurrent` scenario when `maxConcurrency` is not given. */
export const DEFAULT_MAX_CONCURRENCY = 3;
/**
 * Times a call is delivered again after an `IdempotencyInProgressError` (or after a crash), when
 * `maxRedeliveries` is not given.
 */
export const DEFAULT_MAX_REDELIVERIES = 3;

/**
 * The four ways one logical event is delivered, each from a clean state:
 * - `once`: one call (the reference: its result and final state are what every other scenario must reach);
 * - `twice`: two sequential calls;
 * - `concurrent`: 2 to `maxConcurrency` calls at once (calls that meet the first one's lease get
 *   `IdempotencyInProgressError` and are delivered again once the others have settled, as SQS would);
 * - `crash-and-retry`: a call that crashes at a crash point, then a retry.
 */
export type IdempotencyScenario = 'once' | 'twice' | 'concurrent' | 'crash-and-retry';

/** What the function under test learns about the call it is running. */
export interface IdempotencyTrial {
  /** The scenario this call belongs to. */
  readonly scenario: IdempotencyScenario;
  /**
   * A string unique to this scenario run (`[a-z0-9-]`): an alternative to `reset` for isolating scenarios,
   * e.g. put it in the event's business id and in what `snapshot` reads. Keep it out of the results and
   * snapshots you return: they are compared across scenarios.
   */
  readonly namespace: string;
  /** Which logical call of the scenario this is, from 0 (0 and 1 in `twice`, 0 to n-1 in `concurrent`). */
  readonly call: number;
  /** 1 for the first delivery of the call, 2 and more for redeliveries. */
  readonly attempt: number;
  /**
   * A point where the kit may crash this call (see {@link crashPoint}); resolves at once unless this call
   * is the one the kit crashes there, in which case it throws {@link SimulatedCrashError}.
   */
  crashPoint(label?: string): Promise<void>;
}

/** What `snapshot` learns about the scenario whose final state it reads. */
export interface SnapshotInfo {
  readonly scenario: IdempotencyScenario;
  /** The scenario's {@link IdempotencyTrial.namespace}. */
  readonly namespace: string;
}

/** The function under test: your idempotent handler, called with one generated input. */
export type IdempotentFunction<TInput, TResult> = (input: TInput, trial: IdempotencyTrial) => Promise<TResult> | TResult;

/**
 * A fast-check `Arbitrary<T>` (`fc.record(...)`, `fc.uuid()`, ...), declared structurally so that the kit's
 * types compile without `fast-check` installed (`skipLibCheck: false`).
 */
export interface InputsArbitrary<T> {
  generate(...args: never[]): { readonly value: T };
}

/** Options of {@link assertIdempotent}. */
export interface AssertIdempotentOptions<TInput, TState> {
  /** A fast-check arbitrary of inputs (events) to call the function with. */
  readonly inputs: InputsArbitrary<TInput>;
  /**
   * Reads the observable state a scenario ended in (ledger rows, calls a fake API received, ...). It is
   * compared (`util.isDeepStrictEqual`) with the state after one call: return what must not depend on
   * how often the event was delivered, without timestamps, random ids or the namespace.
   */
  readonly snapshot: (input: TInput, info: SnapshotInfo) => Promise<TState> | TState;
  /**
   * Number of generated inputs.
   * @default 50
   */
  readonly numRuns?: number;
  /**
   * Seed of fast-check's generator: a failure message names the seed that reproduces it.
   * @default - a new seed each time (printed on failure)
   */
  readonly seed?: number;
  /**
   * Called before each scenario so that it starts from a clean state (empty the tables, clear the fakes).
   * Not needed when the function and `snapshot` isolate scenarios with the trial's `namespace`.
   * @default - nothing is reset
   */
  readonly reset?: () => Promise<void> | void;
  /**
   * AWS SDK v3 clients your function uses (the DynamoDB client of your `DynamoDBStore`, ...): each request
   * through them becomes a crash point (before it is sent; with `recover`, also after its response, i.e.
   * applied but never seen). A middleware is added for the duration of the call and removed after.
   * @default - only the `crashPoint()` calls of your code are crash points
   */
  readonly clients?: readonly FaultInjectableClient[];
  /**
   * Makes the leases of crashed calls expire, e.g. advances the clock you pass to `makeIdempotent`
   * (`clock` option) past `leaseSeconds`; called before each redelivery of the crashed call. With it, the
   * kit also crashes calls by killing them (`die`) and after a response was applied; without it, only by
   * throwing, before a request is sent.
   * @default - crashes only throw, before a request is sent
   */
  readonly recover?: () => Promise<void> | void;
  /**
   * Most calls delivered at once in the `concurrent` scenario (at least 2).
   * @default 3
   */
  readonly maxConcurrency?: number;
  /**
   * Times a call whose error `redeliverWhen` accepts is delivered again.
   * @default 3
   */
  readonly maxRedeliveries?: number;
  /**
   * Which errors mean "deliver this call again later" (after the other calls of `concurrent` settled; after
   * `recover` in `crash-and-retry`). An SQS consumer that reports its record failed is redelivered by SQS
   * whatever the reason: make `fn` throw when the batch response lists the record, and accept that error.
   * @default - errors named `IdempotencyInProgressError` (another call holds the lease)
   */
  readonly redeliverWhen?: (error: unknown) => boolean;
}

const isAwsClient = (c: unknown): boolean =>
  typeof (c as { middlewareStack?: { add?: unknown } } | null)?.middlewareStack?.add === 'function';

/** Every option of `assertIdempotent`, declared once. */
const ASSERT_IDEMPOTENT_OPTIONS = /* @__PURE__ */ defineOptions(
  'assertIdempotent',
  {
    inputs: {
      check: satisfies<unknown>(
        'to be a fast-check arbitrary (e.g. fc.record({...}))',
        (value) =>
          value !== null &&
          typeof value === 'object' &&
          typeof (value as { generate?: unknown }).generate === 'function' &&
          typeof (value as { shrink?: unknown }).shrink === 'function',
      ),
      required: true,
      doc: 'the inputs the property draws',
    },
    snapshot: {
      check: satisfies<() => unknown>('to be a function returning the observable state', (value) => typeof value === 'function'),
      required: true,
      doc: 'the observable state',
    },
    numRuns: { check: integerAtLeast(1), default: DEFAULT_IDEMPOTENCY_RUNS, doc: 'inputs tried' },
    seed: { check: satisfies<number>('to be an integer', Number.isInteger), doc: "fast-check's seed" },
    reset: { check: fn<() => Promise<void> | void>(), doc: 'called before each scenario' },
    clients: {
      check: satisfies<readonly FaultInjectableClient[]>(
        'to be a list of AWS SDK v3 clients',
        (value) => Array.isArray(value) && value.every(isAwsClient),
      ),
      default: [] as readonly FaultInjectableClient[],
      doc: 'AWS SDK v3 clients whose requests become crash points',
    },
    recover: { check: fn<() => Promise<void> | void>(), doc: 'makes the leases of crashed calls expire' },
    maxConcurrency: { check: integerAtLeast(2), default: DEFAULT_MAX_CONCURRENCY, doc: 'most calls delivered at once' },
    maxRedeliveries: { check: integerAtLeast(0), default: DEFAULT_MAX_REDELIVERIES, doc: 'times a call is delivered again' },
    redeliverWhen: { check: fn<(error: unknown) => boolean>(), doc: 'which errors mean "deliver this call again later"' },
  },
  TestKitConfigError,
);
const _assertIdempotentKeys: SameKeys<AssertIdempotentOptions<unknown, unknown>, typeof ASSERT_IDEMPOTENT_OPTIONS.spec> = true;

/** The options of `assertIdempotent`, validated. */
export type ResolvedAssertIdempotentOptions = Resolved<typeof ASSERT_IDEMPOTENT_OPTIONS.spec>;

/** A value as messages show it (functions as `a function`). */
export function show(value: unknown): string {
  return typeof value === 'function' ? 'a function' : inspect(value, { depth: 4, breakLength: Infinity });
}

/**
 * Refuses a function under test that is not a function and invalid options, naming the option and the value.
 * @throws TestKitConfigError
 */
export function validateAssertIdempotent(fn: unknown, options: unknown): ResolvedAssertIdempotentOptions {
  if (typeof fn !== 'function') {
    throw new TestKitConfigError(`Expected the first argument of assertIdempotent to be a function, got ${shown(fn)}`);
  }
  return ASSERT_IDEMPOTENT_OPTIONS.resolve(options);
}
