import { LEASE_SAFETY_MARGIN_MS } from '../defaults';
import type { LeaseHolder } from '../engine';
import { IdempotencyLeaseLostError } from '../errors';
import type { IdempotencyLogger } from '../options';
import { MAX_VISIBILITY_BATCH_ENTRIES } from './defaults';
import { loadSqs, type SqsModule } from '../lazy-modules';
import type { ResolvedVisibility } from './options';

/** A message whose visibility is extended while it is unfinished. */
export interface VisibilityTarget {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** `arn:PARTITION:sqs:REGION:ACCOUNT:NAME`, already checked. */
  readonly queueArn: string;
}

/** DNS suffix of SQS endpoints per AWS partition. */
const PARTITION_DOMAINS: Readonly<Record<string, string>> = {
  aws: 'amazonaws.com',
  'aws-us-gov': 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
};

/** The queue URL of a queue ARN: `arn:aws:sqs:REGION:ACCOUNT:NAME` → `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`. */
export function queueUrlFromArn(arn: string): string {
  const [, partition = 'aws', , region = '', account = '', name = ''] = arn.split(':');
  return `https://sqs.${region}.${PARTITION_DOMAINS[partition] ?? 'amazonaws.com'}/${account}/${name}`;
}

/**
 * Keeps the batch's unfinished messages invisible: one extension when the batch starts, then one each
 * `extendBySeconds - extendWhenRemainingSeconds` seconds, until {@link stop}. Failures are logged, never
 * thrown: the records go on, and at worst a message is delivered again while it runs (the idempotency
 * record then keeps the duplicate from running).
 */
export class VisibilityKeeper {
  readonly #settings: ResolvedVisibility;
  readonly #logger: IdempotencyLogger;
  readonly #unfinished: Set<VisibilityTarget>;
  readonly #requests = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  public constructor(settings: ResolvedVisibility, targets: readonly VisibilityTarget[], logger: IdempotencyLogger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#unfinished = new Set(targets);
  }

  /** Sends the first extension and schedules the next ones. */
  public start(): void {
    this.#tick();
  }

  /** The message is finished (succeeded or failed): it is no longer extended. */
  public finished(target: VisibilityTarget): void {
    this.#unfinished.delete(target);
  }

  /** Stops extending and waits for the extensions in flight. */
  public async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    while (this.#requests.size > 0) await Promise.all([...this.#requests]);
  }

  #tick(): void {
    if (this.#stopped || this.#unfinished.size === 0) return;
    const request = this.#extend([...this.#unfinished]).finally(() => this.#requests.delete(request));
    this.#requests.add(request);
    const periodMs = (this.#settings.extendBySeconds - this.#settings.extendWhenRemainingSeconds) * 1000;
    this.#timer = setTimeout(() => this.#tick(), periodMs);
    this.#timer.unref?.();
  }

  async #extend(targets: readonly VisibilityTarget[]): Promise<void> {
    let sqs: SqsModule;
    try {
      sqs = await loadSqs();
    } catch (error) {
      this.#logger.error(
        'The `visibility` option of processSqsBatch needs the package @aws-sdk/client-sqs; install it (npm install @aws-sdk/client-sqs). No visibility timeout was extended',
        error,
      );
      return;
    }
    const byQueue = new Map<string, VisibilityTarget[]>();
    for (const target of targets) {
      const list = byQueue.get(target.queueArn) ?? [];
      list.push(target);
      byQueue.set(target.queueArn, list);
    }
    const sends: Promise<void>[] = [];
    for (const [queueArn, list] of byQueue) {
      for (let start = 0; start < list.length; start += MAX_VISIBILITY_BATCH_ENTRIES) {
        const queueUrl = this.#settings.queueUrl ?? queueUrlFromArn(queueArn);
        sends.push(this.#send(sqs, queueUrl, list.slice(start, start + MAX_VISIBILITY_BATCH_ENTRIES)));
      }
    }
    await Promise.all(sends);
  }

  async #send(sqs: SqsModule, queueUrl: string, targets: readonly VisibilityTarget[]): Promise<void> {
    const command = new sqs.ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: targets.map((target, index) => ({
        Id: String(index),
        ReceiptHandle: target.receiptHandle,
        VisibilityTimeout: this.#settings.extendBySeconds,
      })),
    });
    try {
      const send = this.#settings.client.send.bind(this.#settings.client) as (command: unknown) => Promise<unknown>;
      const response = (await send(command)) as { Failed?: { Id?: string; Code?: string; Message?: string }[] } | undefined;
      for (const failure of response?.Failed ?? []) {
        const target = targets[Number(failure.Id)];
        this.#logger.warn(
          `Could not extend the visibility timeout of SQS message ${target?.messageId ?? `#${String(failure.Id)}`} (${String(failure.Code)}: ${String(failure.Message)})`,
        );
      }
    } catch (error) {
      this.#logger.warn(
        `Could not extend the visibility timeout of SQS messages ${targets.map((t) => t.messageId).join(', ')} on ${queueUrl}`,
        error,
      );
    }
  }
}

/**
 * Renews an explicit (`leaseSeconds`) lease before it ends, by `leaseMs` each time but never beyond the
 * invocation's remaining time: a lease derived from the Lambda context already covers the invocation, and a
 * lease must end soon after its holder does so that a retry can take the record over.
 */
export class LeaseKeeper {
  readonly #execution: LeaseHolder;
  readonly #logger: IdempotencyLogger;
  readonly #remainingMs: () => number | undefined;
  readonly #periodMs: number;
  #timer: NodeJS.Timeout | undefined;
  #request: Promise<void> | undefined;
  #stopped = false;

  public constructor(
    execution: LeaseHolder,
    whenRemainingSeconds: number,
    remainingMs: () => number | undefined,
    logger: IdempotencyLogger,
  ) {
    this.#execution = execution;
    this.#logger = logger;
    this.#remainingMs = remainingMs;
    const leaseMs = execution.leaseMs;
    // Renew when `whenRemainingSeconds` of the lease remain; a lease shorter than that, at its half-life.
    const whenRemainingMs = whenRemainingSeconds * 1000;
    this.#periodMs = leaseMs > whenRemainingMs ? leaseMs - whenRemainingMs : leaseMs / 2;
    this.#schedule();
  }

  /** Stops renewing and waits for a renewal in flight (so it never lands after the completion). */
  public async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#request;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#request = this.#renew().finally(() => {
        this.#request = undefined;
      });
    }, this.#periodMs);
    this.#timer.unref?.();
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    const remaining = this.#remainingMs();
    const ms = Math.min(this.#execution.leaseMs, remaining === undefined ? Infinity : remaining - LEASE_SAFETY_MARGIN_MS);
    if (ms <= 0) return;
    try {
      await this.#execution.extendLease(ms);
    } catch (error) {
      this.#logger.warn(
        error instanceof IdempotencyLeaseLostError
          ? `The lease of ${this.#execution.key} was lost (another invocation took the record over); this record's result will not be stored`
          : `Could not extend the lease of ${this.#execution.key}; another invocation may take the record over when it ends`,
        error,
      );
      if (error instanceof IdempotencyLeaseLostError) return;
    }
    this.#schedule();
  }
}
