/**
 * The chaos run over ValkeyStore: business events sent one to three times to an emulated standard queue
 * and an emulated FIFO queue, consumed by `processSqsBatch` in batches of up to 10 with several pollers,
 * against a real local Valkey / Redis server through a client that throttles commands and loses answers
 * (client defaults kept), with a server restart mid-run and record handlers that fail before or after
 * their effect. Then the invariants, as the DynamoDB chaos run checks them where they apply.
 *
 * No `commitWith` here (ValkeyStore refuses it): the effect is a ledger entry made by the handler itself,
 * so a handler that fails after its effect is retried and makes it again: that is the documented at-least-once of an
 * effect outside the completion, and the ledger invariant allows exactly those repeats and no other.
 */
import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { processSqsBatch, type IdempotencyLogger } from '../../../lib';
import { RecordStatus } from '../../../lib/store';
import type { LocalValkey } from '../../../lib/testing';
import { ValkeyStore, type ValkeyClient } from '../../../lib/valkey';
import { commandsOf } from '../../../lib/valkey/client';
import { between, draw, seeded } from '../random';
import { withValkeyFaults } from './faults';

/** Share of the consumer's commands refused before they reach the server. */
export const VALKEY_THROTTLE_RATE = 0.2;
/** Share of the consumer's commands applied whose answer is lost. */
export const VALKEY_LOST_ANSWER_RATE = 0.05;
/** Share of record runs that fail before their effect, and after it. */
const FAIL_BEFORE_EFFECT_RATE = 0.1;
const FAIL_AFTER_EFFECT_RATE = 0.1;
const POLLERS = 3;
const BATCH_SIZE = 10;
const FIFO_GROUPS = 8;
/** Milliseconds a failed message stays invisible before it is delivered again. */
const VISIBILITY_MS = 20;

const QUIET: IdempotencyLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** What {@link runValkeyChaos} needs. */
export interface ValkeyChaosOptions {
  readonly messages: number;
  readonly seed: number;
  /** The server (started with `appendOnly`, so that the restart keeps the records). */
  readonly server: LocalValkey;
  /** Connects the consumer's client and the verifier's; `close` ends one. */
  readonly connect: () => Promise<{ readonly client: ValkeyClient; close(): Promise<void> }>;
  /** Consume through `processSqsBatch` and ValkeyStore; `false` runs every delivery plainly (to show the invariants catch duplicates). @default true */
  readonly useLibrary?: boolean;
  /** Restart the server once half the messages are settled. @default true */
  readonly restart?: boolean;
  /** Milliseconds before the run gives up draining. @default 60000 + 20 per message */
  readonly timeoutMs?: number;
}

/** One invariant's verdict. */
export interface ValkeyInvariant {
  readonly name: string;
  readonly violations: number;
  readonly examples: readonly string[];
}

/** What happened, and each invariant. */
export interface ValkeyChaosSummary {
  readonly seed: number;
  readonly businessEvents: number;
  readonly messagesSent: number;
  readonly deliveries: number;
  readonly invocations: number;
  readonly runs: number;
  readonly failedBeforeEffect: number;
  readonly failedAfterEffect: number;
  readonly restarts: number;
  readonly faults: { readonly commands: number; readonly throttled: number; readonly lostAnswers: number };
  readonly drained: boolean;
  readonly invariants: readonly ValkeyInvariant[];
  readonly violations: number;
  readonly durationMs: number;
}

export const VALKEY_INVARIANTS = {
  drained: 'every message is acknowledged before the deadline',
  completed: "every business event's record is completed",
  once: "every business event's work returns exactly once",
  ledger: 'every business event has one ledger entry, plus one per run that failed after its effect',
  exclusive: 'no two runs of one business event overlap',
  order: "each FIFO group's events take effect in the order sent",
} as const;

interface Message {
  readonly record: SQSRecord;
  readonly eventId: string;
  readonly group: string | undefined;
}

interface EventState {
  readonly id: string;
  readonly group: string | undefined;
  returned: number;
  failedAfterEffect: number;
  running: number;
  overlaps: number;
}

