/** The command line of `npm run chaos`: the in-process suite's flags and the process-kill mode's `--processes`. */
import { parseChaosArgs, USAGE } from '../../scripts/chaos/args';
import { DEFAULT_CRASH_RATE } from '../../scripts/chaos/engine';
import { MAX_PROCESSES } from '../../scripts/chaos/processes';

describe('parseChaosArgs', () => {
  it('runs the in-process suite by default', () => {
    expect(parseChaosArgs([], 42)).toEqual({
      help: false,
      messages: 2000,
      seed: 42,
      crashRate: DEFAULT_CRASH_RATE,
      plain: false,
      slowStore: false,
      processes: undefined,
    });
  });

  it('reads --slow-store for faults of time on DynamoDB', () => {
    expect(parseChaosArgs(['--slow-store', '--messages', '10000'], 42)).toMatchObject({ slowStore: true, messages: 10_000 });
  });

  it('refuses --slow-store with --processes', () => {
    expect(() => parseChaosArgs(['--processes', '3', '--slow-store'], 42)).toThrow(/--crash-rate, --plain and --slow-store do not apply/);
  });

  it('reads --processes for the process-kill mode, with --messages and --seed', () => {
    expect(parseChaosArgs(['--processes', '3', '--messages', '300', '--seed', '7'], 42)).toMatchObject({
      processes: 3,
      messages: 300,
      seed: 7,
    });
    expect(parseChaosArgs([`--processes=${MAX_PROCESSES}`], 42).processes).toBe(MAX_PROCESSES);
  });

  it.each(['0', '-1', '1.5', 'three', '', String(MAX_PROCESSES + 1)])('refuses --processes %p, with the usage', (value) => {
    expect(() => parseChaosArgs([`--processes=${value}`], 42)).toThrow(
      new RangeError(`Expected --processes to be an integer from 1 to ${MAX_PROCESSES}, got ${value}\n${USAGE}`),
    );
  });

  it('refuses --crash-rate and --plain with --processes: they belong to the in-process suite', () => {
    expect(() => parseChaosArgs(['--processes', '3', '--crash-rate', '0.1'], 42)).toThrow(
      /--crash-rate, --plain and --slow-store do not apply/,
    );
    expect(() => parseChaosArgs(['--processes', '3', '--plain'], 42)).toThrow(/--crash-rate, --plain and --slow-store do not apply/);
  });

  it('checks the other flags as before', () => {
    expect(() => parseChaosArgs(['--messages', '1'], 42)).toThrow(/Expected --messages to be an integer >= 2, got 1/);
    expect(() => parseChaosArgs(['--seed', 'x'], 42)).toThrow(/Expected --seed to be an integer, got x/);
    expect(() => parseChaosArgs(['--crash-rate', '0.9'], 42)).toThrow(/Expected --crash-rate to be from 0 to 0.5, got 0.9/);
    expect(parseChaosArgs(['--crash-rate', '0.2', '--plain'], 42)).toMatchObject({ crashRate: 0.2, plain: true, processes: undefined });
  });

  it('asks for the usage with --help, whatever else is there', () => {
    expect(parseChaosArgs(['--help', '--processes', '0'], 42).help).toBe(true);
  });
});
