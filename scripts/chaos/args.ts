/** The command line of `npm run chaos` (scripts/chaos.ts). */
import { parseArgs } from 'node:util';
import { DEFAULT_CRASH_RATE } from './engine';
import { MAX_PROCESSES } from './processes';

export const USAGE = [
  'Usage: npm run chaos -- [--messages N] [--seed S] [--crash-rate R] [--plain] [--slow-store]',
  '       --slow-store: also 2% of DynamoDB answers late by up to twice the lease, and a 3 s outage every 20 s (every request throttled)',
  `       npm run chaos -- --processes P [--messages N] [--seed S]   (P consumer processes, 1 to ${MAX_PROCESSES}, SIGKILLed at random)`,
].join('\n');

/** What `npm run chaos` was asked to do. */
export interface ChaosArgs {
  readonly help: boolean;
  readonly messages: number;
  readonly seed: number;
  readonly crashRate: number;
  readonly plain: boolean;
  /** Faults of time on DynamoDB: slow answers and an outage (see the chaos engine's `slowStore`). */
  readonly slowStore: boolean;
  /** Consumer processes, in process-kill mode; undefined for the in-process suite. */
  readonly processes: number | undefined;
}

/**
 * Parses and checks the arguments (without the `node script` part); with `--help`, checks nothing.
 * @throws RangeError naming the flag, with the usage, when one is invalid
 */
export function parseChaosArgs(argv: readonly string[], defaultSeed: number): ChaosArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(defaultSeed) },
      'crash-rate': { type: 'string' },
      plain: { type: 'boolean', default: false },
      'slow-store': { type: 'boolean', default: false },
      processes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true)
    return {
      help: true,
      messages: 0,
      seed: defaultSeed,
      crashRate: DEFAULT_CRASH_RATE,
      plain: false,
      slowStore: false,
      processes: undefined,
    };
  const messages = Number(values.messages);
  const seed = Number(values.seed);
  const crashRate = values['crash-rate'] === undefined ? DEFAULT_CRASH_RATE : Number(values['crash-rate']);
  const processes = values.processes === undefined ? undefined : Number(values.processes);
  if (!Number.isInteger(messages) || messages < 2)
    throw new RangeError(`Expected --messages to be an integer >= 2, got ${values.messages}\n${USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${USAGE}`);
  if (!(crashRate >= 0 && crashRate <= 0.5))
    throw new RangeError(`Expected --crash-rate to be from 0 to 0.5, got ${values['crash-rate']}\n${USAGE}`);
  if (processes !== undefined) {
    if (values.processes === '' || !Number.isInteger(processes) || processes < 1 || processes > MAX_PROCESSES) {
      throw new RangeError(`Expected --processes to be an integer from 1 to ${MAX_PROCESSES}, got ${values.processes}\n${USAGE}`);
    }
    if (values['crash-rate'] !== undefined || values.plain === true || values['slow-store'] === true) {
      throw new RangeError(`--processes kills real processes: --crash-rate, --plain and --slow-store do not apply to it\n${USAGE}`);
    }
  }
  return { help: false, messages, seed, crashRate, plain: values.plain === true, slowStore: values['slow-store'] === true, processes };
}
