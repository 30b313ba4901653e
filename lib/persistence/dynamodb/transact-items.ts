/**
 * What the single requests share with the transactions without loading them (`transaction.ts` is loaded on the
 * first commit): the signal of a live record met by a transaction's Put, and the document-client shape of a
 * request.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { IdempotencyRecord } from '../store';

/** Signals, inside the optimistic transaction path, that a live record already exists. */
export class ExistingRecord extends Error {
  public constructor(public readonly record: IdempotencyRecord) {
    super('existing record');
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
