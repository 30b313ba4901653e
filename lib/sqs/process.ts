import { withWriteBatching } from '../persistence/coalesce';
import { runScheduled } from '../batch/concurrency';
import { ClaimsAhead, claimsBeforeRunning } from '../batch/claims-ahead';
import { acknowledgesDuplicates, fingerprintMismatch, fingerprintOf } from '../batch/duplicates';
import { checkContext } from '../batch/validate';
import type { IdempotencyEngine, LifecycleHooks } from '../engine';
import { IdempotencyConfigError, IdempotencyInProgressError, IdempotencyLeaseLostError } from '../errors';
import { describe } from '../describe';
import { invocationInfo } from '../engine';
import type { IdempotencyLogger } from '../options';
import {
  resolvedSqsOptions,
  type ResolvedSqsOptions,
  type SqsBatchOptions,
  type SqsIdempotencyArgs,
  type SqsRecordHandler,
  type SqsRecordInfo,
} from './options';
import type { SqsBatchResponse, SqsEvent, SqsLambdaContext, SqsRecord } from './types';
import { checkEvent } from './event';
import { sqsRecordInfo, sqsRecordSource } from './record';
import { LeaseKeeper, VisibilityKeeper, type VisibilityTarget } from './visibility';

type Engine = IdempotencyEngine<SqsIdempotencyArgs<unknown>, unknown>;

/**
 * Processes a batch of SQS records with Lambda's partial batch response, and (with `store`) each record
 * through the idempotency engine, so that each logical event has its effect once however often SQS
 * delivers it.
 *
 * ```ts
 * const store = new DynamoDBStore();
 * export const handler = (event: SQSEvent, context: Context) =>
 *   processSqsBatch(event, async (record, { body }) => apply(body), {
 *     store,
 *     key: 'body.orderId', // JMESPath on the record, `body` parsed; or (_record, { body }) => body.orderId
 *     context,
 *   });
 * ```
 *
 * - Returns `{ batchItemFailures }`, the records to deliver again in the order they arrived (turn on
 *   `ReportBatchItemFailures` on the event source mapping). It never throws for a record's failure.
 * - With `store`: a record whose key completed before is acknowledged without running the handler; one in
 *   progress elsewhere is reported failed (SQS delivers it again later); two records of the batch with the
 *   same key run once, the second acknowledged with the first's outcome.
 * - Standard queues: up to `concurrency` records at once. FIFO queues: the records of one message group run
 *   one at a time, in order; up to `concurrency` groups at once; after a failure see `fifoOnFailure`. With
 *   `store`, a FIFO batch claims all its records before the first runs (one request for the batch), and
 *   releases together the claims of records that then do not run.
 *
 * @throws IdempotencyConfigError when `event` is not an SQS event, `handler` is not a function or an
 *   option is invalid (before any record runs)
 */
export async function processSqsBatch<TBody = unknown, TResult = unknown>(
  event: SqsEvent,
  handler: SqsRecordHandler<TBody, TResult>,
  options: SqsBatchOptions<TBody> = {},
): Promise<SqsBatchResponse> {
  const records = checkEvent(event);
  if (typeof handler !== 'function') {
    throw new IdempotencyConfigError(`Expected processSqsBatch's handler to be a function, got ${describe(handler)}`);
  }
  const prepared = resolvedSqsOptions(options as SqsBatchOptions<unknown>);
  const context = checkContext(options.context);
  if (records.length === 0) return { batchItemFailures: [] };
  const batch = new Batch(records, handler as SqsRecordHandler<unknown, unknown>, prepared, context);
  // The batch's records run concurrently: their claims and completions may share requests.
  return withWriteBatching(() => batch.run());
}

