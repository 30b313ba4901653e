/**
 * `npm run simulate`: the deterministic simulation of the protocol (scripts/simulate/). Runs the real
 * engine under a seeded scheduler that controls every interleaving, lost response, throttle, crash and
 * clock, and checks the invariants after every step.
 *
 *   npm run simulate                        # 10,000 seeds per configuration, then every schedule of the small ones
 *   npm run simulate -- --seeds 100000      # more seeds
 *   npm run simulate -- --mutants           # the simulator against broken variants of the protocol
 *   npm run simulate -- --replay 'plain effect, 3 copies' --seed 42   # one run, with its trace
 */
import { parseArgs } from 'node:util';
import { EXHAUSTIVE_CONFIGS, RANDOM_CONFIGS } from './simulate/configs';
import { exploreExhaustive, exploreRandom, shrink, type Failure } from './simulate/explore';
import { MUTANTS, runMutant } from './simulate/mutants';
import { SeededChooser, simulate, type SimConfig } from './simulate/run';

const USAGE =
  "Usage: npm run simulate -- [--seeds N] [--first S] [--exhaustive-runs N] [--mutants] [--replay 'config name' --seed S] [--first-config 'config name'] [--brief]";

function report(config: SimConfig, failure: Failure, brief: boolean): void {
  console.log(
    `VIOLATION in "${config.name}"${failure.seed === undefined ? '' : ` (seed ${failure.seed})`}: ${failure.result.violations.join('; ')}`,
  );
  if (brief) return;
  console.log(`Minimal schedule (choices ${JSON.stringify(failure.path)}):`);
  for (const line of failure.result.trace) console.log(`  ${line}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '10000' },
      first: { type: 'string', default: '1' },
      'exhaustive-runs': { type: 'string', default: '200000' },
      mutants: { type: 'boolean', default: false },
      replay: { type: 'string' },
      seed: { type: 'string' },
      brief: { type: 'boolean', default: false },
      'first-config': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const seeds = Number(values.seeds);
  const first = Number(values.first);
  const exhaustiveRuns = Number(values['exhaustive-runs']);
  for (const [name, value] of [
    ['--seeds', seeds],
    ['--first', first],
    ['--exhaustive-runs', exhaustiveRuns],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`Expected ${name} to be a whole number >= 1, got ${String(value)}\n${USAGE}`);
  }

  if (values.mutants === true) {
    let survivors = 0;
    for (const mutant of MUTANTS) {
      const result = runMutant(mutant, Math.min(seeds, 2_000));
      if (!result.caught) survivors += 1;
      console.log(`${result.caught ? 'caught  ' : 'SURVIVED'} ${mutant.name} (${(result.ms / 1000).toFixed(1)} s): ${result.evidence}`);
    }
    console.log(`${MUTANTS.length - survivors} of ${MUTANTS.length} mutants caught`);
    if (survivors > 0) process.exitCode = 1;
    return;
  }

  if (values.replay !== undefined) {
    const config = [...RANDOM_CONFIGS, ...EXHAUSTIVE_CONFIGS].find((c) => c.name === values.replay);
    if (config === undefined)
      throw new RangeError(`No configuration named "${values.replay}"; known: ${RANDOM_CONFIGS.map((c) => c.name).join(' | ')}`);
    const result = await simulate(config, new SeededChooser(Number(values.seed ?? first)));
    for (const line of result.trace) console.log(line);
    console.log(result.violations.length === 0 ? 'no violation' : `VIOLATION: ${result.violations.join('; ')}`);
    if (result.violations.length > 0) process.exitCode = 1;
    return;
  }

  const brief = values.brief === true;
  const started = Date.now();
  let schedules = 0;
  // --first-config: that configuration is explored first (a mutant names where it is expected to show).
  const firstName = values['first-config'];
  if (firstName !== undefined && ![...RANDOM_CONFIGS, ...EXHAUSTIVE_CONFIGS].some((c) => c.name === firstName))
    throw new RangeError(`No configuration named "${firstName}"\n${USAGE}`);
  const firstConfigFirst = <T extends { readonly name: string }>(configs: readonly T[]): T[] => [
    ...configs.filter((c) => c.name === firstName),
    ...configs.filter((c) => c.name !== firstName),
  ];
  for (const config of firstConfigFirst(RANDOM_CONFIGS)) {
    const t = Date.now();
    const result = await exploreRandom(config, first, seeds);
    schedules += result.runs;
    if (result.failure) {
      report(config, brief ? result.failure : await shrink(config, result.failure), brief);
      process.exitCode = 1;
      return;
    }
    if (!brief)
      console.log(`ok  ${config.name}: ${result.runs} seeds, ${result.steps} steps, ${result.faults} faults, ${Date.now() - t} ms`);
  }
  for (const config of firstConfigFirst(EXHAUSTIVE_CONFIGS)) {
    const t = Date.now();
    const result = await exploreExhaustive(config, exhaustiveRuns);
    schedules += result.runs;
    if (result.failure) {
      report(config, brief ? result.failure : await shrink(config, result.failure), brief);
      process.exitCode = 1;
      return;
    }
    if (!brief) {
      console.log(
        `ok  ${config.name}: ${result.runs} schedules (${result.pruned} pruned at a state seen before), ${result.states} states, ${
          result.complete ? 'all explored' : `stopped at --exhaustive-runs ${exhaustiveRuns}`
        }, ${Date.now() - t} ms`,
      );
    }
  }
  console.log(`${schedules} schedules, no violation, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
