/**
 * `npm run chaos -- --messages N --seed S [--crash-rate R] [--plain]`: the chaos suite at any size. Starts
 * DynamoDB Local and fauxqs, runs the scenario of scripts/chaos/engine.ts and prints its summary table and
 * invariants; exits with 1 when any invariant is violated (with effectively-once).
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { parseArgs } from 'node:util';
import { startLocalDynamoDB, startLocalSqs } from '../lib/testing';
import { DEFAULT_CRASH_RATE, runChaos } from './chaos/engine';
import { formatInvariants, formatSummary } from './chaos/report';

const USAGE = 'Usage: npm run chaos -- [--messages N] [--seed S] [--crash-rate R] [--plain]';

function parse(): { messages: number; seed: number; crashRate: number; plain: boolean } {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      'crash-rate': { type: 'string', default: String(DEFAULT_CRASH_RATE) },
      plain: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const messages = Number(values.messages);
  const seed = Number(values.seed);
  const crashRate = Number(values['crash-rate']);
  if (!Number.isInteger(messages) || messages < 2) throw new RangeError(`Expected --messages to be an integer >= 2, got ${values.messages}\n${USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${USAGE}`);
  if (!(crashRate >= 0 && crashRate <= 0.5)) throw new RangeError(`Expected --crash-rate to be from 0 to 0.5, got ${values['crash-rate']}\n${USAGE}`);
  return { messages, seed, crashRate, plain: values.plain === true };
}

async function main(): Promise<void> {
  const args = parse();
  console.log(`Starting DynamoDB Local and fauxqs; ${args.messages} messages, seed ${args.seed}, crash rate ${args.crashRate} ...`);
  const [dynamo, sqs] = await Promise.all([startLocalDynamoDB(), startLocalSqs()]);
  try {
    let last = 0;
    const summary = await runChaos({
      messages: args.messages,
      seed: args.seed,
      crashRate: args.crashRate,
      useLibrary: !args.plain,
      dynamo,
      sqs,
      onProgress: (p) => {
        if (p.phase !== 'running' || Date.now() - last < 5_000) return;
        last = Date.now();
        console.log(`  ${p.settled}/${p.total} messages settled, ${p.deliveries} deliveries`);
      },
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
