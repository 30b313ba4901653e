/**
 * One simulated run: invocations of the real engine (through `makeIdempotent` or `processSqsBatch`) on the
 * simulated store, under a scheduler that picks, at every step, which parked call proceeds next and which
 * fault hits it. Every choice comes from a `Chooser`, so a run is a function of its choices: a seed (random
 * exploration), or a path (exhaustive enumeration, replay of a shrunk trace). Invariants are checked after
 * every step.
 */
import { createHash } from 'node:crypto';
import { IdempotencyError, IdempotencyInProgressError, IdempotencyStoreError, commitWith, makeIdempotent, step } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { hashValue } from '../../lib/keys/hash';
import { RecordStatus } from '../../lib/store';
import { current, FAULTS, membersOf, SimStore, TIME_FAULTS, type Fault, type Invocation, type PendingCall } from './sim-store';
import { drain, inWorld, seededRandom, VirtualTime } from './world';

/** The kinds of handler a configuration runs. */
export type HandlerKind =
  /** A plain effect outside any transaction (a call to another system without a key), then the result. */
  | 'plain'
  /** Business writes staged with `commitWith` only. */
  | 'staged'
  /** A checkpointed step with a plain effect, then a staged write. */
  | 'step'
  /** `mode: 'optimistic'` with a staged write. */
  | 'optimistic'
  /** `processSqsBatch` with `visibility` and a short `leaseSeconds`: a long handler renews its lease. */
  | 'renewing'
  /**
   * `processSqsBatch` on FIFO batches: every invocation is one batch of records of one message group, one
   * record per key (all the keys at first; a redelivery holds the records SQS delivers again), each a plain
   * effect after `workMs`. The batch claims its records ahead, runs them in order, renews a `leaseSeconds`
   * claim that waited more than half its lease, and releases the claims of records it did not run.
   */
  | 'fifo-batch';

export interface SimConfig {
  readonly name: string;
  readonly handler: HandlerKind;
  /** Business events (keys); `fifo-batch`: the records of each batch. */
  readonly keys: number;
  /** Deliveries of each event at the start (duplicates); `fifo-batch`: batches of all the keys. */
  readonly copies: number;
  /** Lambda timeout of each invocation, in ms: the process is killed at its deadline. */
  readonly timeoutMs: number;
  /** An explicit lease, in seconds. @default - the Lambda context's remaining time less 1 s */
  readonly leaseSeconds?: number;
  readonly expiresAfterSeconds?: number;
  /** Clock offset of each invoker (by invocation number), in ms; keep within `clockSkewMs`. */
  readonly skewMs: readonly number[];
  readonly clockSkewMs?: number;
  /** Most faults injected in a run. */
  readonly maxFaults: number;
  /** Chance of a fault at each step while the budget lasts (random exploration). */
  readonly faultRate: number;
  /** Deliveries of each key in all (the first copies included) before the run gives up on it. */
  readonly maxDeliveries: number;
  /** Delay before SQS delivers a failed or lost message again, in ms. */
  readonly redeliveryMs: number;
  /** Virtual milliseconds the handler works before its effect or its commit (`renewing`, `staged`, `fifo-batch`: per record). */
  readonly workMs?: number;
  /**
   * Faults of time for the store's calls (never the effect itself): a request that lands late or an answer
   * that arrives late (a paused process), by one of `slowMs`, and at most one outage of `outageMs` during
   * which every call is throttled while the engine's backoffs add up. Each counts in `maxFaults`.
   */
  readonly timeFaults?: { readonly slowMs: readonly number[]; readonly outageMs?: number };
}

/** Where the choices of a run come from. */
export interface Chooser {
  /** An index in [0, n); `weights` guide random choice (exhaustive choosers ignore them). */
  pick(n: number, weights?: readonly number[]): number;
}

export class SeededChooser implements Chooser {
  readonly #random: () => number;
  public constructor(seed: number) {
    this.#random = seededRandom(seed);
  }
  public pick(n: number, weights?: readonly number[]): number {
    const w = weights ?? Array.from({ length: n }, () => 1);
    const total = w.reduce((a, b) => a + b, 0);
    let r = this.#random() * total;
    for (let i = 0; i < n; i += 1) {
      r -= w[i] ?? 0;
      if (r < 0) return i;
    }
    return n - 1;
  }
}

