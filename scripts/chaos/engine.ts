/**
 * The chaos scenario shared by `npm run chaos`, the CI-sized run in `npm test` and `npm start`: business
 * events sent one to three times to a standard and a FIFO queue (fauxqs), consumed by the example
 * consumer (handlers/chaos-consumer.ts) through the local event source (three pollers per queue), with
 * crashes at random points and faults on DynamoDB (DynamoDB Local) under the SDK's default retries; then
 * the invariants are checked.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { createChaosConsumer, createPlainConsumer, type SqsConsumer } from '../../handlers/chaos-consumer';
import { DynamoDBStore } from '../../lib';
import { createIdempotencyTable, startLocalEventSource, withFaults, type LocalEventSource } from '../../lib/testing';
import { localDynamoClient, localSqsClient, type Endpoint } from './clients';
import { chaosIdOf, CrashInjector, type CrashCounts } from './crashes';
import { FakePaymentsApi } from './fake-api';
import { FakeNotifier } from './fake-notifier';
import { sumFaults, tallyFaults, type FaultTally } from './fault-tally';
import { InvocationLog } from './invocations';
import { checkPlainEffect, type PlainEffectCounts } from './plain-effect';
import { createQueues, messagesLeft, send } from './queues';
import { seeded } from './random';
import { verify, type InvariantResult } from './verify';
import { makeWorkload } from './workload';

/** Share of deliveries (and of invocations) that crash, when `crashRate` is not given. */
export const DEFAULT_CRASH_RATE = 0.05;
/**
 * Share of DynamoDB requests (each SDK attempt) throttled. The consumer's client keeps the SDK's default
 * retries (3 attempts, and the retry quota), as users' clients do.
 */
export const THROTTLE_RATE = 0.2;
/** Share of DynamoDB requests applied whose response is lost. */
export const LOST_RESPONSE_RATE = 0.02;
/**
 * Share of the completions and transactions (on top of {@link LOST_RESPONSE_RATE}) applied whose response
 * is lost: the writes whose outcome the engine must not mistake.
 */
export const COMPLETION_LOST_RESPONSE_RATE = 0.05;
/** The commands that store completions, checkpoints and batched claims and completions. */
export const COMPLETION_COMMANDS: readonly string[] = ['UpdateItemCommand', 'TransactWriteItemsCommand', 'BatchExecuteStatementCommand'];
/** Share of the payments API's responses lost after the charge was applied. */
export const API_LOST_RESPONSE_RATE = 0.02;
/** Concurrent pollers per queue, when `pollers` is not given. */
export const DEFAULT_POLLERS = 3;
/** Function timeout of the emulated Lambda invocations; the lease is this less one second. */
export const HANDLER_TIMEOUT_MS = 2_000;
/** Visibility timeout of the queues, in seconds (Lambda wants at least the function timeout). */
export const VISIBILITY_TIMEOUT_SECONDS = 2;
/** Receives after which SQS moves a message to the DLQ. */
export const MAX_RECEIVE_COUNT = 8;
/**
 * Slow-store mode (`slowStore`): the share of DynamoDB requests whose answer comes late, by up to twice the
 * lease (the function timeout less one second), as a slow network, a frozen sandbox or a long GC would make it.
 */
export const SLOW_ANSWER_RATE = 0.02;
/**
 * Slow-store mode: receives after which SQS moves a message to the DLQ. A batch of 10 records sends about
 * forty DynamoDB requests, so one answer late by up to 2 s often takes the whole invocation past its 2 s
 * timeout and every record of the batch is received again: the redrive policy a team with a slow store sets.
 */
export const SLOW_STORE_MAX_RECEIVE_COUNT = 20;
/** Slow-store mode: how late a slow answer comes, in ms (0 to twice the lease). */
export const SLOW_ANSWER_MS: readonly [number, number] = [0, 2 * (HANDLER_TIMEOUT_MS - 1_000)];
/** Slow-store mode: an outage (every DynamoDB request throttled) this long, longer than a lease ... */
export const OUTAGE_MS = 3_000;
/** ... every this many ms of the run ... */
export const OUTAGE_EVERY_MS = 20_000;
/** ... the first this long after the start, while the consumers work through the first messages. */
export const FIRST_OUTAGE_MS = 5_000;