function record(id: string, eventId: string, group: string | undefined, sequence: number): SQSRecord {
  const body = JSON.stringify({ eventId });
  const fifo = group === undefined ? {} : { SequenceNumber: String(sequence), MessageGroupId: group, MessageDeduplicationId: id };
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...fifo,
    } as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:chaos${group === undefined ? '' : '.fifo'}`,
    awsRegion: 'us-east-1',
  };
}

/** Runs the chaos scenario and checks the invariants. */
export async function runValkeyChaos(options: ValkeyChaosOptions): Promise<ValkeyChaosSummary> {
  const started = Date.now();
  const { messages, seed } = options;
  const random = seeded(seed, 'valkey-workload');
  const events = new Map<string, EventState>();
  const standard: Message[] = [];
  const fifo = new Map<string, Message[]>();
  const sentOrder = new Map<string, string[]>();
  for (let sent = 0, n = 0; sent < messages; n += 1) {
    const group = random() < 0.5 ? `g${between(random, 1, FIFO_GROUPS)}` : undefined;
    const eventId = `${seed}-e${n}`;
    events.set(eventId, { id: eventId, group, returned: 0, failedAfterEffect: 0, running: 0, overlaps: 0 });
    if (group !== undefined) sentOrder.set(group, [...(sentOrder.get(group) ?? []), eventId]);
    const copies = Math.min(between(random, 1, 3), messages - sent);
    for (let copy = 0; copy < copies; copy += 1, sent += 1) {
      const message = { record: record(`${eventId}-m${copy}`, eventId, group, sent), eventId, group };
      if (group === undefined) standard.splice(between(random, 0, standard.length), 0, message);
      else fifo.set(group, [...(fifo.get(group) ?? []), message]);
    }
  }

  const consumer = await options.connect();
  const verifier = await options.connect();
  const faulty = withValkeyFaults(consumer.client, { seed, throttleRate: VALKEY_THROTTLE_RATE, lostAnswerRate: VALKEY_LOST_ANSWER_RATE });
  // Records of this run only, whatever ran on the server before.
  const prefix = `chaos-${seed}-${randomBytes(4).toString('hex')}:`;
  const store = new ValkeyStore({ client: faulty.client, keyPrefix: prefix, logger: QUIET });
  const ledger: string[] = [];
  const counts = { deliveries: 0, invocations: 0, runs: 0, failedBefore: 0, failedAfter: 0, restarts: 0, settled: 0 };
  const attempts = new Map<string, number>();

  const handler = async (rec: SQSRecord, { body }: { body: { eventId: string } }): Promise<void> => {
    const state = events.get(body.eventId) as EventState;
    const attempt = (attempts.get(rec.messageId) ?? 0) + 1;
    attempts.set(rec.messageId, attempt);
    counts.runs += 1;
    if (state.running > 0) state.overlaps += 1;
    state.running += 1;
    try {
      // The same delivery attempt gets the same draw whatever the timing.
      const fate = draw(seed, `${rec.messageId}#${attempt}`);
      if (fate < FAIL_BEFORE_EFFECT_RATE) {
        counts.failedBefore += 1;
        throw new Error('injected failure before the effect');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(fate * 5)));
      ledger.push(state.id);
      if (fate > 1 - FAIL_AFTER_EFFECT_RATE) {
        counts.failedAfter += 1;
        state.failedAfterEffect += 1;
        throw new Error('injected failure after the effect');
      }
      state.returned += 1;
    } finally {
      state.running -= 1;
    }
  };

  // Without the library: every delivery runs, failures reported per record.
  const plain = async (batch: Message[]): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => {
    const failures: { itemIdentifier: string }[] = [];
    for (const message of batch) {
      await handler(message.record, { body: JSON.parse(message.record.body) as { eventId: string } }).catch(() =>
        failures.push({ itemIdentifier: message.record.messageId }),
      );
    }
    return { batchItemFailures: failures };
  };

  const inFlightGroups = new Set<string>();
  let inFlight = 0;
  const later = (message: Message, front: boolean): void => {
    inFlight += 1;
    setTimeout(() => {
      inFlight -= 1;
      if (message.group === undefined) standard.push(message);
      else {
        const queue = fifo.get(message.group) ?? [];
        if (front) queue.unshift(message);
        else queue.push(message);
        fifo.set(message.group, queue);
      }
    }, VISIBILITY_MS);
  };
  const receive = (): Message[] => {
    if (random() < 0.5 && standard.length > 0) return standard.splice(0, BATCH_SIZE);
    for (const [group, queue] of fifo) {
      if (queue.length > 0 && !inFlightGroups.has(group)) {
        inFlightGroups.add(group);
        return queue.splice(0, BATCH_SIZE);
      }
    }
    return standard.splice(0, BATCH_SIZE);
  };
  const invoke = async (batch: Message[]): Promise<void> => {
    counts.invocations += 1;
    counts.deliveries += batch.length;
    let failed: Set<string>;
    try {
      const response =
        options.useLibrary === false
          ? await plain(batch)
          : await processSqsBatch<{ eventId: string }>({ Records: batch.map((m) => m.record) }, handler, {
              store,
              key: 'body.eventId',
              name: 'chaos',
              logger: QUIET,
            });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      // The whole invocation failed: every message comes back.
      failed = new Set(batch.map((m) => m.record.messageId));
    }
    // A FIFO group's failed messages go back to the head of the group, in order.
    for (const message of [...batch].reverse()) {
      if (failed.has(message.record.messageId)) later(message, true);
      else counts.settled += 1;
    }
    const group = batch[0]?.group;
    if (group !== undefined) setTimeout(() => inFlightGroups.delete(group), VISIBILITY_MS + 1);
  };

  const deadline = started + (options.timeoutMs ?? 60_000 + 20 * messages);
  const restartAt = options.restart === false ? Infinity : Math.floor(messages / 2);
  let restarting: Promise<void> | undefined;
  /** Invocations running: a poller that finds the queues empty stops only when none is. */
  let busy = 0;
  const left = (): number => standard.length + [...fifo.values()].reduce((sum, q) => sum + q.length, 0) + inFlight;
  const poller = async (): Promise<void> => {
    while (Date.now() < deadline) {
      if (counts.settled >= restartAt && restarting === undefined) {
        counts.restarts += 1;
        restarting = options.server.restart();
      }
      const batch = receive();
      if (batch.length > 0) {
        busy += 1;
        await invoke(batch).finally(() => (busy -= 1));
      } else if (left() === 0 && busy === 0) return;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  await Promise.all(Array.from({ length: POLLERS }, () => poller()));
  await restarting;
  const drained = left() === 0;

  const verifyStore = new ValkeyStore({ client: verifier.client, keyPrefix: prefix, logger: QUIET });
  const invariants: ValkeyInvariant[] = [];
  const check = (name: string, failures: string[]): void => {
    invariants.push({ name, violations: failures.length, examples: failures.slice(0, 5) });
  };
  check(VALKEY_INVARIANTS.drained, drained ? [] : [`${left()} message(s) left`]);
  // One record per business event under the run's prefix (the engine hashes the key): all completed.
  const keys = ((await commandsOf(verifier.client).send(['KEYS', `${prefix}*`])) as string[]).map((key) => key.slice(prefix.length));
  const records = await Promise.all(keys.map((key) => verifyStore.get(key, Date.now())));
  const done = records.filter((r) => r?.status === RecordStatus.Completed).length;
  check(
    VALKEY_INVARIANTS.completed,
    done === events.size && keys.length === events.size ? [] : [`${done} completed record(s) of ${keys.length} for ${events.size} events`],
  );
  const all = [...events.values()];
  check(
    VALKEY_INVARIANTS.once,
    all.filter((e) => e.returned !== 1).map((e) => `${e.id} returned ${e.returned} times`),
  );
  const entries = new Map<string, number>();
  for (const id of ledger) entries.set(id, (entries.get(id) ?? 0) + 1);
  check(
    VALKEY_INVARIANTS.ledger,
    all.filter((e) => (entries.get(e.id) ?? 0) !== 1 + e.failedAfterEffect).map((e) => `${e.id}: ${entries.get(e.id) ?? 0} entries`),
  );
  check(
    VALKEY_INVARIANTS.exclusive,
    all.filter((e) => e.overlaps > 0).map((e) => `${e.id}: ${e.overlaps} overlapping run(s)`),
  );
  const orderFailures: string[] = [];
  for (const [group, order] of sentOrder) {
    const seen = new Set<string>();
    const effected = ledger.filter((id) => events.get(id)?.group === group && !seen.has(id) && seen.add(id));
    if (effected.join() !== order.join())
      orderFailures.push(`${group}: ${effected.slice(0, 5).join(' ')} ... vs sent ${order.slice(0, 5).join(' ')} ...`);
  }
  check(VALKEY_INVARIANTS.order, orderFailures);

  await Promise.all([consumer.close(), verifier.close()]);
  return {
    seed,
    businessEvents: events.size,
    messagesSent: messages,
    deliveries: counts.deliveries,
    invocations: counts.invocations,
    runs: counts.runs,
    failedBeforeEffect: counts.failedBefore,
    failedAfterEffect: counts.failedAfter,
    restarts: counts.restarts,
    faults: { commands: faulty.tally.commands, throttled: faulty.tally.throttled, lostAnswers: faulty.tally.lostAnswers },
    drained,
    invariants,
    violations: invariants.reduce((sum, i) => sum + i.violations, 0),
    durationMs: Date.now() - started,
  };
}

/** The summary and the invariants as lines for a log. */
export function formatValkeyChaos(summary: ValkeyChaosSummary): string {
  const f = summary.faults;
  return [
    `ValkeyStore chaos, seed ${summary.seed}: ${summary.messagesSent} messages of ${summary.businessEvents} business events, ${summary.deliveries} deliveries in ${summary.invocations} batches, ${summary.runs} record runs`,
    `  injected: ${summary.failedBeforeEffect} failures before and ${summary.failedAfterEffect} after the effect; ${f.throttled} of ${f.commands} commands throttled, ${f.lostAnswers} answers lost; ${summary.restarts} server restart(s); ${summary.durationMs} ms`,
    ...summary.invariants.map(
      (i) =>
        `  ${i.violations === 0 ? 'ok  ' : 'FAIL'} ${i.name}${i.violations === 0 ? '' : ` (${i.violations}: ${i.examples.join('; ')})`}`,
    ),
  ].join('\n');
}