/** One record of the batch, parsed and keyed before anything runs. */
interface Item {
  readonly record: SqsRecord;
  readonly target: VisibilityTarget;
  /** FIFO only: the queue and message group the record is ordered in. */
  readonly group: string | undefined;
  /** Absent when the body could not be parsed. */
  readonly info: SqsRecordInfo<unknown> | undefined;
  /** Absent without a store. */
  readonly engine: Engine | undefined;
  /** The idempotency record key, when the engine found one (records with equal keys run one after another). */
  readonly key: string | undefined;
  /**
   * Optimistic mode, with a key: the fingerprint hash, taken before anything runs, that a later record of the
   * batch with the same key is compared with when it is acknowledged as a duplicate.
   */
  readonly fingerprint: string | undefined;
  /**
   * Why the record fails without running (a FIFO record without a message group, a body that could not be
   * parsed, a key or fingerprint that could not be derived).
   */
  readonly problem: { readonly message: string; readonly error: unknown } | undefined;
}

/** How a record ended. A record is reported in `batchItemFailures` exactly when `ok` is false. */
type Outcome = { readonly ok: true } | { readonly ok: false };
const SUCCEEDED: Outcome = Object.freeze({ ok: true });
const FAILED: Outcome = Object.freeze({ ok: false });

class Batch {
  readonly #items: readonly Item[];
  readonly #handler: SqsRecordHandler<unknown, unknown>;
  readonly #settings: ResolvedSqsOptions;
  readonly #logger: IdempotencyLogger;
  readonly #context: SqsLambdaContext | undefined;
  readonly #visibility: VisibilityKeeper | undefined;
  /** FIFO with `fifoOnFailure: 'stop'`: set by the first failure; nothing starts after it. */
  #stopped = false;
  /** FIFO records' claims, made before the first record runs. */
  readonly #claims = new ClaimsAhead<SqsIdempotencyArgs<unknown>, unknown>();

  public constructor(
    records: readonly SqsRecord[],
    handler: SqsRecordHandler<unknown, unknown>,
    settings: ResolvedSqsOptions,
    context: SqsLambdaContext | undefined,
  ) {
    this.#handler = handler;
    this.#settings = settings;
    this.#logger = settings.logger;
    this.#context = context;
    this.#items = records.map((record) => this.#prepare(record));
    this.#visibility = settings.visibility
      ? new VisibilityKeeper(
          settings.visibility,
          this.#items.map((item) => item.target),
          this.#logger,
        )
      : undefined;
  }

