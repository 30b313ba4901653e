/**
 * One request per call: the store's conditional writes, and its consistent read. A failed condition
 * returns the stored item (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the happy paths need no
 * extra read. A completion with staged writes or result chunks goes to a transaction instead.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyLeaseLostError } from '../../errors';
import { leaseLostMessage } from '../messages';
import {
  RecordStatus,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type IdempotencyRecord,
  type LeaseExtension,
  type CheckpointInput,
} from '../store';
import { outcomeAttributes, type RecordCodec } from './codec';
import { claimable, conditioned, ownedBy, ownedInProgress, takeOverable } from './conditions';
import type { TransactionCalls } from './lazy-transactions';
import { ExistingRecord, unmarshallRequest } from './transact-items';
import { A, completedBy, keyOf, nowSeconds, storeError, type Table } from './table';

export class SingleRequests {
  readonly #table: Table;
  readonly #codec: RecordCodec;
  readonly #transactions: TransactionCalls;

  public constructor(table: Table, codec: RecordCodec, transactions: TransactionCalls) {
    this.#table = table;
    this.#codec = codec;
    this.#transactions = transactions;
  }

  public async claim(input: ClaimInput): Promise<ClaimResult> {
    try {
      await this.#table.client.send(
        new PutItemCommand({
          TableName: this.#table.tableName,
          Item: this.#codec.claimItem(input),
          ...conditioned(claimable(this.#table, input.now)),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, steps: {} };
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'claim');
      if (existing) return { claimed: false, existing };
      // The condition failed on an item that is gone by now: claim again.
      return this.claim(input);
    }
  }

  /** The take-over's result; undefined when the record is gone (then it is claimed anew). */
  public async takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult | undefined> {
    try {
      const output = await this.#table.client.send(
        new UpdateItemCommand({
          TableName: this.#table.tableName,
          Key: keyOf(this.#table, input.key),
          // The owner is the taker's: a durable execution's, or none (removed).
          UpdateExpression: `SET #token = :token, #lease = :lease, #ttl = :exp${input.owner === undefined ? ' REMOVE #owner' : ', #owner = :owner'}`,
          ...conditioned(
            takeOverable(this.#table, input.previousToken, input.now, input.owner),
            { '#token': A.token, '#lease': A.lease, '#ttl': this.#table.ttlAttr, '#owner': A.owner },
            {
              ':token': { S: input.token },
              ':lease': { N: String(input.leaseUntil) },
              ':exp': { N: String(input.expiresAt) },
              ...(input.owner === undefined ? {} : { ':owner': { S: input.owner } }),
            },
          ),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const record = await this.#codec.toRecord(output.Attributes ?? {});
      return { claimed: true, steps: record.steps };
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'take over');
      return existing ? { claimed: false, existing } : undefined;
    }
  }

  public async checkpoint(input: CheckpointInput): Promise<void> {
    await this.#ownedUpdate(input.key, input.token, `checkpoint step "${input.step}"`, {
      UpdateExpression: 'SET #steps.#step = :checkpoint',
      ExpressionAttributeNames: { '#steps': A.steps, '#step': input.step },
      ExpressionAttributeValues: { ':checkpoint': { M: this.#codec.checkpointValue(input.checkpoint) } },
    });
  }

  public async extendLease(input: LeaseExtension): Promise<void> {
    await this.#ownedUpdate(input.key, input.token, 'extend the lease', {
      UpdateExpression: 'SET #lease = :lease, #ttl = :exp',
      ExpressionAttributeNames: { '#lease': A.lease, '#ttl': this.#table.ttlAttr },
      ExpressionAttributeValues: { ':lease': { N: String(input.leaseUntil) }, ':exp': { N: String(input.expiresAt) } },
    });
  }

  public async complete(input: CompleteInput): Promise<void> {
    const encoded = this.#codec.encodeResult(input.result);
    const set: string[] = ['#status = :completed', '#ttl = :exp', '#lease = :zero'];
    const names: Record<string, string> = { '#status': A.status, '#ttl': this.#table.ttlAttr, '#lease': A.lease, '#steps': A.steps };
    const values: Record<string, AttributeValue> = {
      ':completed': { S: RecordStatus.Completed },
      ':exp': { N: String(input.expiresAt) },
      ':zero': { N: '0' },
    };
    const removed = ['#steps'];
    for (const [attr, value] of Object.entries({ ...outcomeAttributes(input.outcome), ...encoded.attributes })) {
      set.push(`#${attr} = :${attr}`);
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
    }
    // Nothing else to remove: the condition holds the record in progress, and a record in progress never holds
    // a result, its encoding or a chunk count (see codec.ts).
    const update = {
      TableName: this.#table.tableName,
      Key: keyOf(this.#table, input.key),
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${removed.join(', ')}`,
      // Only our own record, only while in progress: a retry after a lost response finds it completed by
      // this very write (see below) and never applies the staged writes a second time.
      ...conditioned(ownedInProgress(input.token), names, values),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    if (input.writes.length === 0 && encoded.chunks.length === 0 && (input.messages?.length ?? 0) === 0) {
      try {
        await this.#table.client.send(new UpdateItemCommand(update));
        return;
      } catch (error) {
        const existing = await this.#conditionFailedItem(error, input.key, 'store the result');
        if (completedBy(existing, input.token)) return;
        throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'store the result'), { key: input.key });
      }
    }
    await this.#transactions.commit(input, { Update: unmarshallRequest(update) }, encoded.chunks, 'store the result');
  }

  /** Whether the completed record was written; undefined when a record met was gone (then it is put again). */
  public async putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord } | undefined> {
    const encoded = this.#codec.encodeResult(input.result);
    const put = {
      TableName: this.#table.tableName,
      Item: this.#codec.completedItem(input, encoded),
      ...conditioned(claimable(this.#table, input.now)),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      if (input.writes.length === 0 && encoded.chunks.length === 0 && (input.messages?.length ?? 0) === 0) {
        await this.#table.client.send(new PutItemCommand(put));
      } else {
        await this.#transactions.commit(input, { Put: unmarshallRequest(put) }, encoded.chunks, 'store the result');
      }
      return { written: true };
    } catch (error) {
      if (error instanceof ExistingRecord) return { written: false, existing: error.record };
      const existing = await this.#conditionFailedItem(error, input.key, 'store the result');
      return existing ? { written: false, existing } : undefined;
    }
  }

  public async release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    // Only our own record, and only while in progress: a completed record is never released.
    const condition = ownedInProgress(input.token);
    try {
      if (input.keepCheckpoints) {
        await this.#table.client.send(
          new UpdateItemCommand({
            TableName: this.#table.tableName,
            Key: keyOf(this.#table, input.key),
            UpdateExpression: 'SET #lease = :zero',
            ...conditioned(condition, { '#lease': A.lease }, { ':zero': { N: '0' } }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } else {
        await this.#table.client.send(
          new DeleteItemCommand({
            TableName: this.#table.tableName,
            Key: keyOf(this.#table, input.key),
            ...conditioned(condition),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      }
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'release the lease');
      // Gone already (our own retried delete, or TTL), or completed by this execution: nothing to release.
      if (!existing || existing.token === input.token) return;
      throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'release the lease'), { key: input.key });
    }
  }

  public async get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    let output;
    try {
      output = await this.#table.client.send(
        new GetItemCommand({ TableName: this.#table.tableName, Key: keyOf(this.#table, key), ConsistentRead: true }),
      );
    } catch (error) {
      throw storeError(error, key, 'read');
    }
    if (!output.Item) return undefined;
    const record = await this.#codec.toRecord(output.Item);
    return record.expiresAt <= nowSeconds(now) ? undefined : record;
  }

  async #ownedUpdate(
    key: string,
    token: string,
    action: string,
    update: {
      UpdateExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, AttributeValue>;
    },
  ): Promise<void> {
    try {
      await this.#table.client.send(
        new UpdateItemCommand({
          TableName: this.#table.tableName,
          Key: keyOf(this.#table, key),
          UpdateExpression: update.UpdateExpression,
          ...conditioned(ownedBy(token), update.ExpressionAttributeNames, update.ExpressionAttributeValues),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new IdempotencyLeaseLostError(leaseLostMessage(key, action), { key, cause: error });
      }
      throw storeError(error, key, action);
    }
  }

  /** The item a failed condition returned, or undefined when there was none; rethrows other errors. */
  async #conditionFailedItem(error: unknown, key: string, action: string): Promise<IdempotencyRecord | undefined> {
    if (error instanceof ConditionalCheckFailedException) {
      return error.Item ? this.#codec.toRecord(error.Item) : undefined;
    }
    throw storeError(error, key, action);
  }
}
