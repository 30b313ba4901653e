/**
 * Runs the scenarios of `assertIdempotent` for one generated input and compares each with the reference
 * (one call): the property fast-check checks.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  show,
  type IdempotencyScenario,
  type IdempotencyTrial,
  type IdempotentFunction,
  type SnapshotInfo,
} from './assert-idempotent-options';
import { runInCall, type CallControl } from './crash-points';
import { SCENARIOS, type Delivered, type Outcome, type Plan, type ScenarioCalls, type ScenarioDefinition } from './idempotency-scenarios';

/** The options the scenarios run with, defaults applied. */
export interface RunnerSettings<TInput, TResult, TState> {
  readonly fn: IdempotentFunction<TInput, TResult>;
  readonly snapshot: (input: TInput, info: SnapshotInfo) => Promise<TState> | TState;
  readonly reset: (() => Promise<void> | void) | undefined;
  readonly recover: (() => Promise<void> | void) | undefined;
  readonly redeliverWhen: (error: unknown) => boolean;
  readonly maxRedeliveries: number;
}

/** How a scenario ended: each logical call's final outcome, and the observable state. */
interface ScenarioResult<TState> {
  readonly outcomes: readonly Outcome[];
  readonly state: TState;
}

/** A scenario ended differently from one call. */
export class Mismatch extends Error {
  public constructor(
    public readonly scenario: IdempotencyScenario,
    message: string,
  ) {
    super(message);
  }
}

function errorOutcome(reason: unknown): Outcome {
  const error = reason instanceof Error ? reason : new Error(String(reason));
  return { error: { name: error.name, message: error.message } };
}

function describeOutcome(outcome: Outcome): string {
  return 'error' in outcome ? `threw ${outcome.error.name}: ${outcome.error.message}` : `returned ${show(outcome.value)}`;
}

/** Name of the error a delivery that meets another delivery's lease fails with. */
const IN_PROGRESS_ERROR_NAME = 'IdempotencyInProgressError';

/**
 * What to do when a call still met a lease after its redeliveries: the lease of a crashed (or concurrent)
 * call was never released, and nothing made it expire.
 */
function leaseHeldHint(recoverGiven: boolean): string {
  return recoverGiven
    ? '\n    A lease was still held after every redelivery: `recover` must make leases expire. Advance the `clock` you ' +
        'inject into the handler (the `clock` option of makeIdempotent, processSqsBatch and processStreamBatch) past ' +
        "the lease (`leaseSeconds` or the context's remaining time, plus `clockSkewMs`) in `recover`."
    : '\n    A lease was still held after every redelivery (a crashed call that never released it: a crash before the ' +
        'completion or the release reached the store keeps the record in progress until its lease ends). Pass `recover` ' +
        'and a `clock`: inject a clock into the handler (the `clock` option of makeIdempotent, processSqsBatch and ' +
        'processStreamBatch) and advance it past the lease in `recover` (assertIdempotent option), as in docs/testing.md.';
}

/** @throws Mismatch when a call's outcome or the final state differs from the reference's. */
function compare<TState>(
  scenario: IdempotencyScenario,
  detail: string,
  result: ScenarioResult<TState>,
  reference: ScenarioResult<TState>,
  recoverGiven: boolean,
): void {
  const expected = reference.outcomes[0] as Outcome;
  result.outcomes.forEach((outcome, call) => {
    if (!isDeepStrictEqual(outcome, expected)) {
      const leaseHeld = 'error' in outcome && outcome.error.name === IN_PROGRESS_ERROR_NAME;
      throw new Mismatch(
        scenario,
        `${scenario} (${detail}): call ${call} ${describeOutcome(outcome)}, but one call ${describeOutcome(expected)}` +
          (leaseHeld ? leaseHeldHint(recoverGiven) : ''),
      );
    }
  });
  if (!isDeepStrictEqual(result.state, reference.state)) {
    throw new Mismatch(
      scenario,
      `${scenario} (${detail}) ended in a different state than one call:\n` +
        `    after one call: ${show(reference.state)}\n    after ${scenario}: ${show(result.state)}`,
    );
  }
}

/** The calls of one scenario run, for one input, in its own namespace. */
class ScenarioRun<TInput, TResult, TState> implements ScenarioCalls {
  public constructor(
    private readonly settings: RunnerSettings<TInput, TResult, TState>,
    private readonly scenario: ScenarioDefinition,
    private readonly input: TInput,
    private readonly namespace: string,
    public readonly plan: Plan,
    public readonly crashPoints: string[],
  ) {}

  public recordCrashPoints(labels: readonly string[]): void {
    this.crashPoints.push(...labels);
  }

  public deliver(call: number, attempt: number, control?: CallControl): Promise<Delivered> {
    const { fn, redeliverWhen } = this.settings;
    const { input } = this;
    const trial: IdempotencyTrial = Object.freeze({
      scenario: this.scenario.name,
      namespace: this.namespace,
      call,
      attempt,
      crashPoint: async (label = 'crash point') => control?.hit(label),
    });
    return runInCall(control, async (): Promise<Delivered> => {
      try {
        return { outcome: { value: await fn(input, trial) }, redeliver: false };
      } catch (reason) {
        return { outcome: errorOutcome(reason), redeliver: redeliverWhen(reason) };
      }
    });
  }

  public async redeliver(call: number, first: Delivered): Promise<Outcome> {
    const { recover, maxRedeliveries } = this.settings;
    let delivered = first;
    for (let attempt = 2; delivered.redeliver && attempt <= maxRedeliveries + 1; attempt += 1) {
      if (this.scenario.recoversBeforeRedelivery) await recover?.();
      delivered = await this.deliver(call, attempt);
    }
    return delivered.outcome;
  }
}

/** Checks inputs one at a time; collects the crash points met along the way. */
export class IdempotencyChecker<TInput, TResult, TState> {
  /** Labels of the crash points the reference calls met (deduplicated, first seen first). */
  public readonly crashPoints = new Set<string>();
  readonly #runId = randomBytes(4).toString('hex');
  #scenarioCount = 0;

  public constructor(private readonly settings: RunnerSettings<TInput, TResult, TState>) {}

  /**
   * Runs every scenario for `input`, each from a clean state.
   * @throws Mismatch at the first scenario that did not end like the reference.
   */
  public async check(input: TInput, plan: Plan): Promise<void> {
    const [reference, ...duplicates] = SCENARIOS;
    const crashPoints: string[] = [];
    const expected = await this.#run(reference, input, plan, crashPoints);
    for (const label of crashPoints) this.crashPoints.add(label);
    for (const scenario of duplicates) {
      const result = await this.#run(scenario, input, plan, crashPoints);
      compare(scenario.name, scenario.describe(plan, crashPoints), result, expected, this.settings.recover !== undefined);
    }
  }

  async #run(scenario: ScenarioDefinition, input: TInput, plan: Plan, crashPoints: string[]): Promise<ScenarioResult<TState>> {
    const { reset, snapshot } = this.settings;
    this.#scenarioCount += 1;
    const namespace = `ai-${this.#runId}-${this.#scenarioCount}`;
    await reset?.();
    const outcomes = await scenario.run(new ScenarioRun(this.settings, scenario, input, namespace, plan, crashPoints));
    const state = await snapshot(input, { scenario: scenario.name, namespace });
    return { outcomes, state };
  }
}