/** Replays `path`, then picks 0 (no fault, the oldest call); records every choice point. */
export class PathChooser implements Chooser {
  public readonly taken: { n: number; chosen: number }[] = [];
  public constructor(private readonly path: readonly number[]) {}
  public pick(n: number): number {
    const chosen = Math.min(this.path[this.taken.length] ?? 0, n - 1);
    this.taken.push({ n, chosen });
    return chosen;
  }
}

/** Records the choices of another chooser, so that a random run can be replayed and shrunk. */
export class RecordingChooser implements Chooser {
  public readonly taken: number[] = [];
  public constructor(private readonly inner: Chooser) {}
  public pick(n: number, weights?: readonly number[]): number {
    const chosen = this.inner.pick(n, weights);
    this.taken.push(chosen);
    return chosen;
  }
}

export interface SimResult {
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly steps: number;
  readonly faults: number;
  /** The run stopped at a state seen before (exhaustive search). */
  readonly pruned: boolean;
}

export interface RunOptions {
  /** States seen by earlier runs (exhaustive search): a run that reaches one stops there. */
  readonly seen?: Set<string>;
  /** Whether the run is still replaying a prefix of choices already explored (no pruning then). */
  readonly replaying?: () => boolean;
  /** Most scheduler steps before the run is declared stuck. */
  readonly maxSteps?: number;
}

const QUIET = { debug() {}, info() {}, warn() {}, error() {} };
/** What a `processSqsBatch` invocation returns: the batch response carries no result to compare. */
const SQS_ACKNOWLEDGED = 'acknowledged';