/** The outage windows of a run that may last `runMs`. */
export function outageWindows(runMs: number): { readonly fromMs: number; readonly toMs: number }[] {
  const windows: { fromMs: number; toMs: number }[] = [];
  for (let fromMs = FIRST_OUTAGE_MS; fromMs < runMs; fromMs += OUTAGE_EVERY_MS) windows.push({ fromMs, toMs: fromMs + OUTAGE_MS });
  return windows;
}
/** An abandoned attempt stalls this long (plus up to a second), past its timeout and its lease. */
const STALL_MS = HANDLER_TIMEOUT_MS + 500;
/** How often progress is reported and the queues are looked at. */
const MONITOR_INTERVAL_MS = 250;

/** The consumer fails records on purpose all the time: its logs would drown the summary. */
const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/** Progress of a run, reported every quarter second. */
export interface ChaosProgress {
  readonly phase: 'setup' | 'sending' | 'running' | 'verifying' | 'done';
  /** Messages no longer on the queues: deleted after processing, or moved to a DLQ. */
  readonly settled: number;
  /** Messages sent in all. */
  readonly total: number;
  readonly deliveries: number;
}

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** SQS messages to send: copies of business events plus a few poison messages. */
  readonly messages: number;
  /** Seed of the messages, copies, crash decisions and faults (timing still varies between runs). */
  readonly seed: number;
  /** Share of deliveries (and of invocations) that crash. @default {@link DEFAULT_CRASH_RATE} (0.05) */
  readonly crashRate?: number;
  /** `true`: the consumer with effectively-once; `false`: the same logic without it. */
  readonly useLibrary: boolean;
  /** DynamoDB Local. */
  readonly dynamo: Endpoint;
  /** fauxqs. */
  readonly sqs: Endpoint;
  /**
   * Slow-store mode: on top of the other faults, {@link SLOW_ANSWER_RATE} of DynamoDB answers late by up to
   * twice the lease, and every request throttled for {@link OUTAGE_MS} every {@link OUTAGE_EVERY_MS}. @default false
   */
  readonly slowStore?: boolean;
  /** Pollers per queue. @default {@link DEFAULT_POLLERS} (3) */
  readonly pollers?: number;
  /** Give up waiting for the queues to drain after this long. @default - 60 s, plus two visibility timeouts per receive of the redrive policy, plus 30 ms per message */
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: ChaosProgress) => void;
}

/** What a run did and found. */
export interface ChaosSummary {
  readonly mode: 'effectively-once' | 'plain';
  readonly seed: number;
  readonly crashRate: number;
  /** Slow-store mode (see {@link ChaosOptions.slowStore}). */
  readonly slowStore: boolean;
  readonly businessEvents: number;
  readonly messagesSent: number;
  readonly poisonMessages: number;
  /** Records handed to the handler (a message delivered three times counts three times). */
  readonly deliveries: number;
  /** Deliveries acknowledged without running the handler: the event had been processed already. */
  readonly duplicatesSuppressed: number;
  /** Invocations that ran past the function timeout (abandoned attempts, slow retries). */
  readonly handlerTimeouts: number;
  readonly crashes: CrashCounts;
  readonly faults: {
    readonly total: number;
    /** DynamoDB requests (SDK attempts) of the consumer. */
    readonly requests: number;
    readonly throttled: number;
    readonly lostResponses: number;
    /** Of the DynamoDB faults, those on {@link COMPLETION_COMMANDS}. */
    readonly completions: { readonly requests: number; readonly throttled: number; readonly lostResponses: number };
    /** Per SDK command. */
    readonly byCommand: FaultTally;
    readonly apiLostResponses: number;
    /** Slow-store mode: DynamoDB answers delayed, and requests failed in the outage window. */
    readonly slowAnswers: number;
    readonly outaged: number;
  };
  /** The plain effect (notifications), its repeats, and how the deliveries that sent it ended. */
  readonly plainEffect: PlainEffectCounts & {
    /**
     * Deliveries that sent the effect, were not crashed, and reached the function timeout before their
     * completion was stored (Lambda would stop them there); `duringCompletion`: with the completion sent.
     */
    readonly timedOutAfterEffect: number;
    readonly timedOutDuringCompletion: number;
    /** Deliveries that sent the effect and returned with their record not completed, with no crash or timeout. */
    readonly notStored: number;
    /** The errors their completions failed with, by name (none: the store call never failed). */
    readonly notStoredErrors: Readonly<Record<string, number>>;
    /**
     * Of those, the deliveries whose completion the library gave up with IdempotencyStoreError (its store
     * retries ran out of the invocation's time): crash points at the completion, as the README documents.
     */
    readonly gaveUpStoring: number;
    /** Notifications refused because the invocation was past its function timeout (Lambda had stopped it). */
    readonly refusedPastTimeout: number;
  };
  readonly effects: {
    /** Ledger entries written. */
    readonly ledgerEntries: number;
    /** Charges the payments API applied. */
    readonly externalCalls: number;
    /** Requests the payments API received (retried steps included; repeats deduplicated by their key). */
    readonly externalRequests: number;
  };
  readonly invariants: readonly InvariantResult[];
  readonly violations: number;
  /** Whether the queues drained before `timeoutMs`. */
  readonly drained: boolean;
  readonly durationMs: number;
}

