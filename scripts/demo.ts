/**
 * `npm start`: the chaos scenario at a small size, on an embedded DynamoDB Local and fauxqs. Business
 * events are sent one to three times to a standard and a FIFO queue, three pollers per queue deliver them
 * to the example consumer (handlers/chaos-consumer.ts), handlers crash at random points and DynamoDB
 * throttles and loses responses. The same run goes through the same consumer logic without
 * effectively-once, beside it: the table shows how many times the side effects (charges, ledger entries)
 * ran in each.
 *
 *   npm start -- --messages 400 --crash-rate 0.1 --seed 42
 */
// The SDK warns that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { parseArgs } from 'node:util';
import { MultiBar, Presets } from 'cli-progress';
import { startLocalDynamoDB, startLocalSqs } from '../lib/testing';
import { runChaos, type ChaosProgress, type ChaosSummary } from './chaos/engine';
import { formatComparison, formatInvariants } from './chaos/report';

/** Messages sent per run when `--messages` is not given. */
const DEFAULT_DEMO_MESSAGES = 400;
/** Share of deliveries (and invocations) that crash when `--crash-rate` is not given. */
const DEFAULT_DEMO_CRASH_RATE = 0.1;
const USAGE = 'Usage: npm start -- [--messages N] [--crash-rate R] [--seed S]';

function parse(): { messages: number; crashRate: number; seed: number } {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: String(DEFAULT_DEMO_MESSAGES) },
      'crash-rate': { type: 'string', default: String(DEFAULT_DEMO_CRASH_RATE) },
      seed: { type: 'string', default: String(Math.floor(Math.random() * 1_000_000)) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const messages = Number(values.messages);
  const crashRate = Number(values['crash-rate']);
  const seed = Number(values.seed);
  if (!Number.isInteger(messages) || messages < 2)
    throw new RangeError(`Expected --messages to be an integer >= 2, got ${values.messages}\n${USAGE}`);
  if (!(crashRate >= 0 && crashRate <= 0.5))
    throw new RangeError(`Expected --crash-rate to be from 0 to 0.5, got ${values['crash-rate']}\n${USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${USAGE}`);
  return { messages, crashRate, seed };
}

async function main(): Promise<void> {
  const { messages, crashRate, seed } = parse();
  const started = Date.now();
  console.log('Starting DynamoDB Local (Java) and fauxqs (SQS) ...');
  const [dynamo, sqs] = await Promise.all([startLocalDynamoDB(), startLocalSqs()]);
  console.log(
    `Sending ${messages} messages per run (business events sent 1-3 times, to a standard and a FIFO queue),\n` +
      `crash rate ${crashRate}, 20% throttling and lost responses on DynamoDB (SDK default retries),\nseed ${seed}.\n`,
  );
  const bars = new MultiBar(
    {
      // Within 80 columns at the demo's size (400 messages): a 16-character label and a 12-character bar.
      format: ' {label} [{bar}] {value}/{total} settled | {deliveries} deliveries | {phase}',
      barsize: 12,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // Without a terminal (CI logs, a pipe): a plain progress line every five seconds.
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    Presets.shades_classic,
  );
  let barsStopped = false;
  const stopBars = (): void => {
    if (!barsStopped) bars.stop();
    barsStopped = true;
  };
  const run = (useLibrary: boolean): Promise<ChaosSummary> => {
    const label = useLibrary ? 'effectively-once' : 'without         ';
    const bar = bars.create(messages, 0, { label, deliveries: 0, phase: 'setup' });
    return runChaos({
      messages,
      seed,
      crashRate,
      useLibrary,
      dynamo,
      sqs,
      onProgress: (p: ChaosProgress) => bar.update(p.settled, { label, deliveries: p.deliveries, phase: p.phase }),
    });
  };
  try {
    // Both runs at once, on their own queues and tables.
    const [withLibrary, plain] = await Promise.all([run(true), run(false)]);
    stopBars();
    console.log('');
    console.log(formatComparison([withLibrary, plain]));
    console.log('');
    console.log('Invariants with effectively-once:');
    console.log(formatInvariants(withLibrary));
    const extraCharges = plain.effects.externalCalls - plain.businessEvents;
    const extraEntries = plain.effects.ledgerEntries - plain.businessEvents;
    console.log('');
    console.log(
      `With effectively-once, ${withLibrary.businessEvents} events were charged ${withLibrary.effects.externalCalls} times and booked ` +
        `${withLibrary.effects.ledgerEntries} times (${withLibrary.violations} violations). Without it, the same deliveries and ` +
        `crashes charged ${extraCharges >= 0 ? `${extraCharges} times too often` : `${-extraCharges} times too few`} and booked ${extraEntries} extra ledger entries.`,
    );
    console.log(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Try: npm start -- --messages 1000 --crash-rate 0.2 --seed ${seed}`,
    );
    if (withLibrary.violations > 0) process.exitCode = 1;
  } finally {
    stopBars();
    await Promise.all([dynamo.stop(), sqs.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
