/**
 * The chaos scenario with real process crashes (`npm run chaos -- --processes N`): the consumer runs in N
 * child processes (scripts/chaos/process-consumer.ts), each polling the standard and the FIFO queue like
 * Lambda's event source; the parent SIGKILLs a random child at random moments (seeded), and sometimes the
 * moment a child's notification reaches the notifier, and starts a replacement each time, until the
 * queues drain. Then it checks the invariants of scripts/chaos/verify.ts and the plain-effect invariant,
 * whose allowance is, per business event, the deliveries that sent the notification and whose process
 * died before their invocation ended: SIGKILLed, or stopped by the function timeout as the Lambda runtime
 * does (the children's delivery logs tell which; the summary counts the two apart).
 *
 * No DynamoDB faults and no injected crashes here, and no poison messages: with a Lambda-like function
 * timeout (5 s), a poison message would take 8 x 5 s to reach its DLQ. The DLQs must end up empty.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createIdempotencyTable } from '../../lib/testing';
import { localDynamoClient, localSqsClient, type Endpoint } from './clients';
import type { ChaosProgress } from './engine';
import { API_LOST_RESPONSE_RATE, MAX_RECEIVE_COUNT } from './engine';
import { startEffectsServer, type NotifyRequest } from './effects-server';
import { checkPlainEffect, type PlainEffectCounts } from './plain-effect';
import { CHILD_CONFIG_ENV, readLog, TIMEOUT_EXIT_CODE, type ChildConfig, type ChildMessage, type ParentMessage } from './process-protocol';
import { createQueues, messagesLeft, send } from './queues';
import { seeded, type Random } from './random';
import { verify, type InvariantResult } from './verify';
import { makeWorkload } from './workload';

/** Consumer processes when `processes` is not given. */
export const DEFAULT_PROCESSES = 3;
/** Most consumer processes. */
export const MAX_PROCESSES = 32;
/** Pause between two kills: drawn from this range, in milliseconds, when `killGapMs` is not given. */
export const DEFAULT_KILL_GAP_MS: readonly [number, number] = [1_000, 3_000];
/**
 * Function timeout of the consumer processes' invocations, in milliseconds, when `functionTimeoutMs` is not
 * given; the queues' visibility timeout is the same. Real processes start cold and share the machine with
 * DynamoDB Local and each other: the first invocation of a process can take a couple of seconds.
 */
export const DEFAULT_PROCESS_TIMEOUT_MS = 5_000;
/** Share of kills aimed at the moment a child's notification arrives, rather than at a random moment. */
export const NOTIFICATION_KILL_SHARE = 0.5;
/**
 * A child running an invocation with a record received more than this many times is not killed, so no
 * healthy message reaches the DLQ's maxReceiveCount because of kills.
 */
export const MAX_KILLED_RECEIVE_COUNT = 3;
/** How often progress is reported and the queues are looked at. */
const MONITOR_INTERVAL_MS = 250;
/** How long a child gets to stop after the parent asks it to, before it is killed. */
const STOP_GRACE_MS = 10_000;
const CHILD_FILE = join(__dirname, 'process-consumer.ts');
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Options of {@link runProcessChaos}. */
export interface ProcessChaosOptions {
  /** SQS messages to send: copies of business events plus a few poison messages. */
  readonly messages: number;
  /** Seed of the messages, copies, kill moments and victims (timing still varies between runs). */
  readonly seed: number;
  /** Consumer processes running at once. @default {@link DEFAULT_PROCESSES} (3) */
  readonly processes?: number;
  readonly dynamo: Endpoint;
  readonly sqs: Endpoint;
  /** Pause between two kills, `[min, max]` milliseconds. @default {@link DEFAULT_KILL_GAP_MS} */
  readonly killGapMs?: readonly [number, number];
  /** Function timeout of each invocation (whole seconds); also the visibility timeout. @default {@link DEFAULT_PROCESS_TIMEOUT_MS} */
  readonly functionTimeoutMs?: number;
  /** Give up waiting for the queues to drain after this long. @default - 60 s plus 30 ms per message */
  readonly timeoutMs?: number;
  /** Where to write the children's delivery logs, and keep them. @default - a temporary directory, removed at the end */
  readonly logDir?: string;
  readonly onProgress?: (progress: ChaosProgress) => void;
}

