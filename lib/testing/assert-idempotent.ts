import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { Arbitrary, RunDetails } from 'fast-check';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
} from '@smithy/types';
import { TestKitConfigError, TestKitError } from './errors';
import type { FaultInjectableClient } from './faults';
import { loadOptional } from './optional';

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
 * Crash points are drawn as an integer below this, scaled to the number of crash points: shrinking the
 * draw towards 0 moves the crash towards the first point.
 */
const CRASH_DRAW_RANGE = 1_000_000;
/** Name of the error an attempt that meets another attempt's lease fails with (matched by name). */
const IN_PROGRESS_ERROR_NAME = 'IdempotencyInProgressError';

/**
 * The four ways one logical event is delivered, each from a clean state:
 * - `once`: one call (the reference: its result and final state are what every other scenario must reach);
 * - `twice`: two sequential calls;
 * - `concurrent`: 2 to `maxConcurrency` calls at once (calls that meet the first one's lease get
 *   `IdempotencyInProgressError` and are delivered again once the others have settled, as SQS would);
 * - `crash-and-retry`: a call that crashes at a crash point, then a retry.
 */
export type IdempotencyScenario = 'once' | 'twice' | 'concurrent' | 'crash-and-retry';

/** How the first call of `crash-and-retry` crashes. */
export type CrashKind =
  /** The crash point throws {@link SimulatedCrashError}; the code around it (error handlers, releases) still runs. */
  | 'throw'
  /**
   * The process dies: the crash point and every later crash point of that call throw (requests through
   * `clients` are not sent), so no clean-up reaches the store; `recover` then runs before the retry.
   */
  | 'die';

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

/** Options of {@link assertIdempotent}. */
export interface AssertIdempotentOptions<TInput, TState> {
  /** A fast-check arbitrary of inputs (events) to call the function with. */
  readonly inputs: Arbitrary<TInput>;
  /**
   * Reads the observable state a scenario ended in (ledger rows, calls a fake API received, ...). It is
   * compared (`util.isDeepStrictEqual`) with the state after one call: return what must not depend on
   * how often the event was delivered, without timestamps, random ids or the namespace.
   */
  readonly snapshot: (input: TInput, info: SnapshotInfo) => Promise<TState> | TState;
  /**
   * Number of generated inputs.
   * @default {@link DEFAULT_IDEMPOTENCY_RUNS} (50)
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
   * @default {@link DEFAULT_MAX_CONCURRENCY} (3)
   */
  readonly maxConcurrency?: number;
  /**
   * Times a call whose error `redeliverWhen` accepts is delivered again.
   * @default {@link DEFAULT_MAX_REDELIVERIES} (3)
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

/** What a passing {@link assertIdempotent} checked. */
export interface AssertIdempotentReport {
  /** The seed used (pass it back as `seed` to repeat the run). */
  readonly seed: number;
  /** Inputs checked. */
  readonly numRuns: number;
  /** Labels of the crash points met in the `once` scenario (deduplicated, first seen first). */
  readonly crashPoints: readonly string[];
}

/** The error a crash point throws when the kit crashes the call there. */
export class SimulatedCrashError extends TestKitError {
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

/**
 * A scenario did not end like one call. The message holds what differed, the shrunk counterexample and
 * the seed; the same facts are fields.
 */
export class IdempotencyAssertionError extends TestKitError {
  /** The seed that reproduces the failure (`seed` option). */
  public readonly seed: number;
  /** The shrunk input. */
  public readonly counterexample: unknown;
  /** The first scenario that differed from one call (absent when something else threw). */
  public readonly scenario: IdempotencyScenario | undefined;

  public constructor(
    message: string,
    facts: { seed: number; counterexample: unknown; scenario: IdempotencyScenario | undefined; cause?: unknown },
  ) {
    super(message, { cause: facts.cause });
    this.seed = facts.seed;
    this.counterexample = facts.counterexample;
    this.scenario = facts.scenario;
  }
}

/** How the `concurrent` and `crash-and-retry` scenarios of one generated input run. */
interface Plan {
  readonly duplicates: number;
  readonly crashDraw: number;
  readonly kind: CrashKind;
}

/** A call's outcome, as compared across scenarios. */
type Outcome = { readonly value: unknown } | { readonly error: { readonly name: string; readonly message: string } };

/** A delivery's outcome, and whether it asks for a redelivery. */
interface Delivered {
  readonly outcome: Outcome;
  readonly redeliver: boolean;
}

/** Crash bookkeeping of one call: counting its crash points, or crashing at one of them. */
class CallControl {
  readonly seen: string[] = [];
  #dead = false;
  crashedAt: string | undefined;