/** The handler of one invocation, as a fresh execution environment would build it. */
function handlerFor(
  config: SimConfig,
  store: SimStore,
  invocation: Invocation,
  clock: () => number,
): (context: object) => Promise<unknown> {
  const common = {
    store,
    name: `sim-${config.handler}`,
    clock,
    logger: QUIET,
    ...(config.leaseSeconds === undefined ? {} : { leaseSeconds: config.leaseSeconds }),
    ...(config.expiresAfterSeconds === undefined ? {} : { expiresAfterSeconds: config.expiresAfterSeconds }),
    ...(config.clockSkewMs === undefined ? {} : { clockSkewMs: config.clockSkewMs }),
  };
  const result = (): string => `${invocation.key}:run-${invocation.id}`;
  const leaseMs = config.leaseSeconds === undefined ? undefined : config.leaseSeconds * 1000;
  /** Runs `work` as the work of `member`, checking the invariants of time as it starts. */
  const working = async <T>(member: Invocation, work: () => Promise<T>): Promise<T> => {
    const end = store.startWork(member, clock, leaseMs);
    try {
      return await work();
    } finally {
      end();
    }
  };
  const ledgerWrite = { Put: { TableName: 'ledger', Item: { id: `ledger#${invocation.key}` } } };
  const event = { key: invocation.key };
  switch (config.handler) {
    case 'plain': {
      const fn = makeIdempotent(
        (e: { key: string }, _context: object) =>
          working(invocation, async () => {
            await store.effect(e.key);
            return result();
          }),
        { ...common, key: 'key' },
      );
      return (context) => fn(event, context);
    }
    case 'staged': {
      const fn = makeIdempotent(
        (_e: { key: string }, _context: object) =>
          working(invocation, async () => {
            if (config.workMs !== undefined) await new Promise((resolve) => setTimeout(resolve, config.workMs));
            commitWith(ledgerWrite);
            return result();
          }),
        { ...common, key: 'key' },
      );
      return (context) => fn(event, context);
    }
    case 'step': {
      const fn = makeIdempotent(
        (e: { key: string }, _context: object) =>
          working(invocation, async () => {
            // A step is work too: it starts under the lease it needs.
            await step('effect', () => working(invocation, () => store.effect(e.key)));
            commitWith(ledgerWrite);
            return result();
          }),
        { ...common, key: 'key' },
      );
      return (context) => fn(event, context);
    }
    case 'optimistic': {
      const fn = makeIdempotent(
        async (_e: { key: string }, _context: object) => {
          commitWith(ledgerWrite);
          return result();
        },
        { ...common, key: 'key', mode: 'optimistic' },
      );
      return (context) => fn(event, context);
    }
    case 'renewing': {
      const options: SqsBatchOptions<{ key: string }> = {
        ...common,
        key: (_record, { body }) => body.key,
        visibility: { client: { send: () => Promise.resolve({}) }, extendBySeconds: 2, extendWhenRemainingSeconds: 1 },
      };
      const record = {
        messageId: `m-${invocation.id}`,
        receiptHandle: `r-${invocation.id}`,
        body: JSON.stringify(event),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'sim', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:sim',
        awsRegion: 'us-east-1',
      };
      return async (context) => {
        const response = await processSqsBatch(
          { Records: [record] },
          (_r, { body }) =>
            working(invocation, async () => {
              await new Promise((resolve) => setTimeout(resolve, config.workMs ?? 0));
              await store.effect(body.key);
              return result();
            }),
          { ...options, context: context as never },
        );
        if (response.batchItemFailures.length > 0) throw new IdempotencyError('the record was reported failed');
        return SQS_ACKNOWLEDGED;
      };
    }
    case 'fifo-batch': {
      const records = invocation.records ?? [];
      const byMessageId = new Map(records.map((r) => [r.messageId, r]));
      // processSqsBatch reports only which records failed; what each failed with, it logs.
      const noted = (message: string, ...extra: unknown[]): void => {
        const record = byMessageId.get(/^SQS message (\S+) /.exec(message)?.[1]);
        if (record === undefined) return;
        if (extra[0] !== undefined) record.error = extra[0];
        if (message.includes('is being processed by another invocation')) record.inProgress = true;
      };
      const sqsRecords = records.map((r) => ({
        messageId: r.messageId as string,
        receiptHandle: `r-${r.messageId as string}`,
        body: JSON.stringify({ key: r.key }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'sim',
          ApproximateFirstReceiveTimestamp: '0',
          // One message per key, sent in key order: redeliveries carry its sequence number and deduplication id.
          SequenceNumber: String(18_000_000_000_000_000n + BigInt(r.key.slice(1))),
          MessageGroupId: 'group-1',
          MessageDeduplicationId: `dedup-${r.key}`,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:sim.fifo',
        awsRegion: 'us-east-1',
      }));
      const options: SqsBatchOptions<{ key: string }> = {
        ...common,
        logger: { ...QUIET, warn: noted, error: noted },
        key: (_record, { body }) => body.key,
      };
      return async (context) => {
        const response = await processSqsBatch(
          { Records: sqsRecords },
          (_r, { body }) =>
            // A record's work starts under its own claim with the lease it needs (claimed ahead: renewed at its turn).
            working(records.find((r) => r.key === body.key) ?? invocation, async () => {
              await new Promise((resolve) => setTimeout(resolve, config.workMs ?? 0));
              await store.effect(body.key);
              return `${body.key}:run-${invocation.id}`;
            }),
          { ...options, context: context as never },
        );
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const record of records) record.reportedFailed = failed.has(record.messageId as string);
        const keys = records.filter((r) => r.reportedFailed === true).map((r) => r.key);
        return keys.length === 0 ? SQS_ACKNOWLEDGED : `${SQS_ACKNOWLEDGED} but for ${keys.join(', ')} (reported failed)`;
      };
    }
  }
}

/** One record of a batch invocation: its own key and flags, its batch's process (and so its state). */
function batchRecord(batch: Invocation, key: string, index: number): Invocation {
  return {
    id: batch.id,
    key,
    startedAt: batch.startedAt,
    deadline: batch.deadline,
    skewMs: batch.skewMs,
    get state() {
      return batch.state;
    },
    set state(state: Invocation['state']) {
      batch.state = state;
    },
    didEffect: false,
    completionApplied: false,
    batch,
    messageId: `m-${batch.id}-${index + 1}`,
  };
}

