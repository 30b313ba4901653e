/**
 * The chaos suite with faults of time (`npm run chaos -- --slow-store` at any size): on top of crashes,
 * throttles and lost answers, some DynamoDB answers come late by up to twice the lease, and for 3 s every
 * request is throttled, with the SDK's default retries. The invariants are the same, one test each.
 */
import { runChaos, type ChaosSummary } from '../../scripts/chaos/engine';
import { formatInvariants, formatSummary } from '../../scripts/chaos/report';
import { INVARIANTS } from '../../scripts/chaos/verify';
import { PLAIN_EFFECT_INVARIANT } from '../../scripts/chaos/plain-effect';

const MESSAGES = 400;
const SEED = 20_261_206;

function endpoint(variable: 'EO_DYNAMODB_ENDPOINT' | 'EO_SQS_ENDPOINT'): { endpoint: string } {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new Error(`${variable} is not set: run the tests through jest`);
  return { endpoint: value };
}

let summary: ChaosSummary;

beforeAll(async () => {
  summary = await runChaos({
    messages: MESSAGES,
    seed: SEED,
    useLibrary: true,
    slowStore: true,
    dynamo: endpoint('EO_DYNAMODB_ENDPOINT'),
    sqs: endpoint('EO_SQS_ENDPOINT'),
  });
  console.log(`${formatSummary(summary)}\n\nInvariants:\n${formatInvariants(summary)}`);
}, 270_000);

describe(`chaos with a slow store: ${MESSAGES} messages (seed ${SEED})`, () => {
  it('delays DynamoDB answers and throttles every request of an outage', () => {
    expect(summary.faults.slowAnswers).toBeGreaterThan(0);
    expect(summary.faults.outaged).toBeGreaterThan(0);
  });

  it('drains the queues', () => {
    expect(summary.drained).toBe(true);
  });

  it.each([...Object.values(INVARIANTS), PLAIN_EFFECT_INVARIANT])('holds: %s', (name) => {
    const invariant = summary.invariants.find((i) => i.name === name);
    expect(invariant).toBeDefined();
    expect(invariant?.violations).toBe(0);
  });
});