/** What a process-kill run did and found. */
export interface ProcessChaosSummary {
  readonly seed: number;
  readonly processes: number;
  readonly businessEvents: number;
  readonly messagesSent: number;
  readonly poisonMessages: number;
  readonly kills: {
    readonly total: number;
    /** At a random moment. */
    readonly random: number;
    /** The moment the child's notification reached the notifier, before it was answered. */
    readonly afterNotification: number;
    /** Kills not made because the child was handling a record received more than {@link MAX_KILLED_RECEIVE_COUNT} times. */
    readonly skipped: number;
  };
  /** Processes started to replace one that ended. */
  readonly replacements: number;
  /** Processes that ended because an invocation reached its function timeout. */
  readonly timeouts: number;
  /** Which invocations those were (child, invocation number, time since the child's start, records). */
  readonly timeoutDetails: readonly string[];
  /** Processes that ended on their own otherwise (errors: see `childErrors`). */
  readonly unexpectedExits: number;
  readonly childErrors: readonly string[];
  /** Records handed to the handler, over all processes. */
  readonly deliveries: number;
  /** Records the handler returned as successful (the event source then deletes them). */
  readonly acknowledged: number;
  /** Records whose invocation was cut short by a SIGKILL. */
  readonly killedMidInvocation: number;
  /** `crashedAfterEffect`: deliveries that sent the notification and whose process then died mid-invocation. */
  readonly plainEffect: PlainEffectCounts & {
    /** Of those, the deliveries SIGKILLed. */
    readonly killedAfterEffect: number;
    /** Of those, the deliveries stopped by their function timeout. */
    readonly timedOutAfterEffect: number;
  };
  readonly effects: { readonly ledgerEntries: number; readonly externalCalls: number; readonly externalRequests: number };
  readonly apiLostResponses: number;
  readonly invariants: readonly InvariantResult[];
  readonly violations: number;
  readonly drained: boolean;
  readonly durationMs: number;
}

/** A consumer process, as the parent follows it. */
interface Child {
  readonly id: number;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Invocations running, with the highest receive count of their records (from IPC: for kill decisions only). */
  readonly running: Map<number, number>;
  /** Initialised and polling (its IPC `ready`). */
  ready: boolean;
  killed: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string;
}