  #prepare(record: SqsRecord): Item {
    const source = sqsRecordSource(record);
    const { queueArn, queueName, fifo } = source;
    const groupId: unknown = record.attributes.MessageGroupId;
    const base = {
      record,
      target: { messageId: record.messageId, receiptHandle: record.receiptHandle, queueArn },
      // Fair standard queues carry a MessageGroupId too: only FIFO queues order by it.
      group: fifo && typeof groupId === 'string' && groupId.length > 0 ? `${queueArn}\u0000${groupId}` : undefined,
      engine: this.#settings.engineFor(source),
    };
    const fails = (info: SqsRecordInfo<unknown> | undefined, message: string, error: unknown): Item => ({
      ...base,
      info,
      key: undefined,
      fingerprint: undefined,
      problem: { message, error },
    });
    if (fifo && base.group === undefined) {
      // SQS gives every message of a FIFO queue a group. Without one the record cannot wait for the records
      // before it in its group, so running it could break the group's order: it is refused, never run.
      return fails(
        undefined,
        `SQS message ${record.messageId} of FIFO queue ${queueName} has no MessageGroupId, so it cannot be run in its group's order`,
        new IdempotencyConfigError(
          `SQS message ${record.messageId} comes from the FIFO queue ${queueArn} but its attributes.MessageGroupId is ${describe(groupId)} (expected a non-empty string, as SQS gives every message of a FIFO queue); it was not run`,
        ),
      );
    }
    let body: unknown;
    try {
      body = this.#settings.parse(record.body, record);
    } catch (error) {
      return fails(undefined, `Could not parse the body of SQS message ${record.messageId}`, error);
    }
    const info = sqsRecordInfo(record, body);
    const engine = base.engine;
    let key: string | undefined;
    try {
      key = engine?.keyOf([record, info]);
    } catch (error) {
      return fails(info, `Could not derive the idempotency key of SQS message ${record.messageId}`, error);
    }
    let fingerprint: string | undefined;
    if (engine !== undefined && key !== undefined && acknowledgesDuplicates(engine)) {
      try {
        fingerprint = fingerprintOf(engine, [record, info]);
      } catch (error) {
        return fails(info, `Could not derive the idempotency fingerprint of SQS message ${record.messageId}`, error);
      }
    }
    return { ...base, info, key, fingerprint, problem: undefined };
  }

  /**
   * Runs the records. A record waits for the record before it in its FIFO group and for the record before
   * it with the same idempotency key (both earlier in the batch, so waits never form a cycle); among the
   * records ready to run, the earliest starts first, up to `concurrency` at once.
   */
  public async run(): Promise<SqsBatchResponse> {
    const items = this.#items;
    // Per record, the record before it in its FIFO group and the one before it with the same key.
    const before: (readonly [group: number | undefined, key: number | undefined])[] = [];
    const lastOfGroup = new Map<string, number>();
    const lastOfKey = new Map<string, number>();
    items.forEach((item, index) => {
      before.push([
        item.group === undefined ? undefined : lastOfGroup.get(item.group),
        item.key === undefined ? undefined : lastOfKey.get(item.key),
      ]);
      if (item.group !== undefined) lastOfGroup.set(item.group, index);
      if (item.key !== undefined) lastOfKey.set(item.key, index);
    });

    this.#visibility?.start();
    this.#claimAhead(before);
    const outcomes = await runScheduled<Outcome>({
      size: items.length,
      limit: this.#settings.concurrency,
      waitsFor: (index) => before[index] ?? [],
      // Records whose outcome is decided without running them (skipped, duplicates).
      decide: (index, [groupBefore, keyBefore]) => {
        const sameKeyBefore = before[index]?.[1];
        return this.#decide(items[index] as Item, groupBefore, keyBefore, sameKeyBefore === undefined ? undefined : items[sameKeyBefore]);
      },
      beforeStart: (index) => (this.#stopped ? this.#notStarted((items[index] as Item).record.messageId) : undefined),
      run: (index) => this.#execute(index).catch(() => FAILED),
      settled: (index) => this.#visibility?.finished((items[index] as Item).target),
    });
    // Records that did not run (their group stopped): their claims go, together.
    await this.#claims.releaseUntaken();
    await this.#visibility?.stop();
    return {
      batchItemFailures: items.flatMap((item, index) => (outcomes[index]?.ok === true ? [] : [{ itemIdentifier: item.record.messageId }])),
    };
  }

  /**
   * FIFO: claims, in this one turn, every record of a message group that will run through the engine, so the
   * claims share one request instead of one request per record in turn. Records after an earlier one with
   * the same key are not claimed: they meet that record's outcome at their turn.
   */
  #claimAhead(before: readonly (readonly [group: number | undefined, key: number | undefined])[]): void {
    const info = invocationInfo(this.#context);
    this.#items.forEach((item, index) => {
      if (item.group === undefined || item.problem !== undefined || item.key === undefined || before[index]?.[1] !== undefined) return;
      if (!claimsBeforeRunning(item.engine)) return;
      this.#claims.claim(index, item.engine, [item.record, item.info as SqsRecordInfo<unknown>], info);
    });
  }

  /**
   * The outcome of a record that is not to run, or `undefined` when it runs. `keyBefore` is the outcome of
   * `sameKeyBefore`, the record before it in the batch with the same idempotency key.
   */
  #decide(
    item: Item,
    groupBefore: Outcome | undefined,
    keyBefore: Outcome | undefined,
    sameKeyBefore: Item | undefined,
  ): Outcome | undefined {
    const id = item.record.messageId;
    if (groupBefore?.ok === false) {
      this.#logger.warn(
        `SQS message ${id} was not processed because an earlier message of its group ${String(item.record.attributes.MessageGroupId)} failed; reported failed to keep the group in order`,
      );
      return FAILED;
    }
    if (keyBefore?.ok === false) {
      this.#logger.warn(
        `SQS message ${id} was not processed because an earlier message of this batch with the same idempotency key failed; reported failed`,
      );
      return FAILED;
    }
    if (this.#stopped) return this.#notStarted(id);
    if (item.problem !== undefined) {
      this.#logger.error(`${item.problem.message}; reported failed`, item.problem.error);
      return this.#failed(item);
    }
    if (
      keyBefore?.ok === true &&
      sameKeyBefore !== undefined &&
      item.key !== undefined &&
      item.engine !== undefined &&
      acknowledgesDuplicates(item.engine)
    ) {
      // Optimistic mode claims nothing before running, so the engine would run this record again: the
      // record before it with the same key completed, and this one is acknowledged with that outcome.
      const mismatch = fingerprintMismatch(item.key, sameKeyBefore.fingerprint, item.fingerprint);
      if (mismatch !== undefined) {
        item.engine.count('PayloadMismatches');
        this.#logFailure(id, mismatch);
        return this.#failed(item);
      }
      item.engine.count('Replays');
      this.#logger.debug(`SQS message ${id} repeats an event this batch already processed; acknowledged without running the handler`);
      return SUCCEEDED;
    }
    return undefined;
  }

  #notStarted(id: string): Outcome {
    this.#logger.warn(`SQS message ${id} was not processed because an earlier message failed (fifoOnFailure 'stop'); reported failed`);
    return FAILED;
  }

  #failed(item: Item): Outcome {
    // A FIFO record without a group fails without stopping: it is in no group whose order a retry must keep.
    if (item.group !== undefined && this.#settings.fifoOnFailure === 'stop') this.#stopped = true;
    return FAILED;
  }

  /** Runs the handler for one record: through the engine's lifecycle with a store (claimed ahead in FIFO). */
  async #execute(index: number): Promise<Outcome> {
    const item = this.#items[index] as Item;
    const { record, engine } = item;
    const info = item.info as SqsRecordInfo<unknown>;
    const work = (): unknown => this.#handler(record, info);
    try {
      if (engine === undefined) await work();
      else
        await this.#claims.run(index, engine, [record, info], invocationInfo(this.#context), work, this.#hooks(engine, record.messageId));
      return SUCCEEDED;
    } catch (error) {
      this.#logFailure(record.messageId, error);
      return this.#failed(item);
    }
  }

  /** The lease renewed while the handler runs, when `visibility` asks for it; replays logged. */
  #hooks(engine: Engine, messageId: string): LifecycleHooks<unknown> {
    const visibility = this.#settings.visibility;
    return {
      // Only a `leaseSeconds` lease can end while the invocation runs; one derived from the context cannot.
      whileRunning:
        visibility !== undefined && engine.options.leaseSeconds !== undefined
          ? (execution) => {
              const keeper = new LeaseKeeper(
                execution,
                visibility.extendWhenRemainingSeconds,
                () => invocationInfo(this.#context).remainingMs,
                this.#logger,
              );
              // Renewing stops before the completion or release, which end the lease anyway.
              return () => keeper.stop();
            }
          : undefined,
      onReplay: (value) => {
        this.#logger.debug(`SQS message ${messageId} repeats an event already processed; acknowledged without running the handler`);
        return value;
      },
    };
  }

  #logFailure(messageId: string, error: unknown): void {
    if (error instanceof IdempotencyInProgressError) {
      this.#logger.warn(
        `SQS message ${messageId} is being processed by another invocation; reported failed so SQS delivers it again after its visibility timeout (the lease ends in ${error.retryAfterMs} ms)`,
      );
    } else if (error instanceof IdempotencyLeaseLostError) {
      this.#logger.warn(
        `SQS message ${messageId} lost its idempotency lease to another invocation, which completes it; reported failed`,
        error,
      );
    } else {
      this.#logger.error(`SQS message ${messageId} failed; reported failed so SQS delivers it again`, error);
    }
  }
}
