/**
 * `commitWith` transactions: the record write, its result chunks and the staged business writes in ONE
 * TransactWriteItems, sent through `@aws-sdk/lib-dynamodb`'s document client (the staged writes' shape),
 * which is loaded on the first commit only.
 */
import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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
import type { CompleteInput, IdempotencyRecord, StagedWrite } from '../store';
import type { RecordCodec } from './codec';
import { DYNAMODB_MAX_TRANSACTION_BYTES } from './limits';
import { completedBy, storeError, type Table } from './table';

/** lib-dynamodb's document client over the store's client, and its transaction command. */
interface DocumentClient {
  readonly client: DynamoDBDocumentClient;
  readonly TransactWriteCommand: DocumentClientModule['TransactWriteCommand'];
}

/** Signals, inside the optimistic transaction path, that a live record already exists. */
export class ExistingRecord extends Error {
  public constructor(public readonly record: IdempotencyRecord) {
    super('existing record');
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
    withRecord: { readonly record: StagedWrite; readonly input: CompleteInput; readonly chunks: readonly Uint8Array[] } | undefined,
    action: string,
    looseMessages: readonly OutboxMessage[] = [],
  ): Promise<void> {
    const input = { key: label, writes: staged };
    const record = withRecord?.record;
    const chunks = withRecord?.chunks ?? [];
    const recordItems: StagedWrite[] = record === undefined ? [] : [record];
    const chunkItems: StagedWrite[] = chunks.map((data, index) => ({
      Put: { TableName: this.#table.tableName, Item: this.#codec.chunkItem(label, withRecord?.input.expiresAt ?? 0, index, data) },
    }));
    // Outbox items (never expiring: the relay deletes them once published) go in with the record.
    const messages = withRecord?.input.messages ?? looseMessages;
    const messageItems: StagedWrite[] = outboxItems(
      this.#table.keyAttr,
      label,
      withRecord?.input.token ?? randomUUID(),
      messages,
      withRecord?.input.now ?? Date.now(),
    ).map((Item) => ({ Put: { TableName: this.#table.tableName, Item } }));
    let writes = [...input.writes];
    const items = (): StagedWrite[] => [...recordItems, ...chunkItems, ...messageItems, ...writes];
    if (items().length > MAX_TRANSACTION_ITEMS) {
      // The staged writes were counted when staged; the result's chunks are known only now.
      throw new IdempotencyContextError(
        `The result of ${input.key} needs ${chunkItems.length} chunk item(s), which with the record${messageItems.length > 0 ? `, ${messageItems.length} outbox item(s)` : ''} and ${input.writes.length} staged write(s) exceed the ${MAX_TRANSACTION_ITEMS} items of one DynamoDB transaction; nothing was sent. Stage fewer writes or return a smaller result`,
        { key: input.key },
      );
    }
    const bytes = [...recordItems, ...chunkItems, ...messageItems, ...writes].reduce((sum, write) => sum + stagedWriteBytes(write), 0);
    if (bytes > DYNAMODB_MAX_TRANSACTION_BYTES) {
      const resultBytes = chunkItems.reduce((sum, write) => sum + stagedWriteBytes(write), 0);
      throw new IdempotencyResultTooLargeError(
        `The completion of ${input.key} needs a DynamoDB transaction of about ${bytes} bytes (${resultBytes} of them the compressed result, ${bytes - resultBytes} the record and ${input.writes.length} staged write(s)), above the ${DYNAMODB_MAX_TRANSACTION_BYTES} bytes of one transaction; nothing was written. Return less (store the payload elsewhere and return a reference) or stage fewer writes`,
        { key: input.key, bytes, maxBytes: DYNAMODB_MAX_TRANSACTION_BYTES },
      );
    }
    const firstWrite = recordItems.length + chunkItems.length + messageItems.length;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { client, TransactWriteCommand } = await this.#documents();
        await client.send(new TransactWriteCommand({ TransactItems: items() as never }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw storeError(error, input.key, action);
        const reasons = error.CancellationReasons ?? [];
        const own = record === undefined ? undefined : reasons[0];
        if (record !== undefined && withRecord !== undefined && own?.Code === 'ConditionalCheckFailed') {
          const existing = own.Item ? await this.#codec.toRecord(own.Item) : undefined;
          if ('Put' in record && existing) throw new ExistingRecord(existing);
          // An earlier attempt of this completion was applied and its answer lost: done, exactly once.
          if (completedBy(existing, withRecord.input.token)) return;
          throw new IdempotencyLeaseLostError(leaseLostMessage(label, action), { key: label, cause: error });
        }
        const failed = reasons.flatMap((reason, index) =>
          index >= firstWrite && reason.Code === 'ConditionalCheckFailed' ? [{ write: writes[index - firstWrite], item: reason.Item }] : [],
        );
        // A newerThan write whose version is a duplicate or stale resolves as skipped, as applyIfNewer's
        // does: it is left out and the rest is committed (never a failure on every redelivery).
        const skipped = failed.filter(({ write, item }) => transactGuardFailure(write, item) !== undefined);
        if (failed.length > 0 && skipped.length === failed.length) {
          const dropped = new Set(skipped.map(({ write }) => write));
          this.#logger.info(`Skipped ${dropped.size} newerThan write(s) of ${input.key} whose version is not newer than the stored one`);
          writes = writes.filter((write) => !dropped.has(write));
          attempt -= 1;
          continue;
        }
        const refused = failed.find(({ write, item }) => transactGuardFailure(write, item) === undefined);
        if (refused !== undefined) {
          const writeIndex = input.writes.indexOf(refused.write as StagedWrite);
          const tableName = tableOf(refused.write);
          throw new IdempotencyCommitConditionError(
            `The condition of staged write #${writeIndex} (table ${tableName ?? 'unknown'}) failed, so neither the business writes nor the result of ${label} were committed`,
            { key: input.key, cause: error, itemIndex: writeIndex, tableName },
          );
        }
        const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (conflict && attempt < COMMIT_MAX_ATTEMPTS) {
          await delay(20 * 2 ** attempt * (0.5 + Math.random()));
          continue;
        }
        throw storeError(error, input.key, action);
      }
    }
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

/** Turns a low-level request of our own into the document-client shape used inside transactions. */
export function unmarshallRequest(request: {
  TableName: string;
  Key?: Record<string, AttributeValue>;
  Item?: Record<string, AttributeValue>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  [other: string]: unknown;
}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...request };
  if (request.Key) out['Key'] = unmarshall(request.Key);
  if (request.Item) out['Item'] = unmarshall(request.Item);
  if (request.ExpressionAttributeValues) out['ExpressionAttributeValues'] = unmarshall(request.ExpressionAttributeValues);
  return out;
}

function tableOf(write: StagedWrite | undefined): string | undefined {
  if (!write) return undefined;
  for (const part of Object.values(write)) {
    const table = (part as { TableName?: unknown } | undefined)?.TableName;
    if (typeof table === 'string') return table;
  }
  return undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