function validate(options: ProcessChaosOptions): void {
  if (!Number.isInteger(options.messages) || options.messages < 2) {
    throw new RangeError(`Expected \`messages\` to be an integer >= 2, got ${String(options.messages)}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`Expected \`seed\` to be an integer, got ${String(options.seed)}`);
  const processes = options.processes ?? DEFAULT_PROCESSES;
  if (!Number.isInteger(processes) || processes < 1 || processes > MAX_PROCESSES) {
    throw new RangeError(`Expected \`processes\` to be an integer from 1 to ${MAX_PROCESSES}, got ${String(options.processes)}`);
  }
  const timeout = options.functionTimeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;
  if (!Number.isInteger(timeout / 1000) || timeout < 1000 || timeout > 60_000) {
    throw new RangeError(`Expected \`functionTimeoutMs\` to be whole seconds from 1000 to 60000, got ${String(options.functionTimeoutMs)}`);
  }
  const gap = options.killGapMs ?? DEFAULT_KILL_GAP_MS;
  if (gap.length !== 2 || !gap.every((ms) => Number.isFinite(ms) && ms > 0) || gap[0] > gap[1]) {
    throw new RangeError(`Expected \`killGapMs\` to be [min, max] with 0 < min <= max, got ${JSON.stringify(gap)}`);
  }
}

/** Runs the process-kill scenario end to end (own tables, queues and processes) and checks the invariants. */
export async function runProcessChaos(options: ProcessChaosOptions): Promise<ProcessChaosSummary> {
  validate(options);
  const started = Date.now();
  const { messages, seed, onProgress } = options;
  const processes = options.processes ?? DEFAULT_PROCESSES;
  const [minGap, maxGap] = options.killGapMs ?? DEFAULT_KILL_GAP_MS;
  const timeoutMs = options.timeoutMs ?? 60_000 + 30 * messages;
  const functionTimeoutMs = options.functionTimeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;
  const report = (progress: ChaosProgress): void => onProgress?.(progress);
  report({ phase: 'setup', settled: 0, total: messages, deliveries: 0 });

  const workload = makeWorkload(messages, seed, { poison: false });
  const runId = `chaos-proc-${randomBytes(4).toString('hex')}`;
  const admin = localDynamoClient(options.dynamo);
  const sqs = localSqsClient(options.sqs);
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'eo-chaos-'));
  const killRandom: Random = seeded(seed, 'kills');
  const children = new Map<number, Child>();
  const ended: Array<{ child: Child; code: number | null; signal: NodeJS.Signals | null }> = [];
  const kills = { random: 0, afterNotification: 0, skipped: 0 };
  let stopping = false;
  /** Set when a process fails before it is ready: the setup is broken, and the run stops. */
  let fatal: Error | undefined;
  let replacements = 0;
  let nextId = 0;
  /** Records handed to handlers so far, from the children's IPC (progress only; the logs are the record). */
  let liveDeliveries = 0;
  /** Armed: the next notification that arrives gets its process killed. */
  let killOnNotification = false;

  const effects = await startEffectsServer({
    random: seeded(seed, 'api'),
    lostResponseRate: API_LOST_RESPONSE_RATE,
    onNotify: (notification: NotifyRequest) => {
      if (!killOnNotification || stopping) return;
      const child = children.get(notification.delivery.child);
      if (child === undefined || child.killed) return;
      killOnNotification = false;
      if (kill(child)) kills.afterNotification += 1;
    },
  });

  /** SIGKILLs a child unless it handles a record received too often; returns whether it did. */
  const kill = (child: Child): boolean => {
    const busiest = Math.max(0, ...child.running.values());
    if (busiest > MAX_KILLED_RECEIVE_COUNT) {
      kills.skipped += 1;
      return false;
    }
    child.killed = true;
    child.process.kill('SIGKILL');
    return true;
  };

  let config: Omit<ChildConfig, 'child' | 'logFile'> | undefined;
  const spawnChild = (): Child => {
    if (config === undefined) throw new Error('spawnChild before setup');
    const id = nextId;
    nextId += 1;
    const logFile = join(logDir, `child-${id}.log`);
    const childConfig: ChildConfig = { ...config, child: id, logFile };
    const proc = fork(CHILD_FILE, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [CHILD_CONFIG_ENV]: JSON.stringify(childConfig), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const child: Child = {
      id,
      process: proc,
      logFile,
      running: new Map(),
      ready: false,
      killed: false,
      stderr: '',
      exit: new Promise((resolveExit) => proc.once('exit', (code, signal) => resolveExit({ code, signal }))),
    };
    proc.stderr?.on('data', (chunk: Buffer) => {
      child.stderr = (child.stderr + chunk.toString('utf8')).slice(-2_000);
    });
    proc.on('message', (message: ChildMessage) => {
      if (message.t === 'ready') child.ready = true;
      if (message.t === 'start') {
        child.running.set(message.inv, message.maxReceiveCount);
        liveDeliveries += message.records;
      }
      if (message.t === 'end') child.running.delete(message.inv);
    });
    children.set(id, child);
    void child.exit.then(({ code, signal }) => {
      children.delete(id);
      ended.push({ child, code, signal });
      if (!stopping && !child.killed && !child.ready) {
        fatal ??= new Error(
          `Consumer process ${id} exited (code ${String(code)}, signal ${String(signal)}) before it was ready:\n${child.stderr.trim()}`,
        );
        return;
      }
      if (!stopping) {
        replacements += 1;
        spawnChild();
      }
    });
    return child;
  };

  let killer: Promise<void> | undefined;
  let wakeKiller: (() => void) | undefined;
  try {
    const [idempotencyTable, ledgerTable, queues] = await Promise.all([
      createIdempotencyTable(admin, `${runId}-idempotency`),
      createIdempotencyTable(admin, `${runId}-ledger`),
      createQueues(sqs, runId, { visibilityTimeoutSeconds: functionTimeoutMs / 1000, maxReceiveCount: MAX_RECEIVE_COUNT }),
    ]);
    config = {
      dynamoEndpoint: options.dynamo.endpoint,
      sqsEndpoint: options.sqs.endpoint,
      idempotencyTable,
      ledgerTable,
      queueUrls: [queues.url.standard, queues.url.fifo],
      effectsUrl: effects.url,
      timeoutMs: functionTimeoutMs,
    };
    for (let i = 0; i < processes; i += 1) spawnChild();

    report({ phase: 'sending', settled: 0, total: messages, deliveries: 0 });
    await send(sqs, queues, workload.messages);

    // Kills at seeded moments until the queues drain.
    killer = (async () => {
      while (!stopping) {
        const gap = minGap + killRandom() * (maxGap - minGap);
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, gap);
          wakeKiller = () => {
            clearTimeout(timer);
            wake();
          };
        });
        if (stopping) break;
        if (killRandom() < NOTIFICATION_KILL_SHARE) {
          killOnNotification = true;
          continue;
        }
        // A process still starting has received nothing: killing it would test nothing.
        const live = [...children.values()].filter((c) => c.ready && !c.killed).sort((a, b) => a.id - b.id);
        const victim = live[Math.floor(killRandom() * live.length)];
        if (victim !== undefined && kill(victim)) kills.random += 1;
      }
    })();

    let drained = false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (fatal !== undefined) throw fatal;
      const left = (await messagesLeft(sqs, queues.url.standard)) + (await messagesLeft(sqs, queues.url.fifo));
      report({ phase: 'running', settled: Math.max(0, messages - left), total: messages, deliveries: liveDeliveries });
      if (left === 0) {
        drained = true;
        break;
      }
      await new Promise((wake) => setTimeout(wake, MONITOR_INTERVAL_MS));
    }

    // Stop killing, then stop every child (each finishes its invocations and hands back what it received).
    stopping = true;
    wakeKiller?.();
    await killer;
    await Promise.all([...children.values()].map((child) => stopChild(child)));
    report({ phase: 'verifying', settled: messages, total: messages, deliveries: liveDeliveries });

    const checked = await verify({ admin, sqs, idempotencyTable, ledgerTable, queues, workload, api: effects });
    const logs = readLogs(ended.map((e) => e.child));
    const killedIds = new Set(ended.filter((e) => e.child.killed).map((e) => e.child.id));
    const timedOutIds = new Set(ended.filter((e) => !e.child.killed && e.code === TIMEOUT_EXIT_CODE).map((e) => e.child.id));
    // Per business event: the deliveries that sent the notification and whose process died before their invocation ended.
    const diedAfterEffect = new Map<string, number>();
    let killedAfterEffect = 0;
    let timedOutAfterEffect = 0;
    for (const notification of effects.notifications) {
      const { child, invocation } = notification.delivery;
      if (!logs.unfinished.has(`${child}/${invocation}`)) continue;
      if (killedIds.has(child)) killedAfterEffect += 1;
      else if (timedOutIds.has(child)) timedOutAfterEffect += 1;
      else continue;
      diedAfterEffect.set(notification.eventId, (diedAfterEffect.get(notification.eventId) ?? 0) + 1);
    }
    const sent = new Map<string, number>();
    for (const notification of effects.notifications) sent.set(notification.eventId, (sent.get(notification.eventId) ?? 0) + 1);
    const plain = checkPlainEffect(sent, diedAfterEffect, (eventId) => describeDeliveries(effects.notifications, eventId, killedIds, logs));
    const invariants = [...checked.results, plain.result];
    const timeouts = timedOutIds.size;
    const unexpected = ended.filter((e) => !e.child.killed && e.code !== TIMEOUT_EXIT_CODE && e.code !== 0);
    let killedMidInvocation = 0;
    for (const [key, records] of logs.unfinished) if (killedIds.has(Number(key.split('/')[0]))) killedMidInvocation += records;

    const summary: ProcessChaosSummary = {
      seed,
      processes,
      businessEvents: workload.events.length,
      messagesSent: workload.messages.length,
      poisonMessages: workload.poison.size,
      kills: { total: kills.random + kills.afterNotification, ...kills },
      replacements,
      timeouts,
      timeoutDetails: logs.timeouts,
      unexpectedExits: unexpected.length,
      childErrors: unexpected.map(
        (e) => `child ${e.child.id}: exit ${String(e.code)} ${String(e.signal)}: ${e.child.stderr.trim().slice(-500)}`,
      ),
      deliveries: logs.deliveries,
      acknowledged: logs.acknowledged,
      killedMidInvocation,
      plainEffect: { ...plain.counts, killedAfterEffect, timedOutAfterEffect },
      effects: {
        ledgerEntries: checked.ledgerEntries,
        externalCalls: sumValues(effects.applied),
        externalRequests: effects.chargeRequests(),
      },
      apiLostResponses: effects.lostResponses(),
      invariants,
      violations: invariants.reduce((sum, r) => sum + r.violations, 0),
      drained,
      durationMs: Date.now() - started,
    };
    report({ phase: 'done', settled: messages, total: messages, deliveries: summary.deliveries });
    return summary;
  } finally {
    stopping = true;
    wakeKiller?.();
    await killer;
    for (const child of children.values()) child.process.kill('SIGKILL');
    await Promise.all([...children.values()].map((child) => child.exit));
    await effects.stop();
    admin.destroy();
    sqs.destroy();
    if (options.logDir === undefined) rmSync(logDir, { recursive: true, force: true });
  }
}