function validate(options: ChaosOptions): void {
  if (!Number.isInteger(options.messages) || options.messages < 2) {
    throw new RangeError(`Expected \`messages\` to be an integer >= 2, got ${String(options.messages)}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`Expected \`seed\` to be an integer, got ${String(options.seed)}`);
  const rate = options.crashRate ?? DEFAULT_CRASH_RATE;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 0.5)) {
    throw new RangeError(`Expected \`crashRate\` to be a number from 0 to 0.5, got ${String(options.crashRate)}`);
  }
}

/** Runs one chaos scenario end to end (own tables and queues) and checks the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  validate(options);
  const started = Date.now();
  const { messages, seed, useLibrary, onProgress } = options;
  const crashRate = options.crashRate ?? DEFAULT_CRASH_RATE;
  const pollers = options.pollers ?? DEFAULT_POLLERS;
  // A poison message needs every receive of the redrive policy, a visibility timeout each, to reach its DLQ.
  const maxReceiveCount = options.slowStore === true ? SLOW_STORE_MAX_RECEIVE_COUNT : MAX_RECEIVE_COUNT;
  const timeoutMs = options.timeoutMs ?? 60_000 + 2 * maxReceiveCount * VISIBILITY_TIMEOUT_SECONDS * 1000 + 30 * messages;
  const mode = useLibrary ? 'effectively-once' : 'plain';
  const report = (progress: ChaosProgress): void => onProgress?.(progress);
  report({ phase: 'setup', settled: 0, total: messages, deliveries: 0 });

  const workload = makeWorkload(messages, seed);
  const runId = `chaos-${useLibrary ? 'eo' : 'plain'}-${randomBytes(4).toString('hex')}`;
  // A clean client for setup and verification; a faulty one for the consumer.
  const admin: DynamoDBClient = localDynamoClient(options.dynamo);
  // The SDK's defaults: no raised maxAttempts.
  const faulty: DynamoDBClient = localDynamoClient(options.dynamo);
  // Added in this order, the tally sits outside both injectors and the overall injector outside the other.
  const completionFaults = withFaults(faulty, {
    seed: seed ^ 0x5bd1e995,
    lostResponseRate: COMPLETION_LOST_RESPONSE_RATE,
    commands: COMPLETION_COMMANDS,
  });
  const timeFaults = withFaults(
    faulty,
    options.slowStore === true
      ? { seed: seed ^ 0x2545f491, slowAnswerRate: SLOW_ANSWER_RATE, slowAnswerMs: SLOW_ANSWER_MS, outages: outageWindows(timeoutMs) }
      : { seed },
  );
  const faults = withFaults(faulty, { seed, throttleRate: THROTTLE_RATE, lostResponseRate: LOST_RESPONSE_RATE });
  const tally = tallyFaults(faulty);
  const sqs = localSqsClient(options.sqs);
  // The pollers' own client, so that their long polls never queue behind the monitor's requests.
  const sqsForSources = localSqsClient(options.sqs);
  const sources: LocalEventSource[] = [];
  try {
    const [idempotencyTable, ledgerTable, queues] = await Promise.all([
      createIdempotencyTable(admin, `${runId}-idempotency`),
      createIdempotencyTable(admin, `${runId}-ledger`),
      createQueues(sqs, runId, {
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
        maxReceiveCount,
      }),
    ]);
    const api = new FakePaymentsApi(seeded(seed, 'api'), API_LOST_RESPONSE_RATE);
    const invocations = new InvocationLog();
    // Lambda stops an invocation at its timeout; the emulation lets it run on (a zombie), so the notifier
    // refuses a zombie's calls: a stopped invocation cannot email anyone.
    const notifier = new FakeNotifier({ refuse: () => invocations.stoppedReason(), onSent: (eventId) => invocations.notified(eventId) });
    const stallRandom = seeded(seed, 'stall');
    const crashes = new CrashInjector(
      seed,
      crashRate,
      () => STALL_MS + Math.floor(stallRandom() * 1000),
      (point, record) => {
        if (point === 'after-plain-effect') invocations.crashedAfterEffect(chaosIdOf(record));
      },
    );
    // The same faulty client under both: the store (which commits the ledger writes) or the plain writes.
    const deps = { ledgerTable, api, notifier, hooks: crashes.hooks, logger: QUIET };
    const consumer: SqsConsumer = useLibrary
      ? createChaosConsumer({ ...deps, store: invocations.observe(new DynamoDBStore({ client: faulty, tableName: idempotencyTable })) })
      : createPlainConsumer({ ...deps, client: faulty });

    let duplicatesSuppressed = 0;
    const lambda = async (event: SQSEvent, context: Context): Promise<unknown> => {
      const records = event.Records;
      return invocations.run(context, () =>
        crashes.run(records, async (startedHere) => {
          await crashes.invocation('before-claim', records);
          const response = await consumer(event, context);
          const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
          for (const record of records) {
            if (!failed.has(record.messageId) && !startedHere.has(record.messageId)) duplicatesSuppressed += 1;
          }
          await crashes.invocation('after-commit', records);
          return response;
        }),
      );
    };

    for (const kind of ['standard', 'fifo'] as const) {
      sources.push(
        startLocalEventSource({
          client: sqsForSources,
          queueUrl: queues.url[kind],
          handler: lambda,
          pollers,
          batchSize: 10,
          timeoutMs: HANDLER_TIMEOUT_MS,
          functionName: 'chaos-consumer',
        }),
      );
    }
    const deliveries = (): number => sources.reduce((sum, s) => sum + s.stats.messagesDelivered, 0);

    report({ phase: 'sending', settled: 0, total: messages, deliveries: 0 });
    await send(sqs, queues, workload.messages);

    // Wait for both queues to drain (poison messages leave them for their DLQ).
    let drained = false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [standardLeft, fifoLeft] = await Promise.all([messagesLeft(sqs, queues.url.standard), messagesLeft(sqs, queues.url.fifo)]);
      report({ phase: 'running', settled: Math.max(0, messages - standardLeft - fifoLeft), total: messages, deliveries: deliveries() });
      if (standardLeft + fifoLeft === 0) {
        drained = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, MONITOR_INTERVAL_MS));
    }
    // Abandoned attempts still stalled wake up and carry on: stop() waits for them.
    await Promise.all(sources.map((source) => source.stop()));
    report({ phase: 'verifying', settled: messages, total: messages, deliveries: deliveries() });

    const invariants = await verify({
      admin,
      sqs,
      idempotencyTable: useLibrary ? idempotencyTable : undefined,
      ledgerTable,
      queues,
      workload,
      api,
    });
    const byCommand = tally.counts();
    const dynamoFaults = sumFaults(byCommand);
    const completionFaultCounts = sumFaults(byCommand, COMPLETION_COMMANDS);
    const plainEffect = plainEffectSummary(invocations, notifier);
    const allInvariants = [...invariants.results, plainEffect.result];
    const ledgerEntries = invariants.ledgerEntries;
    const summary: ChaosSummary = {
      mode,
      seed,
      crashRate,
      slowStore: options.slowStore === true,
      businessEvents: workload.events.length,
      messagesSent: workload.messages.length,
      poisonMessages: workload.poison.size,
      deliveries: deliveries(),
      duplicatesSuppressed,
      handlerTimeouts: sources.reduce((sum, s) => sum + s.stats.timeouts, 0),
      crashes: crashes.counts(),
      faults: {
        total: dynamoFaults.throttled + dynamoFaults.lostResponses + api.lostResponses,
        requests: dynamoFaults.attempts,
        throttled: dynamoFaults.throttled,
        lostResponses: dynamoFaults.lostResponses,
        completions: {
          requests: completionFaultCounts.attempts,
          throttled: completionFaultCounts.throttled,
          lostResponses: completionFaultCounts.lostResponses,
        },
        byCommand,
        apiLostResponses: api.lostResponses,
        slowAnswers: timeFaults.injected().slowAnswers,
        outaged: timeFaults.injected().outaged,
      },
      plainEffect: plainEffect.counts,
      effects: { ledgerEntries, externalCalls: api.charges, externalRequests: api.requests },
      invariants: allInvariants,
      violations: allInvariants.reduce((sum, r) => sum + r.violations, 0),
      drained,
      durationMs: Date.now() - started,
    };
    report({ phase: 'done', settled: messages, total: messages, deliveries: summary.deliveries });
    return summary;
  } finally {
    await Promise.all(sources.map((source) => source.stop()));
    tally.remove();
    faults.remove();
    timeFaults.remove();
    completionFaults.remove();
    admin.destroy();
    faulty.destroy();
    sqs.destroy();
    sqsForSources.destroy();
  }
}

/** The plain-effect invariant of a run: which deliveries sent a notification, and how each ended. */
function plainEffectSummary(
  invocations: InvocationLog,
  notifier: FakeNotifier,
): { result: InvariantResult; counts: ChaosSummary['plainEffect'] } {
  const deliveries = invocations.plainEffectDeliveries();
  const crashed = new Map<string, number>();
  const fates = new Map<string, string[]>();
  let timedOut = 0;
  let duringCompletion = 0;
  let notStored = 0;
  let gaveUp = 0;
  const notStoredErrors: Record<string, number> = {};
  for (const { eventId, fate } of deliveries) {
    fates.set(eventId, [
      ...(fates.get(eventId) ?? []),
      fate.kind === 'timed-out' && fate.duringCompletion
        ? 'timed-out during its completion'
        : fate.kind === 'not-stored'
          ? `not-stored (completion errors: ${fate.completionErrors.join(', ') || 'none'})`
          : fate.kind,
    ]);
    if (fate.kind === 'not-stored') {
      notStored += 1;
      for (const name of fate.completionErrors.length > 0 ? fate.completionErrors : ['none'])
        notStoredErrors[name] = (notStoredErrors[name] ?? 0) + 1;
      // The library gave up storing the outcome within the invocation (its store retries ran out of time
      // under the injected faults) and said so with IdempotencyStoreError: the record stays held until its
      // lease ends, then a redelivery runs the work again. The README's failure table lists this point with
      // the crashes; a delivery that returned without its outcome and without that error is not excused.
      if (fate.completionErrors.includes('IdempotencyStoreError')) {
        crashed.set(eventId, (crashed.get(eventId) ?? 0) + 1);
        gaveUp += 1;
      }
    }
    if (fate.kind === 'crashed') crashed.set(eventId, (crashed.get(eventId) ?? 0) + 1);
    if (fate.kind === 'timed-out') {
      // Lambda stops an invocation at its function timeout: one stopped between the effect and the
      // completion is a crash at that point, counted apart from the injected ones in the report.
      crashed.set(eventId, (crashed.get(eventId) ?? 0) + 1);
      timedOut += 1;
      if (fate.duringCompletion) duringCompletion += 1;
    }
  }
  const { result, counts } = checkPlainEffect(
    notifier.sent,
    crashed,
    (eventId) => `deliveries that sent it: ${(fates.get(eventId) ?? []).join(', ')}`,
  );
  return {
    result,
    counts: {
      ...counts,
      timedOutAfterEffect: timedOut,
      timedOutDuringCompletion: duringCompletion,
      notStored,
      notStoredErrors,
      gaveUpStoring: gaveUp,
      refusedPastTimeout: notifier.refused,
    },
  };
}