/** Runs one simulation. */
export async function simulate(config: SimConfig, chooser: Chooser, options: RunOptions = {}): Promise<SimResult> {
  const time = new VirtualTime();
  return inWorld(time, seededRandom(0x5eed), async () => {
    const store = new SimStore(() => time.now());
    if (config.leaseSeconds !== undefined) store.leaseMs = config.leaseSeconds * 1000;
    let outageUntil: number | undefined;
    time.liveness = () => {
      const invocation = current.getStore();
      return () => invocation === undefined || invocation.state === 'running';
    };
    const trace: string[] = [];
    const invocations: Invocation[] = [];
    const deliveries = new Map<string, number>();
    let faults = 0;
    let steps = 0;
    const at = (): string => `t=${time.now() - VirtualTime.EPOCH}ms`;

    const deliver = (eventKeys: readonly string[]): void => {
      const counts = eventKeys.map((key) => {
        const n = (deliveries.get(key) ?? 0) + 1;
        deliveries.set(key, n);
        return n;
      });
      const id = invocations.length + 1;
      const skew = config.skewMs[(id - 1) % config.skewMs.length] ?? 0;
      const records: Invocation[] = [];
      const invocation: Invocation = {
        id,
        key: eventKeys.join(','),
        skewMs: skew,
        startedAt: time.now(),
        deadline: time.now() + config.timeoutMs,
        state: 'running',
        didEffect: false,
        completionApplied: false,
        ...(config.handler === 'fifo-batch' ? { records } : {}),
      };
      if (invocation.records !== undefined) {
        eventKeys.forEach((key, index) => records.push(batchRecord(invocation, key, index)));
        for (const key of eventKeys) store.knowRecordKey(key, `sim-${config.handler}#${hashValue(key)}`);
      }
      invocations.push(invocation);
      const run = handlerFor(config, store, invocation, () => time.now() + skew);
      const context = {
        functionName: 'sim',
        awsRequestId: `req-${id}`,
        getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - time.now()),
      };
      trace.push(
        invocation.records === undefined
          ? `${at()} deliver #${id} (${invocation.key}, delivery ${counts[0] ?? 0})`
          : `${at()} deliver #${id} (FIFO batch: ${eventKeys.map((key, i) => `${key} delivery ${counts[i] ?? 0}`).join(', ')})`,
      );
      void current.run(invocation, () =>
        run(context).then(
          (value) => finish(invocation, { value }),
          (error: unknown) => finish(invocation, { error }),
        ),
      );
    };

    /** SQS delivers again the messages of a failed invocation, or the records a batch reported failed. */
    const redeliver = (eventKeys: readonly string[]): void => {
      const left = eventKeys.filter((key) => (deliveries.get(key) ?? 0) < config.maxDeliveries);
      if (left.length === 0) return;
      // SQS's timer, not the failed process's.
      current.exit(() => time.setTimeout(() => deliver(left), config.redeliveryMs));
    };
    const keysOf = (invocation: Invocation): string[] => membersOf(invocation).map((m) => m.key);

    /**
     * A delivery that failed (its invocation threw, or its record was reported failed): `error` is what it
     * failed with, when known.
     */
    const failedDelivery = (invocation: Invocation, error: unknown, known: boolean, inProgress: boolean): void => {
      const who = invocation.batch === undefined ? `#${invocation.id}` : `#${invocation.id} (${invocation.key})`;
      // The work failed after its plain effect (the effect's own answer lost, say): a retry runs it again.
      store.allowRepeatAfter(invocation);
      if (known && !(error instanceof IdempotencyError)) store.violations.push(`${who} threw an untyped error: ${String(error)}`);
      // A failure after the outcome was stored is allowed only as an error that says the work ran and
      // its outcome is unknown (the store's answers were lost or refused, reads included).
      if (invocation.completionApplied && !(error instanceof IdempotencyStoreError && error.workRan)) {
        store.violations.push(`${who} reported a failure although its outcome was stored (${(error as Error)?.name})`);
      }
      if (inProgress) {
        void store.recordOf(invocation.key).then((record) => {
          if (record && store.tokenOwner.get(record.token) === invocation && record.status !== RecordStatus.Completed) {
            store.violations.push(`${who} was refused by its own lease (it did not recognise its own claim)`);
          }
        });
      }
    };

    const finish = (invocation: Invocation, outcome: { value: unknown } | { error: unknown }): void => {
      if (invocation.state !== 'running') return;
      invocation.outcome = outcome;
      invocation.state = 'value' in outcome ? 'succeeded' : 'failed';
      const what =
        'value' in outcome
          ? `returned ${String(outcome.value)}`
          : `threw ${(outcome.error as Error)?.name}: ${(outcome.error as Error)?.message}`;
      trace.push(`${at()} #${invocation.id} ${what}`);
      if ('error' in outcome) {
        const error = outcome.error;
        for (const member of membersOf(invocation)) failedDelivery(member, error, true, error instanceof IdempotencyInProgressError);
        redeliver(keysOf(invocation));
      } else if (invocation.records !== undefined) {
        const failed = invocation.records.filter((r) => r.reportedFailed === true);
        for (const r of failed) failedDelivery(r, r.error, r.error !== undefined, r.inProgress === true);
        // A record acknowledged is deleted from the queue: its event must have its outcome stored by now.
        for (const r of invocation.records.filter((m) => m.reportedFailed !== true)) {
          void store.recordOf(r.key).then((record) => {
            if (record?.status !== RecordStatus.Completed)
              store.violations.push(
                `#${r.id} acknowledged the message of ${r.key}, whose record is ${record?.status ?? 'absent'}: the event is lost`,
              );
          });
        }
        redeliver(failed.map((r) => r.key));
      }
    };

    const keys = Array.from({ length: config.keys }, (_, i) => `k${i + 1}`);
    if (config.handler === 'fifo-batch') for (let c = 0; c < config.copies; c += 1) deliver(keys);
    else for (const key of keys) for (let c = 0; c < config.copies; c += 1) deliver([key]);

    const check = async (final: boolean): Promise<void> => {
      for (const key of keys) {
        const effects = store.effects.get(key) ?? 0;
        const allowed = 1 + (store.allowance.get(key) ?? 0);
        if (effects > allowed) store.violations.push(`${key}: the plain effect ran ${effects} times (allowed ${allowed})`);
        const ledger = store.ledger.get(`ledger#${key}`) ?? 0;
        if (ledger > 1) store.violations.push(`${key}: a staged write was applied ${ledger} times`);
        const record = await store.recordOf(key);
        if (ledger === 1 && record?.status !== RecordStatus.Completed) {
          store.violations.push(`${key}: a staged write was applied without a completed record`);
        }
        if (!final) continue;
        if (record?.status !== RecordStatus.Completed) {
          store.violations.push(`${key}: never completed after ${deliveries.get(key) ?? 0} deliveries (a stuck record)`);
          continue;
        }
        const stored = record.outcome === 'value' && record.result !== undefined ? (JSON.parse(record.result) as unknown) : undefined;
        // A batch returns no result (its records' outcomes were checked when it returned).
        for (const invocation of invocations.filter((i) => i.records === undefined && i.key === key && i.state === 'succeeded')) {
          const value = (invocation.outcome as { value: unknown }).value;
          if (value !== stored && value !== SQS_ACKNOWLEDGED)
            store.violations.push(`#${invocation.id} returned ${String(value)}, but the stored result of ${key} is ${String(stored)}`);
        }
      }
    };

    const maxSteps = options.maxSteps ?? 2_000;
    let pruned = false;
    for (;;) {
      await drain();
      // Lambda kills an invocation at its deadline.
      for (const invocation of invocations) {
        if (invocation.state === 'running' && time.now() >= invocation.deadline) {
          trace.push(`${at()} #${invocation.id} killed at its timeout`);
          store.crash(invocation, 'killed');
          redeliver(keysOf(invocation));
        }
      }
      await check(false);
      if (store.violations.length > 0) break;
      if (options.seen && options.replaying?.() !== true) {
        const state = await stateHash(store, invocations, faults, time, Math.max(0, (outageUntil ?? 0) - time.now()));
        if (options.seen.has(state)) {
          pruned = true;
          break;
        }
        options.seen.add(state);
      }
      steps += 1;
      if (steps > maxSteps) {
        store.violations.push(`no end after ${maxSteps} steps`);
        break;
      }
      const timeFaults = config.timeFaults;
      // An outage: for its length every call to the store is throttled (the engine backs off and retries).
      if (timeFaults?.outageMs !== undefined && outageUntil === undefined && faults < config.maxFaults && store.pending.length > 0) {
        if (chooser.pick(2, [1 - config.faultRate / 4, config.faultRate / 4]) === 1) {
          faults += 1;
          outageUntil = time.now() + timeFaults.outageMs;
          trace.push(`${at()} the store is throttled for ${timeFaults.outageMs} ms`);
        }
      }
      const ready = store.ready(time.now());
      if (ready.length > 0) {
        const call = ready[chooser.pick(ready.length)] as PendingCall;
        const canFault = faults < config.maxFaults;
        const kinds: readonly Fault[] = timeFaults !== undefined && call.op !== 'effect' ? [...FAULTS, ...TIME_FAULTS] : FAULTS;
        let fault: Fault = canFault
          ? (kinds[chooser.pick(kinds.length, [1 - config.faultRate, ...kinds.slice(1).map(() => config.faultRate / 4)])] as Fault)
          : 'ok';
        if (fault !== 'ok') faults += 1;
        const inOutage = outageUntil !== undefined && time.now() < outageUntil && call.op !== 'effect';
        if (inOutage && fault === 'ok') fault = 'throttle';
        const delayMs = fault === 'slow' || fault === 'slow-answer' ? (timeFaults?.slowMs[chooser.pick(timeFaults.slowMs.length)] ?? 0) : 0;
        const what = fault === 'ok' ? '' : ` → ${fault}${delayMs > 0 ? ` ${delayMs} ms` : ''}${inOutage ? ' (outage)' : ''}`;
        trace.push(`${at()} #${call.invocation.id} ${call.op}(${call.invocation.key})${what}`);
        if (fault === 'slow') {
          store.delay(call, time.now() + delayMs);
          continue;
        }
        if (fault === 'crash-before' || fault === 'crash-after') redeliver(keysOf(call.invocation));
        if (fault === 'slow-answer') {
          // The answer comes on a timer of the calling process: a process that dies meanwhile never sees it.
          await store.proceed(call, 'ok', (settle) => current.run(call.invocation, () => void setTimeout(settle, delayMs)));
        } else await store.proceed(call, fault);
        continue;
      }
      const nextTimer = time.nextTimerAt();
      const running = invocations.filter((i) => i.state === 'running');
      const nextDeadline = running.length > 0 ? Math.min(...running.map((i) => i.deadline)) : undefined;
      const next = [nextTimer, nextDeadline, store.nextReadyAt(time.now())].filter((t): t is number => t !== undefined);
      if (next.length === 0) break;
      time.advanceTo(Math.min(...next));
    }
    if (!pruned && store.violations.length === 0) await check(true);
    return { violations: [...new Set(store.violations)], trace, steps, faults, pruned };
  });
}

