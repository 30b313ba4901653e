/**
 * The chaos suite at CI size (`npm run chaos` runs it at any size): 2,000 messages, business events sent
 * one to three times to a standard and a FIFO queue, three pollers per queue, crashes at every kind of
 * point, 20% throttling and lost responses on DynamoDB with the SDK's default retries; then each
 * invariant, one test each. A small run of the same logic without effectively-once checks that the
 * invariants do catch duplicates.
 */
import { COMPLETION_COMMANDS, THROTTLE_RATE, runChaos, type ChaosSummary } from '../../scripts/chaos/engine';
import { PLAIN_EFFECT_INVARIANT } from '../../scripts/chaos/plain-effect';
import { INVARIANTS } from '../../scripts/chaos/verify';
import { formatInvariants, formatSummary } from '../../scripts/chaos/report';

const MESSAGES = 2_000;
const SEED = 20_240_601;
const PLAIN_MESSAGES = 300;

function endpoint(variable: 'EO_DYNAMODB_ENDPOINT' | 'EO_SQS_ENDPOINT'): { endpoint: string } {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new Error(`${variable} is not set: run the tests through jest`);
  return { endpoint: value };
}

let withLibrary: ChaosSummary;
let plain: ChaosSummary;

beforeAll(async () => {
  const servers = { dynamo: endpoint('EO_DYNAMODB_ENDPOINT'), sqs: endpoint('EO_SQS_ENDPOINT') };
  [withLibrary, plain] = await Promise.all([
    runChaos({ messages: MESSAGES, seed: SEED, useLibrary: true, ...servers }),
    runChaos({ messages: PLAIN_MESSAGES, seed: SEED, useLibrary: false, ...servers }),
  ]);
  // The table, for the CI log.
  console.log(`${formatSummary(withLibrary)}\n\nInvariants:\n${formatInvariants(withLibrary)}`);
}, 270_000);

function violationsOf(summary: ChaosSummary, name: string): number {
  const invariant = summary.invariants.find((i) => i.name === name);
  if (invariant === undefined) throw new Error(`No invariant named "${name}"`);
  return invariant.violations;
}

describe(`chaos: ${MESSAGES} messages with effectively-once (seed ${SEED})`, () => {
  it('sends the messages, each business event one to three times, and delivers some more than once', () => {
    expect(withLibrary.messagesSent).toBe(MESSAGES);
    expect(withLibrary.businessEvents).toBeGreaterThan(MESSAGES / 3);
    expect(withLibrary.businessEvents).toBeLessThan(MESSAGES);
    expect(withLibrary.deliveries).toBeGreaterThan(MESSAGES);
  });

  it('injects crashes at every point, by throwing and by abandoning attempts past their lease', () => {
    expect(Object.values(withLibrary.crashes.byPoint).every((count) => count > 0)).toBe(true);
    expect(withLibrary.crashes.thrown).toBeGreaterThan(0);
    expect(withLibrary.crashes.abandoned).toBeGreaterThan(0);
    expect(withLibrary.handlerTimeouts).toBeGreaterThan(0);
  });

  it('throttles about one DynamoDB attempt in five, under the SDK default retries', () => {
    const share = withLibrary.faults.throttled / withLibrary.faults.requests;
    expect(share).toBeGreaterThan(THROTTLE_RATE * 0.75);
    expect(share).toBeLessThan(THROTTLE_RATE * 1.25);
  });

  it('loses responses of completions and transactions: UpdateItem, TransactWriteItems, BatchExecuteStatement', () => {
    expect(withLibrary.faults.lostResponses).toBeGreaterThan(0);
    expect(withLibrary.faults.completions.lostResponses).toBeGreaterThan(0);
    for (const command of COMPLETION_COMMANDS) expect(withLibrary.faults.byCommand[command]?.lostResponses).toBeGreaterThan(0);
  });

  it('acknowledges duplicates without running the handler', () => {
    expect(withLibrary.duplicatesSuppressed).toBeGreaterThanOrEqual(MESSAGES - withLibrary.businessEvents - withLibrary.poisonMessages);
  });

  it('drains the queues before its deadline', () => {
    expect(withLibrary.drained).toBe(true);
    expect(violationsOf(withLibrary, INVARIANTS.drained)).toBe(0);
  });

  it('writes exactly one ledger entry per business event', () => {
    expect(violationsOf(withLibrary, INVARIANTS.ledger)).toBe(0);
  });

  it('makes exactly one external call per business event', () => {
    expect(violationsOf(withLibrary, INVARIANTS.external)).toBe(0);
  });

  it('loses no business event', () => {
    expect(violationsOf(withLibrary, INVARIANTS.lost)).toBe(0);
  });

  it('keeps every account balance equal to the sum of its events', () => {
    expect(violationsOf(withLibrary, INVARIANTS.balances)).toBe(0);
  });

  it('leaves nothing in progress once leases expire', () => {
    expect(violationsOf(withLibrary, INVARIANTS.inProgress)).toBe(0);
  });

  it('sends the notification, a plain effect, for every business event', () => {
    expect(withLibrary.plainEffect.sent).toBeGreaterThanOrEqual(withLibrary.businessEvents);
    expect(withLibrary.plainEffect.crashedAfterEffect).toBeGreaterThan(0);
  });

  it('repeats the notification only where a crash hit between it and the completion', () => {
    expect(violationsOf(withLibrary, PLAIN_EFFECT_INVARIANT)).toBe(0);
    expect(withLibrary.plainEffect.repeats).toBeLessThanOrEqual(withLibrary.plainEffect.crashedAfterEffect);
  });

  it('puts the poison messages, and nothing else, in the DLQs', () => {
    expect(withLibrary.poisonMessages).toBeGreaterThan(0);
    expect(violationsOf(withLibrary, INVARIANTS.dlq)).toBe(0);
  });

  it('applies each effect once: as many ledger entries and charges as business events, violations = 0', () => {
    expect(withLibrary.effects.ledgerEntries).toBe(withLibrary.businessEvents);
    expect(withLibrary.effects.externalCalls).toBe(withLibrary.businessEvents);
    expect(withLibrary.violations).toBe(0);
  });
});

describe(`chaos: ${PLAIN_MESSAGES} messages through the same logic without effectively-once`, () => {
  it('shows the duplicates the invariants exist to catch', () => {
    expect(violationsOf(plain, INVARIANTS.ledger)).toBeGreaterThan(0);
    expect(violationsOf(plain, INVARIANTS.external)).toBeGreaterThan(0);
    expect(plain.effects.externalCalls).toBeGreaterThan(plain.businessEvents);
    expect(violationsOf(plain, PLAIN_EFFECT_INVARIANT)).toBeGreaterThan(0);
  });
});
