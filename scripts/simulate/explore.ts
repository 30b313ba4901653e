/**
 * Exploration: random schedules from seeds, exhaustive enumeration of every schedule of a small
 * configuration (pruned on states seen before), and shrinking of a failing schedule to a short trace.
 */
import { PathChooser, RecordingChooser, SeededChooser, simulate, type SimConfig, type SimResult } from './run';

/** A failing schedule: how to replay it, and what it broke. */
export interface Failure {
  readonly config: string;
  readonly seed?: number;
  readonly path: readonly number[];
  readonly result: SimResult;
}

export interface RandomReport {
  readonly runs: number;
  readonly steps: number;
  readonly faults: number;
  readonly failure?: Failure;
}

/** Runs seeds `first`..`first + count - 1`; stops at the first violation. */
export async function exploreRandom(config: SimConfig, first: number, count: number): Promise<RandomReport> {
  let steps = 0;
  let faults = 0;
  for (let seed = first; seed < first + count; seed += 1) {
    const chooser = new RecordingChooser(new SeededChooser(seed));
    const result = await simulate(config, chooser);
    steps += result.steps;
    faults += result.faults;
    if (result.violations.length > 0) {
      return { runs: seed - first + 1, steps, faults, failure: { config: config.name, seed, path: chooser.taken, result } };
    }
  }
  return { runs: count, steps, faults };
}

export interface ExhaustiveReport {
  readonly runs: number;
  readonly pruned: number;
  readonly states: number;
  readonly complete: boolean;
  readonly failure?: Failure;
}

/** Every schedule of `config` (depth-first over the choices), pruning runs that reach a state seen before. */
export async function exploreExhaustive(config: SimConfig, maxRuns: number): Promise<ExhaustiveReport> {
  const seen = new Set<string>();
  const stack: number[][] = [[]];
  let runs = 0;
  let pruned = 0;
  while (stack.length > 0) {
    if (runs >= maxRuns) return { runs, pruned, states: seen.size, complete: false };
    const prefix = stack.pop() as number[];
    const chooser = new PathChooser(prefix);
    const result = await simulate(config, chooser, { seen, replaying: () => chooser.taken.length < prefix.length });
    runs += 1;
    if (result.pruned) pruned += 1;
    const path = chooser.taken.map((c) => c.chosen);
    if (result.violations.length > 0)
      return { runs, pruned, states: seen.size, complete: false, failure: { config: config.name, path, result } };
    for (let i = chooser.taken.length - 1; i >= prefix.length; i -= 1) {
      const point = chooser.taken[i] as { n: number; chosen: number };
      for (let alternative = point.n - 1; alternative > point.chosen; alternative -= 1) stack.push([...path.slice(0, i), alternative]);
    }
  }
  return { runs, pruned, states: seen.size, complete: true };
}

/** Shortens a failing path: each choice set to 0 (the oldest call, no fault) where the run still fails. */
export async function shrink(config: SimConfig, failure: Failure): Promise<Failure> {
  let path = [...failure.path];
  let result = failure.result;
  // Drop the tail first, then simplify choices one by one.
  for (let cut = path.length - 1; cut >= 0; cut -= 1) {
    const candidate = path.slice(0, cut);
    const attempt = await simulate(config, new PathChooser(candidate));
    if (attempt.violations.length > 0) {
      path = candidate;
      result = attempt;
    } else break;
  }
  for (let i = 0; i < path.length; i += 1) {
    if (path[i] === 0) continue;
    const candidate = [...path];
    candidate[i] = 0;
    const attempt = await simulate(config, new PathChooser(candidate));
    if (attempt.violations.length > 0) {
      path = candidate;
      result = attempt;
    }
  }
  while (path.length > 0 && path[path.length - 1] === 0) path.pop();
  return { ...failure, path, result };
}
