/**
 * `commitWith` transactions: the record write, its result chunks and the staged business writes in ONE
 * TransactWriteItems, sent through `@aws-sdk/lib-dynamodb`'s document client (the staged writes' shape),
 * which is loaded on the first commit only.
 */
import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { COMMIT_MAX_ATTEMPTS, MAX_TRANSACTION_ITEMS } from '../../defaults';
import {
  IdempotencyCommitConditionError,
  IdempotencyContextError,
  IdempotencyLeaseLostError,
  IdempotencyResultTooLargeError,
} from '../../errors';
import { transactGuardFailure } from '../../guards/failure';
import { outboxItems } from '../../outbox/items';
import type { OutboxMessage } from '../../outbox/message';
import { loadDocumentClient, type DocumentClientModule } from '../../lazy-modules';
import type { IdempotencyLogger } from '../../options';
import { stagedWriteBytes } from '../item-size';
import { leaseLostMessage } from '../messages';
import { randomUUID } from 'node:crypto';
import type { CompleteInput, StagedWrite } from '../store';
import type { RecordCodec } from './codec';
import { DYNAMODB_MAX_TRANSACTION_BYTES } from './limits';
import { completedBy, storeError, type Table } from './table';
import { ExistingRecord } from './transact-items';
import { backoffMs, sleep, type Backoff } from '../../time';

/** Transaction conflicts are retried after 40 ms, then doubling, each pause spread by half either way. */
const CONFLICT_BACKOFF: Backoff = { firstMs: 40, maxMs: Number.POSITIVE_INFINITY, jitter: 'around' };

/** lib-dynamodb's document client over the store's client, and its transaction command. */
interface DocumentClient {
  readonly client: DynamoDBDocumentClient;
  readonly TransactWriteCommand: DocumentClientModule['TransactWriteCommand'];
}

/** A completion's own items: the record write and its result's chunks. */
interface WithRecord {
  readonly record: StagedWrite;
  readonly input: CompleteInput;
  readonly chunks: readonly Uint8Array[];
}

/** One commit: what it names in errors, and the items it sends besides the staged writes (record, chunks, outbox). */
interface CommitPlan {
  readonly label: string;
  readonly action: string;
  readonly withRecord: WithRecord | undefined;
  readonly fixed: readonly StagedWrite[];
  /** The staged writes as given (errors name a write by its index here). */
  readonly staged: readonly StagedWrite[];
}

/**
 * Refuses, before anything is sent, a commit above one transaction's items or bytes: the staged writes were
 * counted when staged; the result's chunks are known only now.
 */
function checkTransactionLimits(
  label: string,
  parts: {
    readonly fixed: readonly StagedWrite[];
    readonly chunkItems: readonly StagedWrite[];
    readonly messageItems: readonly StagedWrite[];
    readonly staged: readonly StagedWrite[];
  },
): void {
  const { fixed, chunkItems, messageItems, staged } = parts;
  if (fixed.length + staged.length > MAX_TRANSACTION_ITEMS) {
    throw new IdempotencyContextError(
      `The result of ${label} needs ${chunkItems.length} chunk item(s), which with the record${messageItems.length > 0 ? `, ${messageItems.length} outbox item(s)` : ''} and ${staged.length} staged write(s) exceed the ${MAX_TRANSACTION_ITEMS} items of one DynamoDB transaction; nothing was sent. Stage fewer writes or return a smaller result`,
      { key: label },
    );
  }
  const bytes = [...fixed, ...staged].reduce((sum, write) => sum + stagedWriteBytes(write), 0);
  if (bytes > DYNAMODB_MAX_TRANSACTION_BYTES) {
    const resultBytes = chunkItems.reduce((sum, write) => sum + stagedWriteBytes(write), 0);
    throw new IdempotencyResultTooLargeError(
      `The completion of ${label} needs a DynamoDB transaction of about ${bytes} bytes (${resultBytes} of them the compressed result, ${bytes - resultBytes} the record and ${staged.length} staged write(s)), above the ${DYNAMODB_MAX_TRANSACTION_BYTES} bytes of one transaction; nothing was written. Return less (store the payload elsewhere and return a reference) or stage fewer writes`,
      { key: label, bytes, maxBytes: DYNAMODB_MAX_TRANSACTION_BYTES },
    );
  }
}

