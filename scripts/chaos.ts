/**
 * `npm run chaos -- --messages N --seed S [--crash-rate R] [--plain]`: the chaos suite at any size. Starts
 * DynamoDB Local and fauxqs, runs the scenario of scripts/chaos/engine.ts and prints its summary table and
 * invariants; exits with 1 when any invariant is violated (with effectively-once).
 *
 * `npm run chaos -- --processes N [--messages M] [--seed S]`: the consumers run as N child processes that
 * the parent SIGKILLs at random moments and replaces (scripts/chaos/processes.ts).
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { parseArgs } from 'node:util';
import { startLocalDynamoDB, startLocalSqs } from '../lib/testing';
import { DEFAULT_CRASH_RATE, runChaos, type ChaosProgress } from './chaos/engine';
import { MAX_PROCESSES, runProcessChaos } from './chaos/processes';
import { formatInvariants, formatProcessSummary, formatSummary } from './chaos/report';

const USAGE = [
  'Usage: npm run chaos -- [--messages N] [--seed S] [--crash-rate R] [--plain]',
  `       npm run chaos -- --processes P [--messages N] [--seed S]   (P consumer processes, 1 to ${MAX_PROCESSES}, SIGKILLed at random)`,
].join('\n');

interface Args {
  readonly messages: number;
  readonly seed: number;
  readonly crashRate: number;
  readonly plain: boolean;
  /** Consumer processes, in process-kill mode. */
  readonly processes: number | undefined;
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      'crash-rate': { type: 'string' },
      plain: { type: 'boolean', default: false },
      processes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const messages = Number(values.messages);
  const seed = Number(values.seed);
  const crashRate = Number(values['crash-rate'] ?? DEFAULT_CRASH_RATE);
  const processes = values.processes === undefined ? undefined : Number(values.processes);
  if (!Number.isInteger(messages) || messages < 2) throw new RangeError(`Expected --messages to be an integer >= 2, got ${values.messages}\n${USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${USAGE}`);
  if (!(crashRate >= 0 && crashRate <= 0.5)) throw new RangeError(`Expected --crash-rate to be from 0 to 0.5, got ${values['crash-rate']}\n${USAGE}`);
  if (processes !== undefined) {
    if (!Number.isInteger(processes) || processes < 1 || processes > MAX_PROCESSES) {
      throw new RangeError(`Expected --processes to be an integer from 1 to ${MAX_PROCESSES}, got ${values.processes}\n${USAGE}`);
    }
    if (values['crash-rate'] !== undefined || values.plain === true) {
      throw new RangeError(`--processes kills real processes: --crash-rate and --plain do not apply to it\n${USAGE}`);
    }
  }
  return { messages, seed, crashRate, plain: values.plain === true, processes };
}

function progress(): (p: ChaosProgress) => void {
  let last = 0;
  return (p) => {
    if (p.phase !== 'running' || Date.now() - last < 5_000) return;
    last = Date.now();
    console.log(`  ${p.settled}/${p.total} messages settled, ${p.deliveries} deliveries`);
  };
}

async function main(): Promise<void> {
  const args = parse();
  const what =
    args.processes === undefined
      ? `crash rate ${args.crashRate}`
      : `${args.processes} consumer processes, SIGKILLed at random`;
  console.log(`Starting DynamoDB Local and fauxqs; ${args.messages} messages, seed ${args.seed}, ${what} ...`);
  const [dynamo, sqs] = await Promise.all([startLocalDynamoDB(), startLocalSqs()]);
  try {
    if (args.processes !== undefined) {
      const summary = await runProcessChaos({
        messages: args.messages,
        seed: args.seed,
        processes: args.processes,
        dynamo,
        sqs,
        onProgress: progress(),
      });
      console.log('');
      console.log(formatProcessSummary(summary));
      console.log('');
      console.log('Invariants:');
      console.log(formatInvariants(summary));
      if (summary.violations > 0 || summary.unexpectedExits > 0) process.exitCode = 1;
      return;
    }
    const summary = await runChaos({
      messages: args.messages,
      seed: args.seed,
      crashRate: args.crashRate,
      useLibrary: !args.plain,
      dynamo,
      sqs,
      onProgress: progress(),
    });
    console.log('');
    console.log(formatSummary(summary));
    console.log('');
    console.log('Invariants:');
    console.log(formatInvariants(summary));
    if (!args.plain && summary.violations > 0) process.exitCode = 1;
  } finally {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
