/**
 * The outbox proof (issue 26): handler A consumes a FIFO queue and publishes to queue B through the outbox;
 * the relay (the idempotency table's stream, as Lambda runs it) publishes; handler B consumes B keyed by
 * `outboxMessageId` and counts its effect with `commitWith`. Under duplicated deliveries (every event sent
 * twice), attempts of A that throw after `publish`, throttles and lost answers on every client (A's and
 * B's stores, the relay's SQS and DynamoDB clients), and relay invocations whose answer is lost after they
 * published (a crashed relay: the batch is given again), it checks:
 * - every event A completed has B's effect exactly once;
 * - no message of an attempt of A that did not complete reaches B (its nonce never shows in an effect);
 * - no outbox item is left in the table.
 * Used by test/integration/outbox-proof.test.ts (CI size) and `npm run chaos -- --outbox` (any size).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { commitWith, DynamoDBStore, processSqsBatch } from '../../lib';
import { OUTBOX_ATTRIBUTE, outboxMessageId, publish, relayOutbox, sqsQueue } from '../../lib/outbox';
import { createIdempotencyTable, startLocalEventSource, startLocalOutboxRelay, withFaults } from '../../lib/testing';
import { mulberry32 } from '../../lib/testing/faults';

/** Options of {@link runOutboxProof}. */
export interface OutboxProofOptions {
  /** Distinct events sent to queue A (each sent twice). */
  readonly events: number;
  readonly seed: number;
  /** Clients of the local servers (fresh clients are made from their config for fault injection). */
  readonly makeDynamo: () => DynamoDBClient;
  readonly makeSqs: () => SQSClient;
  /** Probability that an attempt of A throws after publishing (its message must never arrive). */
  readonly failRate?: number;
  /** Throttle and lost-answer rates injected into every client. */
  readonly throttleRate?: number;
  readonly lostResponseRate?: number;
  /** Probability that a relay invocation's answer is lost after it published (the batch is given again). */
  readonly relayCrashRate?: number;
  /**
   * Run the relay as a child process SIGKILLed every 2 to 5 s and started again (resuming from
   * checkpointed stream positions), instead of in this process with lost answers; needs the servers' endpoints.
   */
  readonly killRelay?: { readonly dynamodbEndpoint: string; readonly sqsEndpoint: string };
  /** Milliseconds to wait for everything to settle. */
  readonly timeoutMs?: number;
  readonly onProgress?: (effects: number, total: number) => void;
}

/** What the proof saw. */
export interface OutboxProofReport {
  readonly events: number;
  readonly deliveriesToA: number;
  readonly failedAttemptsOfA: number;
  readonly relayInvocations: number;
  readonly relayCrashes: number;
  /** Relay processes SIGKILLed (`killRelay`). */
  readonly relayKills: number;
  readonly deliveriesToB: number;
  readonly effects: number;
  readonly faults: { throttled: number; lostResponses: number };
  /** Requests by command: A's store, the relay (SQS and DynamoDB), B's store. */
  readonly requests: Record<string, Record<string, number>>;
  readonly violations: string[];
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function countRequests(client: { middlewareStack: DynamoDBClient['middlewareStack'] }, counts: Record<string, number>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: `outboxProofCounter${randomUUID()}`, priority: 'low' },
  );
}

