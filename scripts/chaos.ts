/**
 * `npm run chaos -- --messages N --seed S [--crash-rate R] [--plain]`: the chaos suite at any size. Starts
 * DynamoDB Local and fauxqs, runs the scenario of scripts/chaos/engine.ts and prints its summary table and
 * invariants; exits with 1 when any invariant is violated (with effectively-once).
 *
 * `npm run chaos -- --store valkey [--messages N] [--seed S] [--client iovalkey|ioredis|redis]`: the chaos
 * run over ValkeyStore against a local redis-server (scripts/chaos/valkey/).
 *
 * `npm run chaos -- --processes N [--messages M] [--seed S]`: the consumers run as N child processes that
 * the parent SIGKILLs at random moments and replaces (scripts/chaos/processes.ts).
 *
 * `npm run chaos -- --outbox [--events N] [--seed S]`: the outbox proof (scripts/chaos/outbox-cli.ts).
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { startLocalDynamoDB, startLocalSqs } from '../lib/testing';
import { parseChaosArgs, USAGE } from './chaos/args';
import { runChaos, type ChaosProgress } from './chaos/engine';
import { runProcessChaos } from './chaos/processes';
import { runOutboxChaos } from './chaos/outbox-cli';
import { valkeyChaosMain, wantsValkey } from './chaos/valkey/cli';
import { formatInvariants, formatProcessSummary, formatSummary } from './chaos/report';

function progress(): (p: ChaosProgress) => void {
  let last = 0;
  return (p) => {
    if (p.phase !== 'running' || Date.now() - last < 5_000) return;
    last = Date.now();
    console.log(`  ${p.settled}/${p.total} messages settled, ${p.deliveries} deliveries`);
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--outbox')) {
    process.exitCode = await runOutboxChaos(process.argv.slice(2));
    return;
  }
  if (wantsValkey(process.argv.slice(2))) {
    process.exitCode = await valkeyChaosMain(process.argv.slice(2), Date.now() % 1_000_000);
    return;
  }
  const args = parseChaosArgs(process.argv.slice(2), Date.now() % 1_000_000);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const what =
    args.processes === undefined
      ? `crash rate ${args.crashRate}${args.slowStore ? ', slow store' : ''}`
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
      slowStore: args.slowStore,
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