/** A hash of everything that decides what can happen next (exhaustive search prunes on it). */
async function stateHash(
  store: SimStore,
  invocations: readonly Invocation[],
  faults: number,
  time: VirtualTime,
  outageLeftMs: number,
): Promise<string> {
  const tokens = new Map<string, number>();
  const tokenId = (token: string): number => {
    if (!tokens.has(token)) tokens.set(token, tokens.size);
    return tokens.get(token) as number;
  };
  const members = invocations.flatMap((i) => membersOf(i));
  const keys = [...new Set(members.map((i) => i.key))].sort();
  const records = await Promise.all(
    keys.map(async (key) => {
      const r = await store.recordOf(key);
      return r
        ? [
            key,
            r.status,
            tokenId(r.token),
            r.leaseUntil - time.now(),
            r.expiresAt,
            Object.entries(r.steps)
              .map(([k, v]) => `${k}:${v.state}`)
              .join(','),
          ]
        : [key];
    }),
  );
  const state = {
    records,
    ledger: [...store.ledger].sort(),
    effects: [...store.effects].sort(),
    invocations: members.map((i) => [i.state, i.didEffect, i.completionApplied, i.deadline - time.now()]),
    pending: store.pending.map((c) => [c.invocation.id, c.op, Math.max(0, (c.readyAt ?? 0) - time.now())]),
    timers: (time.nextTimerAt() ?? -1) - time.now(),
    faults,
    outageLeftMs,
  };
  return createHash('sha1').update(JSON.stringify(state)).digest('hex');
}
