/**
 * The deterministic simulation at CI size (`npm run simulate` runs it at any size): random schedules of
 * every configuration, every schedule of the small ones, and the mutants, each of which must be caught.
 */
import { EXHAUSTIVE_CONFIGS, RANDOM_CONFIGS } from '../../scripts/simulate/configs';
import { exploreExhaustive, exploreRandom } from '../../scripts/simulate/explore';
import { MUTANTS, runMutant } from '../../scripts/simulate/mutants';
import { SeededChooser, simulate } from '../../scripts/simulate/run';

const SEEDS = 300;

describe('the protocol under simulation', () => {
  it.each(RANDOM_CONFIGS.map((config) => [config.name, config] as const))(
    `%s: ${SEEDS} random schedules, no violation`,
    async (_name, config) => {
      const report = await exploreRandom(config, 1, SEEDS);
      expect(report.failure?.result.violations ?? []).toEqual([]);
      expect(report.runs).toBe(SEEDS);
      expect(report.faults).toBeGreaterThan(SEEDS / 2);
    },
  );

  it.each(EXHAUSTIVE_CONFIGS.map((config) => [config.name, config] as const))('%s: every schedule, no violation', async (_name, config) => {
    const report = await exploreExhaustive(config, 50_000);
    expect(report.failure?.result.violations ?? []).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.runs).toBeGreaterThan(50);
  });

  it('replays a seed byte for byte', async () => {
    const config = RANDOM_CONFIGS[0];
    if (config === undefined) throw new Error('no configuration');
    const first = await simulate(config, new SeededChooser(77));
    const second = await simulate(config, new SeededChooser(77));
    expect(second.trace).toEqual(first.trace);
    expect(first.faults).toBeGreaterThan(0);
  });
});

describe('mutants of the protocol', () => {
  it.each(MUTANTS.map((mutant) => [mutant.name, mutant] as const))(
    'catches: %s',
    (_name, mutant) => {
      const report = runMutant(mutant, 2_000);
      expect(report.evidence).toMatch(/^VIOLATION in "/);
      expect(report.caught).toBe(true);
    },
    120_000,
  );
});