export class Transactions {
  readonly #table: Table;
  readonly #codec: RecordCodec;
  readonly #logger: IdempotencyLogger;
  #documentClient: Promise<DocumentClient> | undefined;

  public constructor(table: Table, codec: RecordCodec, logger: IdempotencyLogger) {
    this.#table = table;
    this.#codec = codec;
    this.#logger = logger;
  }

  /**
   * Commits the record write, its result chunks and the staged business writes in ONE TransactWriteItems.
   * The SDK gives the request a ClientRequestToken that its retries reuse, so a lost response is not
   * applied twice. Transaction conflicts are retried with backoff.
   *
   * @throws ExistingRecord when `record` is a Put whose condition met a live record.
   */
  public async commit(input: CompleteInput, record: StagedWrite, chunks: readonly Uint8Array[], action: string): Promise<void> {
    await this.#transact(input.key, input.writes, { record, input, chunks }, action);
  }

  /**
   * Commits staged business writes alone, in ONE TransactWriteItems, with no idempotency record: for an
   * invocation the kill switch runs without idempotency. `label` names the invocation in errors.
   */
  public async commitWrites(label: string, writes: readonly StagedWrite[], messages: readonly OutboxMessage[] = []): Promise<void> {
    await this.#transact(label, writes, undefined, 'commit the staged writes', messages);
  }

