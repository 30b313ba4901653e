/**
 * The process-kill chaos run at CI size (`npm run chaos -- --processes N` runs it at any size): the
 * example consumer in three child processes polling a standard and a FIFO queue, SIGKILLed by the test at
 * random moments and as their notifications arrive, and replaced; then each invariant, one test each.
 */
import { MAX_KILLED_RECEIVE_COUNT, runProcessChaos, type ProcessChaosSummary } from '../../scripts/chaos/processes';
import { PLAIN_EFFECT_INVARIANT } from '../../scripts/chaos/plain-effect';
import { formatInvariants, formatProcessSummary } from '../../scripts/chaos/report';
import { INVARIANTS } from '../../scripts/chaos/verify';

const MESSAGES = 300;
const PROCESSES = 3;
const SEED = 20_240_602;

function endpoint(variable: 'EO_DYNAMODB_ENDPOINT' | 'EO_SQS_ENDPOINT'): { endpoint: string } {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new Error(`${variable} is not set: run the tests through jest`);
  return { endpoint: value };
}

let summary: ProcessChaosSummary;

beforeAll(async () => {
  summary = await runProcessChaos({
    messages: MESSAGES,
    seed: SEED,
    processes: PROCESSES,
    dynamo: endpoint('EO_DYNAMODB_ENDPOINT'),
    sqs: endpoint('EO_SQS_ENDPOINT'),
  });
  // The table, for the CI log.
  console.log(`${formatProcessSummary(summary)}\n\nInvariants:\n${formatInvariants(summary)}`);
}, 150_000);

function violationsOf(name: string): number {
  const invariant = summary.invariants.find((i) => i.name === name);
  if (invariant === undefined) throw new Error(`No invariant named "${name}"`);
  return invariant.violations;
}

describe(`chaos: ${MESSAGES} messages, ${PROCESSES} consumer processes SIGKILLed at random (seed ${SEED})`, () => {
  it('kills processes in the middle of invocations, after notifications, and replaces every one', () => {
    expect(summary.kills.total).toBeGreaterThanOrEqual(3);
    expect(summary.kills.random).toBeGreaterThan(0);
    expect(summary.kills.afterNotification).toBeGreaterThan(0);
    expect(summary.killedMidInvocation).toBeGreaterThan(0);
    expect(summary.plainEffect.killedAfterEffect).toBeGreaterThan(0);
    expect(summary.replacements).toBe(summary.kills.total + summary.timeouts + summary.unexpectedExits);
  });

  it('has no consumer process fail on its own', () => {
    expect(summary.childErrors).toEqual([]);
    expect(summary.unexpectedExits).toBe(0);
  });

  it('delivers the messages again after kills, and drains the queues', () => {
    expect(summary.messagesSent).toBe(MESSAGES);
    expect(summary.deliveries).toBeGreaterThan(MESSAGES);
    expect(summary.drained).toBe(true);
    expect(violationsOf(INVARIANTS.drained)).toBe(0);
  });

  it('writes exactly one ledger entry per business event', () => {
    expect(violationsOf(INVARIANTS.ledger)).toBe(0);
    expect(summary.effects.ledgerEntries).toBe(summary.businessEvents);
  });

  it('charges each business event once', () => {
    expect(violationsOf(INVARIANTS.external)).toBe(0);
    expect(summary.effects.externalCalls).toBe(summary.businessEvents);
  });

  it('loses no business event and keeps the balances', () => {
    expect(violationsOf(INVARIANTS.lost)).toBe(0);
    expect(violationsOf(INVARIANTS.balances)).toBe(0);
  });

  it('leaves nothing in progress once the killed processes’ leases expire', () => {
    expect(violationsOf(INVARIANTS.inProgress)).toBe(0);
  });

  it(`sends nothing to the DLQs (no record of a process handling one received more than ${MAX_KILLED_RECEIVE_COUNT} times is killed)`, () => {
    expect(violationsOf(INVARIANTS.dlq)).toBe(0);
  });

  it('repeats the notification only for deliveries whose process died between sending it and completing', () => {
    expect(summary.plainEffect.sent).toBeGreaterThanOrEqual(summary.businessEvents);
    expect(violationsOf(PLAIN_EFFECT_INVARIANT)).toBe(0);
    expect(summary.violations).toBe(0);
  });
});