  public constructor(
    private readonly crashAt: number | undefined,
    private readonly kind: CrashKind,
  ) {}

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

interface CallContext {
  readonly trial: IdempotencyTrial;
  readonly control: CallControl | undefined;
}

const calls = new AsyncLocalStorage<CallContext>();

/**
 * A crash point in your code or your test doubles (a fake payment API, between two steps): inside a call
 * made by {@link assertIdempotent}'s `crash-and-retry` scenario the kit may throw
 * {@link SimulatedCrashError} here; everywhere else (other scenarios, production) it resolves at once.
 * Same as the trial's `crashPoint`, found through the async context so it needs no plumbing.
 */
export async function crashPoint(label = 'crash point'): Promise<void> {
  calls.getStore()?.control?.hit(label);
}

const KNOWN_OPTIONS = new Set([
  'inputs',
  'snapshot',
  'numRuns',
  'seed',
  'reset',
  'clients',
  'recover',
  'maxConcurrency',
  'maxRedeliveries',
  'redeliverWhen',
]);

function show(value: unknown): string {
  return typeof value === 'function' ? 'a function' : inspect(value, { depth: 4, breakLength: Infinity });
}

function validate(fn: unknown, options: unknown): void {
  if (typeof fn !== 'function') {
    throw new TestKitConfigError(`Expected the first argument of assertIdempotent to be a function, got \`${show(fn)}\``);
  }
  if (options === null || typeof options !== 'object') {
    throw new TestKitConfigError(`Expected the options of assertIdempotent to be an object, got \`${show(options)}\``);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TestKitConfigError(`Unknown option \`${key}\` of assertIdempotent (known: ${[...KNOWN_OPTIONS].join(', ')})`);
    }
  }
  const o = options as Partial<Record<string, unknown>>;
  const inputs = o['inputs'] as { generate?: unknown; shrink?: unknown } | undefined;
  if (inputs === null || typeof inputs !== 'object' || typeof inputs.generate !== 'function' || typeof inputs.shrink !== 'function') {
    throw new TestKitConfigError(`Expected \`inputs\` to be a fast-check arbitrary (e.g. fc.record({...})), got \`${show(inputs)}\``);
  }
  if (typeof o['snapshot'] !== 'function') {
    throw new TestKitConfigError(`Expected \`snapshot\` to be a function returning the observable state, got \`${show(o['snapshot'])}\``);
  }
  for (const name of ['reset', 'recover', 'redeliverWhen'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TestKitConfigError(`Expected \`${name}\` to be a function, got \`${show(o[name])}\``);
    }
  }
  const integer = (name: string, min: number): void => {
    const value = o[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min)) {
      throw new TestKitConfigError(`Expected \`${name}\` to be an integer >= ${min}, got \`${show(value)}\``);
    }
  };
  integer('numRuns', 1);
  integer('maxConcurrency', 2);
  integer('maxRedeliveries', 0);
  const seed = o['seed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new TestKitConfigError(`Expected \`seed\` to be an integer, got \`${show(seed)}\``);
  }
  const clients = o['clients'];
  if (
    clients !== undefined &&
    (!Array.isArray(clients) ||
      clients.some((c: unknown) => typeof (c as { middlewareStack?: { add?: unknown } } | null)?.middlewareStack?.add !== 'function'))
  ) {
    throw new TestKitConfigError(`Expected \`clients\` to be a list of AWS SDK v3 clients, got \`${show(clients)}\``);
  }
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

function outcomeOf(settled: PromiseSettledResult<unknown>): Outcome {
  if (settled.status === 'fulfilled') return { value: settled.value };
  const reason: unknown = settled.reason;
  const error = reason instanceof Error ? reason : new Error(String(reason));
  return { error: { name: error.name, message: error.message } };
}

function isInProgress(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === IN_PROGRESS_ERROR_NAME;
}

function describeOutcome(outcome: Outcome): string {
  return 'error' in outcome ? `threw ${outcome.error.name}: ${outcome.error.message}` : `returned ${show(outcome.value)}`;
}

/** A scenario ended differently from one call. */
class Mismatch extends Error {
  public constructor(
    public readonly scenario: IdempotencyScenario,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Property test of idempotency: for inputs generated by `inputs`, checks that one call, two sequential
 * calls, concurrent duplicates and a call that crashes partway and is retried all end in the same
 * observable state (`snapshot`) and return the same result (or throw the same error).
 *
 * Crash points are where the kit may crash the first call of `crash-and-retry`: the `crashPoint()` calls
 * your code or test doubles make, each request through `clients`, and the moment after the call returned
 * (its result is lost before it is delivered, so it is delivered again). The `once` scenario counts them;
 * the crash scenario crashes at one of them (fast-check draws and shrinks which), then delivers the call
 * again (after `recover`, when given).
 *
 * Each scenario starts from a clean state: pass `reset`, or isolate scenarios with `trial.namespace`.
 * Results and snapshots are compared across scenarios, so they must be a function of the input: make
 * fakes deterministic (derive ids from the input or from `downstreamKey`).
 *
 * Needs the optional peer `fast-check`.
 *
 * @returns what was checked, when every scenario agreed for every input.
 * @throws IdempotencyAssertionError with the first difference, the shrunk counterexample and the seed.
 * @throws TestKitConfigError naming the option and the value when an option is invalid.
 * @throws TestKitDependencyError when `fast-check` is not installed.
 */
export async function assertIdempotent<TInput, TResult, TState>(
  fn: IdempotentFunction<TInput, TResult>,
  options: AssertIdempotentOptions<TInput, TState>,
): Promise<AssertIdempotentReport> {
  validate(fn, options);
  const fc = await loadOptional<typeof import('fast-check')>('fast-check', 'assertIdempotent');
  const { inputs, snapshot, reset, recover } = options;
  const numRuns = options.numRuns ?? DEFAULT_IDEMPOTENCY_RUNS;
  const maxConcurrency = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const maxRedeliveries = options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES;
  const redeliverWhen = options.redeliverWhen ?? isInProgress;
  const runId = randomBytes(4).toString('hex');
  let scenarioCount = 0;
  const crashPointsSeen = new Set<string>();

  const removers = (options.clients ?? []).map((client) => instrument(client, recover !== undefined));

  /** Runs one delivery of a call inside its async context. */
  const deliver = (
    input: TInput,
    scenario: IdempotencyScenario,
    namespace: string,
    call: number,
    attempt: number,
    control: CallControl | undefined,
  ): Promise<Delivered> => {
    const trial: IdempotencyTrial = Object.freeze({
      scenario,
      namespace,
      call,
      attempt,
      crashPoint: async (label = 'crash point') => control?.hit(label),
    });
    return calls.run({ trial, control }, async (): Promise<Delivered> => {
      try {
        return { outcome: { value: await fn(input, trial) }, redeliver: false };
      } catch (reason) {
        return { outcome: outcomeOf({ status: 'rejected', reason }), redeliver: redeliverWhen(reason) };
      }
    });
  };

  /** Delivers a call again while `redeliverWhen` asks for it, up to `maxRedeliveries` times in all. */
  const redeliver = async (
    input: TInput,
    scenario: IdempotencyScenario,
    namespace: string,
    call: number,
    first: Delivered,
  ): Promise<Outcome> => {
    let delivered = first;
    for (let attempt = 2; delivered.redeliver && attempt <= maxRedeliveries + 1; attempt += 1) {
      if (scenario === 'crash-and-retry') await recover?.();
      delivered = await deliver(input, scenario, namespace, call, attempt, undefined);
    }
    return delivered.outcome;
  };

  const runScenario = async (
    input: TInput,
    scenario: IdempotencyScenario,
    body: (namespace: string) => Promise<Outcome[]>,
  ): Promise<{ outcomes: Outcome[]; state: TState }> => {
    scenarioCount += 1;
    const namespace = `ai-${runId}-${scenarioCount}`;
    await reset?.();
    const outcomes = await body(namespace);
    const state = await snapshot(input, { scenario, namespace });
    return { outcomes, state };
  };

  const check = async (input: TInput, plan: Plan): Promise<void> => {
    // once: the reference, and the count of crash points.
    const counter = new CallControl(undefined, 'throw');
    const once = await runScenario(input, 'once', async (ns) => [(await deliver(input, 'once', ns, 0, 1, counter)).outcome]);
    for (const label of counter.seen) crashPointsSeen.add(label);
    const expected = once.outcomes[0] as Outcome;

    const compare = (scenario: IdempotencyScenario, result: { outcomes: Outcome[]; state: TState }, detail: string): void => {
      result.outcomes.forEach((outcome, call) => {
        if (!isDeepStrictEqual(outcome, expected)) {
          throw new Mismatch(
            scenario,
            `${scenario} (${detail}): call ${call} ${describeOutcome(outcome)}, but one call ${describeOutcome(expected)}`,
          );
        }
      });
      if (!isDeepStrictEqual(result.state, once.state)) {
        throw new Mismatch(
          scenario,
          `${scenario} (${detail}) ended in a different state than one call:\n` +
            `    after one call: ${show(once.state)}\n    after ${scenario}: ${show(result.state)}`,
        );
      }
    };

    const twice = await runScenario(input, 'twice', async (ns) => {
      const first = (await deliver(input, 'twice', ns, 0, 1, undefined)).outcome;
      const second = (await deliver(input, 'twice', ns, 1, 1, undefined)).outcome;
      return [first, second];
    });
    compare('twice', twice, 'two sequential calls');

    const concurrent = await runScenario(input, 'concurrent', async (ns) => {
      const firsts = await Promise.all(
        Array.from({ length: plan.duplicates }, (_, call) => deliver(input, 'concurrent', ns, call, 1, undefined)),
      );
      const outcomes: Outcome[] = [];
      for (const [call, settled] of firsts.entries()) {
        outcomes.push(await redeliver(input, 'concurrent', ns, call, settled));
      }
      return outcomes;
    });
    compare('concurrent', concurrent, `${plan.duplicates} calls at once`);

    const points = counter.seen.length;
    const crashAt = Math.floor((plan.crashDraw * (points + 1)) / CRASH_DRAW_RANGE);
    const where =
      crashAt < points
        ? `crash point ${crashAt + 1} of ${points}, "${counter.seen[crashAt] as string}"`
        : `the end of the call (it returned, and its result was lost; ${points} crash points before it)`;
    const detail = `${plan.kind === 'die' ? 'killed' : 'thrown'} at ${where}, then retried`;
    const crash = await runScenario(input, 'crash-and-retry', async (ns) => {
      const control = new CallControl(crashAt < points ? crashAt : undefined, plan.kind);
      const crashed = await deliver(input, 'crash-and-retry', ns, 0, 1, control);
      // The crashed delivery's outcome is lost: the call is delivered again (after `recover`), whatever it returned.
      return [await redeliver(input, 'crash-and-retry', ns, 0, { ...crashed, redeliver: true })];
    });
    compare('crash-and-retry', crash, detail);
  };

  const plans = fc.record({
    duplicates: fc.integer({ min: 2, max: maxConcurrency }),
    crashDraw: fc.integer({ min: 0, max: CRASH_DRAW_RANGE - 1 }),
    kind: recover === undefined ? fc.constant<CrashKind>('throw') : fc.constantFrom<CrashKind>('throw', 'die'),
  });
  const property = fc.asyncProperty(inputs, plans, check);
  let details: RunDetails<[TInput, Plan]>;
  try {
    details = await fc.check(property, { numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  } finally {
    for (const remove of removers) remove();
  }

  if (!details.failed) return { seed: details.seed, numRuns: details.numRuns, crashPoints: [...crashPointsSeen] };
  const failure = details.errorInstance;
  const [input, plan] = details.counterexample ?? [undefined, undefined];
  const what =
    failure instanceof Mismatch
      ? failure.message
      : `the check threw ${failure instanceof Error ? `${failure.name}: ${failure.message}` : show(failure)}`;
  const message = [
    `assertIdempotent: ${what}`,
    `Counterexample (shrunk ${details.numShrinks} times): input ${fc.stringify(input)}` +
      (plan === undefined ? '' : `; ${plan.duplicates} concurrent calls; crash by ${plan.kind === 'die' ? 'dying' : 'throwing'}`),
    `Seed: ${details.seed} (path "${details.counterexamplePath ?? ''}"): pass { seed: ${details.seed} } to reproduce`,
    `Failed after ${details.numRuns} of ${numRuns} runs.`,
  ].join('\n');
  throw new IdempotencyAssertionError(message, {
    seed: details.seed,
    counterexample: input,
    scenario: failure instanceof Mismatch ? failure.scenario : undefined,
    cause: failure,
  });
}