  async #transact(
    label: string,
    staged: readonly StagedWrite[],
    withRecord: WithRecord | undefined,
    action: string,
    looseMessages: readonly OutboxMessage[] = [],
  ): Promise<void> {
    const plan = this.#plan(label, staged, withRecord, action, looseMessages);
    let writes = [...staged];
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { client, TransactWriteCommand } = await this.#documents();
        await client.send(new TransactWriteCommand({ TransactItems: [...plan.fixed, ...writes] }));
        return;
      } catch (error) {
        const next = await this.#afterFailure(plan, writes, error, attempt);
        if (next === 'done') return;
        if (next === 'retry') {
          await sleep(backoffMs(CONFLICT_BACKOFF, attempt));
        } else {
          // Skipped newerThan writes left out: sent again at once, not counted as an attempt.
          writes = next.writes;
          attempt -= 1;
        }
      }
    }
  }

  /** The items one commit sends besides the staged writes, checked against one transaction's limits. */
  #plan(
    label: string,
    staged: readonly StagedWrite[],
    withRecord: WithRecord | undefined,
    action: string,
    looseMessages: readonly OutboxMessage[],
  ): CommitPlan {
    const chunkItems: StagedWrite[] = (withRecord?.chunks ?? []).map((data, index) => ({
      Put: { TableName: this.#table.tableName, Item: this.#codec.chunkItem(label, withRecord?.input.expiresAt ?? 0, index, data) },
    }));
    // Outbox items (never expiring: the relay deletes them once published) go in with the record.
    const messageItems: StagedWrite[] = outboxItems(
      this.#table.keyAttr,
      label,
      withRecord?.input.token ?? randomUUID(),
      withRecord?.input.messages ?? looseMessages,
      withRecord?.input.now ?? Date.now(),
    ).map((Item) => ({ Put: { TableName: this.#table.tableName, Item } }));
    const fixed = [...(withRecord === undefined ? [] : [withRecord.record]), ...chunkItems, ...messageItems];
    checkTransactionLimits(label, { fixed, chunkItems, messageItems, staged });
    return { label, action, withRecord, fixed, staged };
  }

  /**
   * What to do after a failed attempt: `done` (an earlier attempt was applied), `retry` (a transaction conflict),
   * or send again without the staged writes that resolve as skipped. Throws the typed error otherwise.
   */
  async #afterFailure(
    plan: CommitPlan,
    writes: readonly StagedWrite[],
    error: unknown,
    attempt: number,
  ): Promise<'done' | 'retry' | { readonly writes: StagedWrite[] }> {
    if (!(error instanceof TransactionCanceledException)) throw storeError(error, plan.label, plan.action);
    const reasons = error.CancellationReasons ?? [];
    const own = reasons[0];
    if (plan.withRecord !== undefined && own?.Code === 'ConditionalCheckFailed') {
      return this.#recordRefused(plan, own.Item, error);
    }
    const firstWrite = plan.fixed.length;
    const failed = reasons.flatMap((reason, index) =>
      index >= firstWrite && reason.Code === 'ConditionalCheckFailed' ? [{ write: writes[index - firstWrite], item: reason.Item }] : [],
    );
    // A newerThan write whose version is a duplicate or stale resolves as skipped, as applyIfNewer's
    // does: it is left out and the rest is committed (never a failure on every redelivery).
    const skipped = failed.filter(({ write, item }) => transactGuardFailure(write, item) !== undefined);
    if (failed.length > 0 && skipped.length === failed.length) {
      const dropped = new Set(skipped.map(({ write }) => write));
      this.#logger.info(`Skipped ${dropped.size} newerThan write(s) of ${plan.label} whose version is not newer than the stored one`);
      return { writes: writes.filter((write) => !dropped.has(write)) };
    }
    const refused = failed.find(({ write, item }) => transactGuardFailure(write, item) === undefined);
    if (refused !== undefined) {
      const writeIndex = plan.staged.indexOf(refused.write as StagedWrite);
      const tableName = tableOf(refused.write);
      throw new IdempotencyCommitConditionError(
        `The condition of staged write #${writeIndex} (table ${tableName ?? 'unknown'}) failed, so neither the business writes nor the result of ${plan.label} were committed`,
        { key: plan.label, cause: error, itemIndex: writeIndex, tableName },
      );
    }
    const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
    if (conflict && attempt < COMMIT_MAX_ATTEMPTS) return 'retry';
    throw storeError(error, plan.label, plan.action);
  }

  /**
   * The record's own condition failed: a live record met by a Put (`ExistingRecord`), an earlier attempt of this
   * completion that was applied and its answer lost (`done`: exactly once), or a lease lost.
   */
  async #recordRefused(plan: CommitPlan, item: Record<string, AttributeValue> | undefined, error: unknown): Promise<'done'> {
    const withRecord = plan.withRecord as WithRecord;
    const existing = item ? await this.#codec.toRecord(item) : undefined;
    if ('Put' in withRecord.record && existing) throw new ExistingRecord(existing);
    if (completedBy(existing, withRecord.input.token)) return 'done';
    throw new IdempotencyLeaseLostError(leaseLostMessage(plan.label, plan.action), { key: plan.label, cause: error });
  }

  /**
   * The document client for transactions, and its command, made once: `@aws-sdk/lib-dynamodb` is loaded on the
   * first commit. A failed load is not kept, so the next commit tries again.
   */
  #documents(): Promise<DocumentClient> {
    this.#documentClient ??= loadDocumentClient().then(
      (module) => ({ client: module.DynamoDBDocumentClient.from(this.#table.client), TransactWriteCommand: module.TransactWriteCommand }),
      (error: unknown) => {
        this.#documentClient = undefined;
        throw error;
      },
    );
    return this.#documentClient;
  }
}

function tableOf(write: StagedWrite | undefined): string | undefined {
  if (!write) return undefined;
  for (const part of Object.values(write)) {
    const table = (part as { TableName?: unknown } | undefined)?.TableName;
    if (typeof table === 'string') return table;
  }
  return undefined;
}