async function createQueue(sqs: SQSClient, name: string, fifo: boolean): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`,
      Attributes: { VisibilityTimeout: '2', ...(fifo ? { FifoQueue: 'true' } : {}) },
    }),
  );
  await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return QueueUrl as string;
}

/** Runs the proof; resolves with the report (violations empty when every invariant held). */
export async function runOutboxProof(options: OutboxProofOptions): Promise<OutboxProofReport> {
  const { events, seed } = options;
  const random = mulberry32(seed);
  const failRate = options.failRate ?? 0.2;
  const faultRates = { throttleRate: options.throttleRate ?? 0.05, lostResponseRate: options.lostResponseRate ?? 0.05 };
  const relayCrashRate = options.relayCrashRate ?? 0.2;
  const admin = options.makeDynamo();
  const adminSqs = options.makeSqs();
  const tableA = await createIdempotencyTable(admin, `proof-a-${randomUUID().slice(0, 8)}`);
  const tableB = await createIdempotencyTable(admin, `proof-b-${randomUUID().slice(0, 8)}`);
  const queueA = await createQueue(adminSqs, 'proof-a', true);
  const queueB = await createQueue(adminSqs, 'proof-b', false);

  const requests: Record<string, Record<string, number>> = { storeA: {}, relaySqs: {}, relayDynamo: {}, storeB: {} };
  const clients = {
    storeA: options.makeDynamo(),
    relaySqs: options.makeSqs(),
    relayDynamo: options.makeDynamo(),
    storeB: options.makeDynamo(),
  };
  const injectors = Object.entries(clients).map(([name, client], i) => {
    countRequests(client as never, requests[name] as Record<string, number>);
    return withFaults(client, { seed: seed + i + 1, ...faultRates });
  });

  const failedNonces = new Set<string>();
  const completed = new Set<string>();
  let deliveriesToA = 0;
  let deliveriesToB = 0;
  let relayCrashes = 0;
  const storeA = new DynamoDBStore({ client: clients.storeA, tableName: tableA, logger: quiet });
  const storeB = new DynamoDBStore({ client: clients.storeB, tableName: tableB, logger: quiet });
  const target = sqsQueue(queueB);

  const handlerA = (event: SQSEvent) => {
    deliveriesToA += event.Records.length;
    return processSqsBatch<{ eventId: string }>(
      event,
      async (_record, { body }) => {
        const nonce = randomUUID();
        publish(target, { eventId: body.eventId, nonce });
        if (random() < failRate) {
          failedNonces.add(nonce);
          throw new Error('A failed after publish');
        }
        return { eventId: body.eventId };
      },
      { store: storeA, key: 'body.eventId', name: 'a', logger: quiet },
    ).then((response) => {
      return response;
    });
  };
  const handlerB = (event: SQSEvent) => {
    deliveriesToB += event.Records.length;
    return processSqsBatch<{ eventId: string; nonce: string }>(
      event,
      async (_record, { body }) => {
        commitWith({
          Update: {
            TableName: tableB,
            Key: { id: `effect#${body.eventId}` },
            UpdateExpression: 'ADD #n :one, #nonces :nonce',
            ExpressionAttributeNames: { '#n': 'n', '#nonces': 'nonces' },
            ExpressionAttributeValues: { ':one': 1, ':nonce': new Set([body.nonce]) },
          },
        });
      },
      { store: storeB, key: outboxMessageId, name: 'b', logger: quiet },
    );
  };

  const killer = options.killRelay === undefined ? undefined : startRelayProcesses(tableA, options.killRelay, random);
  // The first relay process enables the table's stream: nothing may be committed before (as after a deploy).
  await killer?.ready;
  const relay =
    killer !== undefined
      ? undefined
      : await startLocalOutboxRelay({
          client: clients.relayDynamo,
          tableName: tableA,
          logger: quiet,
          retryDelayMs: 50,
          handler: async (event) => {
            const response = await relayOutbox(event, { clients: { sqs: clients.relaySqs, dynamodb: clients.relayDynamo }, logger: quiet });
            if (random() < relayCrashRate) {
              relayCrashes += 1;
              throw new Error('relay crashed after publishing');
            }
            return response;
          },
        });
  const sourceA = startLocalEventSource({
    client: options.makeSqs(),
    queueUrl: queueA,
    handler: handlerA,
    batchSize: 10,
    pollers: 2,
    waitTimeSeconds: 1,
  });
  const sourceB = startLocalEventSource({
    client: options.makeSqs(),
    queueUrl: queueB,
    handler: handlerB,
    batchSize: 10,
    pollers: 2,
    waitTimeSeconds: 1,
  });

  // Every event twice (a producer's retry): distinct deduplication ids, so queue A delivers both.
  for (let start = 0; start < events; start += 5) {
    const entries = [];
    for (let i = start; i < Math.min(events, start + 5); i += 1) {
      for (const copy of [0, 1]) {
        entries.push({
          Id: `${i}-${copy}`,
          MessageBody: JSON.stringify({ eventId: `event-${i}` }),
          MessageGroupId: `group-${i % 8}`,
          MessageDeduplicationId: `event-${i}-copy-${copy}`,
        });
      }
    }
    await adminSqs.send(new SendMessageBatchCommand({ QueueUrl: queueA, Entries: entries }));
  }

  const effects = async (): Promise<Map<string, { n: number; nonces: string[] }>> => {
    const out = new Map<string, { n: number; nonces: string[] }>();
    let startKey: Record<string, never> | undefined;
    do {
      const page = await admin.send(
        new ScanCommand({ TableName: tableB, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
      );
      for (const item of page.Items ?? []) {
        const id = item['id']?.S ?? '';
        if (id.startsWith('effect#')) out.set(id.slice('effect#'.length), { n: Number(item['n']?.N), nonces: item['nonces']?.SS ?? [] });
      }
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey);
    return out;
  };
  const completedInA = async (): Promise<{ completed: Set<string>; outboxItems: number }> => {
    const done = new Set<string>();
    let outboxItems = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await admin.send(
        new ScanCommand({ TableName: tableA, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
      );
      for (const item of page.Items ?? []) {
        if (item[OUTBOX_ATTRIBUTE] !== undefined) outboxItems += 1;
        else if (item['status']?.S === 'COMPLETED') done.add(item['id']?.S ?? '');
      }
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey);
    return { completed: done, outboxItems };
  };

  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  let seen = new Map<string, { n: number; nonces: string[] }>();
  let settled = 0;
  while (Date.now() < deadline) {
    seen = await effects();
    options.onProgress?.(seen.size, events);
    if (seen.size >= events && (killer === undefined || (await completedInA()).outboxItems === 0)) {
      // Let redeliveries of duplicates (visibility timeouts) and relay retries play out, then stop.
      settled += 1;
      if (settled >= 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await Promise.all([
    sourceA.idle({ timeoutMs: 60_000 }).catch(() => undefined),
    sourceB.idle({ timeoutMs: 60_000 }).catch(() => undefined),
  ]);
  await relay?.idle(60_000).catch(() => undefined);
  await Promise.all([sourceA.stop(), sourceB.stop(), relay?.stop(), killer?.stop()]);
  for (const injector of injectors) injector.remove();
  seen = await effects();
  const inA = await completedInA();
  for (const key of inA.completed) completed.add(key);

  const violations: string[] = [];
  if (completed.size !== events)
    violations.push(`${completed.size} of ${events} events completed in A (all should, their failures being transient)`);
  for (const [eventId, effect] of seen) {
    if (effect.n !== 1) violations.push(`${eventId}: B's effect happened ${effect.n} times`);
    for (const nonce of effect.nonces)
      if (failedNonces.has(nonce)) violations.push(`${eventId}: a message of an attempt of A that did not complete reached B`);
  }
  if (seen.size !== events) violations.push(`${seen.size} of ${events} events have B's effect`);
  if (inA.outboxItems > 0) violations.push(`${inA.outboxItems} outbox item(s) left in the table`);
  const injected = injectors.map((i) => i.injected());
  return {
    events,
    deliveriesToA,
    failedAttemptsOfA: failedNonces.size,
    relayInvocations: relay?.stats().invocations ?? 0,
    relayCrashes,
    relayKills: killer?.kills() ?? 0,
    deliveriesToB,
    effects: [...seen.values()].reduce((sum, e) => sum + e.n, 0),
    faults: { throttled: injected.reduce((s, i) => s + i.throttled, 0), lostResponses: injected.reduce((s, i) => s + i.lostResponses, 0) },
    requests,
    violations,
  };
}

/** The report as lines for the console. */
export function formatOutboxProof(report: OutboxProofReport): string {
  const perEvent = (n: number | undefined): string => ((n ?? 0) / report.events).toFixed(2);
  const lines = [
    `events                      ${report.events} (each sent twice to A)`,
    `deliveries to A             ${report.deliveriesToA}`,
    `attempts of A that failed   ${report.failedAttemptsOfA} (after publish: their messages must not exist)`,
    report.relayKills > 0
      ? `relay processes SIGKILLed   ${report.relayKills}`
      : `relay invocations           ${report.relayInvocations} (${report.relayCrashes} crashed after publishing)`,
    `deliveries to B             ${report.deliveriesToB}`,
    `B's effects                 ${report.effects}`,
    `injected faults             ${report.faults.throttled} throttles, ${report.faults.lostResponses} lost answers`,
    'requests per event:',
    ...Object.entries(report.requests).flatMap(([client, counts]) =>
      Object.entries(counts).map(([command, n]) => `  ${client.padEnd(12)} ${command.padEnd(28)} ${perEvent(n)}`),
    ),
    `violations                  ${report.violations.length}`,
    ...report.violations.slice(0, 20).map((v) => `  - ${v}`),
  ];
  return lines.join('\n');
}

/**
 * Keeps one relay process running on `tableName`, SIGKILLing it every 2 to 5 s (drawn from `random`) and
 * starting another; `stop()` ends the kills and leaves the last one running until the proof has settled.
 */
function startRelayProcesses(
  tableName: string,
  endpoints: { readonly dynamodbEndpoint: string; readonly sqsEndpoint: string },
  random: () => number,
): { ready: Promise<void>; kills(): number; stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let kills = 0;
  const checkpoints = path.join(os.tmpdir(), `outbox-relay-${randomUUID()}.json`);
  let stopped = false;
  const spawn = (): ChildProcess =>
    fork(path.join(__dirname, 'outbox-relay-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        OUTBOX_TABLE: tableName,
        OUTBOX_DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
        OUTBOX_SQS_ENDPOINT: endpoints.sqsEndpoint,
        OUTBOX_CHECKPOINTS: checkpoints,
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  child = spawn();
  const first = child;
  const ready = new Promise<void>((resolve, reject) => {
    first.once('message', () => resolve());
    first.once('exit', (code) => reject(new Error(`the first relay process exited with ${String(code)} before it was ready`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(
      () => {
        if (stopped) return;
        // Only the process this proof started, by its own handle.
        child?.kill('SIGKILL');
        kills += 1;
        child = spawn();
        schedule();
      },
      2_000 + random() * 3_000,
    );
  };
  return {
    ready: ready.then(schedule),
    kills: () => kills,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const last = child;
      if (last && last.exitCode === null) {
        const exited = new Promise<void>((resolve) => last.once('exit', () => resolve()));
        last.kill('SIGTERM');
        await exited;
      }
    },
  };
}
