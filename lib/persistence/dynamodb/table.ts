/**
 * What every part of the DynamoDB store shares: the table it writes, the attribute names of a record, and
 * the error a failed request becomes.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyError, IdempotencyResultTooLargeError, IdempotencyStoreError } from '../../errors';
import { RecordStatus, type IdempotencyRecord } from '../store';
import { isTransientAwsError } from '../transient';

/** A DynamoDB item in AttributeValues (the low-level client's shape). */
export type Item = Record<string, AttributeValue>;

/** The idempotency table and the client that writes it. */
export interface Table {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Partition key attribute. */
  readonly keyAttr: string;
  /** TTL attribute (epoch seconds). */
  readonly ttlAttr: string;
}

// Attribute names of the record besides the key and TTL attributes.
export const A = {
  status: 'status',
  token: 'token',
  lease: 'leaseUntil',
  fingerprint: 'fingerprint',
  result: 'result',
  encoding: 'resultEncoding',
  chunks: 'resultChunks',
  outcome: 'outcome',
  steps: 'steps',
  data: 'data',
  owner: 'owner',
} as const;

/** The primary key of the item `key`. */
export function keyOf(table: Table, key: string): Item {
  return { [table.keyAttr]: { S: key } };
}

export function nowSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/** Whether `record` is the completed record of the execution holding `token` (its own write, applied). */
export function completedBy(record: IdempotencyRecord | undefined, token: string): boolean {
  return record !== undefined && record.token === token && record.status === RecordStatus.Completed;
}

export function storeError(error: unknown, key: string, action: string): IdempotencyError {
  // Our own errors (a lost lease, a refused transaction) pass through; only the SDK's are wrapped.
  if (error instanceof IdempotencyError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (isSizeRefusal(error)) {
    // Definite: DynamoDB wrote nothing, and the same write is refused every time.
    return new IdempotencyResultTooLargeError(
      `DynamoDB refused to ${action} for idempotency record ${key} for its size (${detail}); nothing was written. Return less (store the payload elsewhere and return a reference)`,
      { key, cause: error, bytes: Number.NaN, maxBytes: Number.NaN },
    );
  }
  return new IdempotencyStoreError(`DynamoDB failed to ${action} for idempotency record ${key} (${detail}); retry the invocation`, {
    key,
    cause: error,
    retryable: isTransientAwsError(error),
  });
}

/** DynamoDB's ValidationException for an item or a transaction above its size limit. */
export function isSizeRefusal(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ValidationException') return false;
  return /Item size (?:to update )?has exceeded|payload size cannot exceed|size cannot exceed|Item size exceeded/i.test(error.message);
}
