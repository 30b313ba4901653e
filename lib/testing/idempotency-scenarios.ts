/**
 * The scenarios of `assertIdempotent` as a table: each one's name, how a failure message describes it,
 * and how it delivers its calls. The first, `once`, is the reference the others must end like.
 */
import type { Arbitrary } from 'fast-check';
import type { IdempotencyScenario } from './assert-idempotent-options';
import { CallControl, type CrashKind } from './crash-points';

/**
 * Crash points are drawn as an integer below this, scaled to the number of crash points: shrinking the
 * draw towards 0 moves the crash towards the first point.
 */
const CRASH_DRAW_RANGE = 1_000_000;

/** How the `concurrent` and `crash-and-retry` scenarios of one generated input run. */
export interface Plan {
  readonly duplicates: number;
  readonly crashDraw: number;
  readonly kind: CrashKind;
}

/**
 * The arbitrary of plans fast-check draws with each input (and shrinks: fewer duplicates, earlier crash,
 * throwing before dying). Its shape fixes what a seed generates: keep the keys and their order.
 */
export function planArbitrary(fc: typeof import('fast-check'), maxConcurrency: number, canDie: boolean): Arbitrary<Plan> {
  return fc.record({
    duplicates: fc.integer({ min: 2, max: maxConcurrency }),
    crashDraw: fc.integer({ min: 0, max: CRASH_DRAW_RANGE - 1 }),
    kind: canDie ? fc.constantFrom<CrashKind>('throw', 'die') : fc.constant<CrashKind>('throw'),
  });
}

/** A call's outcome, as compared across scenarios. */
export type Outcome = { readonly value: unknown } | { readonly error: { readonly name: string; readonly message: string } };

/** A delivery's outcome, and whether it asks for a redelivery. */
export interface Delivered {
  readonly outcome: Outcome;
  readonly redeliver: boolean;
}

/** What a scenario's calls can do, in one scenario run. */
export interface ScenarioCalls {
  readonly plan: Plan;
  /** Labels of the crash points the reference call met, in order (empty while the reference runs). */
  readonly crashPoints: readonly string[];
  /** Records the crash points the reference call met. */
  recordCrashPoints(labels: readonly string[]): void;
  /** One delivery of logical call `call`, its crash points handled by `control` (none by default). */
  deliver(call: number, attempt: number, control?: CallControl): Promise<Delivered>;
  /** Delivers the call again while `redeliverWhen` asks for it, up to `maxRedeliveries` times in all. */
  redeliver(call: number, first: Delivered): Promise<Outcome>;
}

/** One way of delivering a logical event. */
export interface ScenarioDefinition {
  readonly name: IdempotencyScenario;
  /** Whether `recover` runs before each redelivery (the leases of crashed calls must expire). */
  readonly recoversBeforeRedelivery: boolean;
  /** What a failure message says about how the scenario ran. */
  describe(plan: Plan, crashPoints: readonly string[]): string;
  /** Delivers the scenario's calls; returns the final outcome of each logical call. */
  run(calls: ScenarioCalls): Promise<Outcome[]>;
}

/** Where `crash-and-retry` crashes its first call: at a crash point, or after the call returned. */
function crashSite(plan: Plan, crashPoints: readonly string[]): { index: number | undefined; where: string } {
  const points = crashPoints.length;
  const crashAt = Math.floor((plan.crashDraw * (points + 1)) / CRASH_DRAW_RANGE);
  return crashAt < points
    ? { index: crashAt, where: `crash point ${crashAt + 1} of ${points}, "${crashPoints[crashAt] as string}"` }
    : { index: undefined, where: `the end of the call (it returned, and its result was lost; ${points} crash points before it)` };
}

/** The scenarios, in the order they run for each input; the first is the reference. */
export const SCENARIOS: readonly [ScenarioDefinition, ...ScenarioDefinition[]] = [
  {
    name: 'once',
    recoversBeforeRedelivery: false,
    describe: () => 'one call',
    // The reference. Its call also counts the crash points `crash-and-retry` chooses from.
    run: async (calls) => {
      const counter = CallControl.counter();
      const { outcome } = await calls.deliver(0, 1, counter);
      calls.recordCrashPoints(counter.seen);
      return [outcome];
    },
  },
  {
    name: 'twice',
    recoversBeforeRedelivery: false,
    describe: () => 'two sequential calls',
    run: async (calls) => {
      const first = (await calls.deliver(0, 1)).outcome;
      const second = (await calls.deliver(1, 1)).outcome;
      return [first, second];
    },
  },
  {
    name: 'concurrent',
    recoversBeforeRedelivery: false,
    describe: (plan) => `${plan.duplicates} calls at once`,
    // Calls that met another's lease are delivered again once all the first deliveries settled, in order.
    run: async (calls) => {
      const firsts = await Promise.all(Array.from({ length: calls.plan.duplicates }, (_, call) => calls.deliver(call, 1)));
      const outcomes: Outcome[] = [];
      for (const [call, first] of firsts.entries()) outcomes.push(await calls.redeliver(call, first));
      return outcomes;
    },
  },
  {
    name: 'crash-and-retry',
    recoversBeforeRedelivery: true,
    describe: (plan, crashPoints) => `${plan.kind === 'die' ? 'killed' : 'thrown'} at ${crashSite(plan, crashPoints).where}, then retried`,
    run: async (calls) => {
      const { index } = crashSite(calls.plan, calls.crashPoints);
      const crashed = await calls.deliver(0, 1, new CallControl(index, calls.plan.kind));
      // The crashed delivery's outcome is lost: the call is delivered again (after `recover`), whatever it returned.
      return [await calls.redeliver(0, { ...crashed, redeliver: true })];
    },
  },
];