/** Asks a child to stop; kills it if it has not within {@link STOP_GRACE_MS}. */
async function stopChild(child: Child): Promise<void> {
  const stop: ParentMessage = { t: 'stop' };
  if (child.process.connected) child.process.send(stop);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((wake) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      wake();
    }, STOP_GRACE_MS);
  });
  await Promise.race([child.exit, grace]);
  clearTimeout(timer);
  await child.exit;
}

/** What the delivery logs of the ended children say. */
function readLogs(ended: readonly Child[]): {
  deliveries: number;
  acknowledged: number;
  unfinished: Map<string, number>;
  timeouts: string[];
} {
  const timeouts: string[] = [];
  let deliveries = 0;
  let acknowledged = 0;
  /** `child/invocation` of the invocations with a start and no end, with their record counts. */
  const unfinished = new Map<string, number>();
  for (const child of ended) {
    const open = new Map<number, number>();
    let readyAt: number | undefined;
    const startedAt = new Map<number, number>();
    for (const line of readLog(child.logFile)) {
      if (line.t === 'ready') readyAt = line.at;
      if (line.t === 'timeout') {
        const since = readyAt === undefined ? '?' : String((startedAt.get(line.inv) ?? line.at) - readyAt);
        timeouts.push(
          `child ${child.id} invocation ${line.inv} (started ${since} ms after the process was ready, ${open.get(line.inv) ?? 0} records)`,
        );
      }
      if (line.t === 'start') {
        startedAt.set(line.inv, line.at);
        deliveries += line.records.length;
        open.set(line.inv, line.records.length);
      } else if (line.t === 'end') {
        acknowledged += (open.get(line.inv) ?? 0) - line.failed.length;
        open.delete(line.inv);
      }
    }
    for (const [inv, records] of open) unfinished.set(`${child.id}/${inv}`, records);
  }
  return { deliveries, acknowledged, unfinished, timeouts };
}

function describeDeliveries(
  notifications: readonly NotifyRequest[],
  eventId: string,
  killed: ReadonlySet<number>,
  logs: { unfinished: ReadonlyMap<string, number> },
): string {
  const parts = notifications
    .filter((n) => n.eventId === eventId)
    .map(({ delivery: { child, invocation } }) => {
      const cut = logs.unfinished.has(`${child}/${invocation}`);
      const how = !cut ? 'invocation ended' : killed.has(child) ? 'killed mid-invocation' : 'process ended mid-invocation (timeout)';
      return `child ${child} invocation ${invocation}: ${how}`;
    });
  return `sent by ${parts.join('; ')}`;
}

function sumValues(map: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const value of map.values()) sum += value;
  return sum;
}
