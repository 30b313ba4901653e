/**
 * `npm run chaos -- --outbox [--events N] [--seed S] [--fail-rate R] [--fault-rate R] [--relay-crash-rate R] [--kill-relay]`:
 * the outbox proof (scripts/chaos/outbox-proof.ts) at any size, on DynamoDB Local and fauxqs started here.
 * `--kill-relay` runs the relay as a child process SIGKILLed every 2 to 5 s. Exits with 1 when an invariant
 * is violated.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalDynamoDB, startLocalSqs } from '../../lib/testing';
import { formatOutboxProof, runOutboxProof } from './outbox-proof';

export const OUTBOX_USAGE =
  'Usage: npm run chaos -- --outbox [--events N] [--seed S] [--fail-rate R] [--fault-rate R] [--relay-crash-rate R] [--kill-relay]';

/** Parses the outbox mode's flags. @throws RangeError naming the flag, with the usage */
export function parseOutboxArgs(argv: readonly string[], defaultSeed: number) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      outbox: { type: 'boolean' },
      events: { type: 'string', default: '500' },
      seed: { type: 'string', default: String(defaultSeed) },
      'fail-rate': { type: 'string', default: '0.2' },
      'fault-rate': { type: 'string', default: '0.05' },
      'relay-crash-rate': { type: 'string', default: '0.2' },
      'kill-relay': { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  const seed = Number(values.seed);
  if (!Number.isInteger(events) || events < 1)
    throw new RangeError(`Expected --events to be an integer >= 1, got ${values.events}\n${OUTBOX_USAGE}`);
  if (!Number.isInteger(seed)) throw new RangeError(`Expected --seed to be an integer, got ${values.seed}\n${OUTBOX_USAGE}`);
  const rate = (flag: 'fail-rate' | 'fault-rate' | 'relay-crash-rate'): number => {
    const value = Number(values[flag]);
    if (!(value >= 0 && value <= 0.5)) throw new RangeError(`Expected --${flag} to be from 0 to 0.5, got ${values[flag]}\n${OUTBOX_USAGE}`);
    return value;
  };
  return {
    events,
    seed,
    failRate: rate('fail-rate'),
    faultRate: rate('fault-rate'),
    relayCrashRate: rate('relay-crash-rate'),
    killRelay: values['kill-relay'] === true,
  };
}

/** Runs the outbox mode; resolves with the process exit code. */
export async function runOutboxChaos(argv: readonly string[]): Promise<number> {
  const args = parseOutboxArgs(argv, Date.now() % 1_000_000);
  console.log(
    `Outbox proof: ${args.events} events (each sent twice), seed ${args.seed}, fail rate ${args.failRate}, fault rate ${args.faultRate}, relay crash rate ${args.relayCrashRate}${args.killRelay ? ', relay processes SIGKILLed' : ''}; starting DynamoDB Local and fauxqs ...`,
  );
  const [dynamo, sqs] = await Promise.all([startLocalDynamoDB(), startLocalSqs()]);
  const credentials = () => ({ accessKeyId: 'local', secretAccessKey: 'local' });
  const started = Date.now();
  try {
    let last = 0;
    const report = await runOutboxProof({
      events: args.events,
      seed: args.seed,
      failRate: args.failRate,
      throttleRate: args.faultRate,
      lostResponseRate: args.faultRate,
      relayCrashRate: args.relayCrashRate,
      ...(args.killRelay ? { killRelay: { dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint } } : {}),
      timeoutMs: Math.max(300_000, args.events * 2_000),
      makeDynamo: () => new DynamoDBClient({ region: 'us-east-1', credentials: credentials(), endpoint: dynamo.endpoint }),
      makeSqs: () => new SQSClient({ region: 'us-east-1', credentials: credentials(), endpoint: sqs.endpoint }),
      onProgress: (effects, total) => {
        if (Date.now() - last < 5_000) return;
        last = Date.now();
        console.log(`  ${effects}/${total} events have B's effect`);
      },
    });
    console.log('');
    console.log(formatOutboxProof(report));
    console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
    return report.violations.length > 0 ? 1 : 0;
  } finally {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  }
}
