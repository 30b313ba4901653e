import { runBatch, type RecordOutcome } from '../batch/runtime';
import type { FailureCause, FailureWording } from '../batch/failure-log';
import { prepareItem, type BatchItem } from '../batch/items';
import { checkContext } from '../batch/validate';
import { invocationInfo, type IdempotencyEngine, type LifecycleHooks } from '../engine';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import {
  resolvedSqsOptions,
  type ResolvedSqsOptions,
  type SqsBatchOptions,
  type SqsIdempotencyArgs,
  type SqsRecordHandler,
} from './options';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './types';
import { checkEvent } from './event';
import { sqsRecordInfo, sqsRecordSource } from './record';
import { LeaseKeeper, VisibilityKeeper, type VisibilityTarget } from './visibility';

type Args = SqsIdempotencyArgs<unknown>;
type Engine = IdempotencyEngine<Args, unknown>;

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
  const targets = records.map((record): VisibilityTarget => ({
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    queueArn: record.eventSourceARN,
  }));
  const visibility = prepared.visibility ? new VisibilityKeeper(prepared.visibility, targets, prepared.logger) : undefined;
  const outcomes = await runBatch<Args>({
    items: records.map((record) => sqsItem(record, prepared)),
    handler: handler as SqsRecordHandler<unknown, unknown>,
    context,
    logger: prepared.logger,
    concurrency: prepared.concurrency,
    // A FIFO batch claims all its records before the first runs: one request for the batch.
    claimAhead: Number.POSITIVE_INFINITY,
    stopOnFailure: prepared.fifoOnFailure === 'stop',
    logsSkipped: true,
    wording: sqsWording(records),
    hooks: (index, engine) => sqsHooks(prepared, context, engine, (records[index] as SqsRecord).messageId),
    watch: visibility && {
      start: () => visibility.start(),
      settled: (index) => visibility.finished(targets[index] as VisibilityTarget),
      stop: () => visibility.stop(),
    },
  });
  return { batchItemFailures: failedRecords(records, outcomes) };
}

/** Every record that did not complete, in the order they arrived: SQS delivers them again. */
function failedRecords(records: readonly SqsRecord[], outcomes: readonly RecordOutcome[]): { itemIdentifier: string }[] {
  return records.flatMap((record, index) => (outcomes[index]?.state === 'done' ? [] : [{ itemIdentifier: record.messageId }]));
}

/**
 * One record, parsed and keyed before anything runs. A FIFO queue's message group is its lane: its records
 * run one at a time, in order (fair standard queues carry a MessageGroupId too: only FIFO queues order by it).
 */
function sqsItem(record: SqsRecord, prepared: ResolvedSqsOptions): BatchItem<Args> {
  const source = sqsRecordSource(record);
  const { queueArn, queueName, fifo } = source;
  const groupId: unknown = record.attributes.MessageGroupId;
  const lane = fifo && typeof groupId === 'string' && groupId.length > 0 ? `${queueArn}\u0000${groupId}` : undefined;
  // SQS gives every message of a FIFO queue a group. Without one the record cannot wait for the records
  // before it in its group, so running it could break the group's order: it is refused, never run.
  const refused =
    fifo && lane === undefined
      ? {
          detail: `of FIFO queue ${queueName} has no MessageGroupId, so it cannot be run in its group's order`,
          error: new IdempotencyConfigError(
            `SQS message ${record.messageId} comes from the FIFO queue ${queueArn} but its attributes.MessageGroupId is ${describe(groupId)} (expected a non-empty string, as SQS gives every message of a FIFO queue); it was not run`,
          ),
        }
      : undefined;
  return prepareItem<Args>({
    lane,
    engine: prepared.engineFor(source),
    refused,
    decode: () => [record, sqsRecordInfo(record, prepared.parse(record.body, record))],
  });
}

/** SQS reports every record that did not complete: the log says so. */
function sqsWording(records: readonly SqsRecord[]): FailureWording {
  const then: Partial<Record<FailureCause, string>> = {
    run: 'reported failed so SQS delivers it again',
    lane: 'reported failed to keep the group in order',
    stopped: "reported failed (fifoOnFailure 'stop')",
  };
  return {
    noun: 'message',
    name: (index) => `SQS message ${records[index]?.messageId ?? ''}`,
    then: (_index, cause) => then[cause] ?? 'reported failed',
    lane: (index) => `its group ${String(records[index]?.attributes.MessageGroupId)}`,
  };
}

/** The lease renewed while the handler runs, when `visibility` asks for it; replays logged. */
function sqsHooks(prepared: ResolvedSqsOptions, context: unknown, engine: Engine, messageId: string): LifecycleHooks<unknown> {
  const { visibility, logger } = prepared;
  return {
    // Only a `leaseSeconds` lease can end while the invocation runs; one derived from the context cannot.
    whileRunning:
      visibility !== undefined && engine.options.leaseSeconds !== undefined
        ? (execution) => {
            const keeper = new LeaseKeeper(
              execution,
              visibility.extendWhenRemainingSeconds,
              () => invocationInfo(context).remainingMs,
              logger,
            );
            // Renewing stops before the completion or release, which end the lease anyway.
            return () => keeper.stop();
          }
        : undefined,
    onReplay: (value) => {
      logger.debug(`SQS message ${messageId} repeats an event already processed; acknowledged without running the handler`);
      return value;
    },
  };
}
