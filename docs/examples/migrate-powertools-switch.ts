// docs/examples/migrate-powertools-switch.ts (during the switch: the new version honours the old records)
import { IdempotencyConfig, IdempotencyItemNotFoundError, IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDBStore, makeIdempotent } from 'effectively-once';

type OrderEvent = { orderId: string; customerId: string; amountCents: number };
declare function chargeOrder(order: OrderEvent): Promise<{ chargeId: string }>; // your code

const tableName = process.env['IDEMPOTENCY_TABLE_NAME'] ?? 'IdempotencyTable';
// The Powertools table: the same key schema (`id`, TTL on `expiration`), and the two never share a key.
const store = new DynamoDBStore({ tableName });

// The old version's persistence layer and key settings, exactly as it had them, to read its records.
const powertools = new DynamoDBPersistenceLayer({ tableName });
powertools.configure({ config: new IdempotencyConfig({ eventKeyJmesPath: 'orderId' }) });

/**
 * What the Powertools version stored for this event: its response once it completed, nothing when it has no
 * live record (never seen, expired, or its holder's time ran out), and an error while it is still running it.
 */
export async function powertoolsOutcome(order: OrderEvent): Promise<{ readonly response: unknown } | undefined> {
  let record;
  try {
    record = await powertools.getRecord(order);
  } catch (error) {
    if (error instanceof IdempotencyItemNotFoundError) return undefined;
    throw error; // a different payload for the key (IdempotencyValidationError), or DynamoDB failed
  }
  const status = record.getStatus();
  if (status === IdempotencyRecordStatus.COMPLETED) return { response: record.getResponse() };
  if (status === IdempotencyRecordStatus.INPROGRESS && (record.inProgressExpiryTimestamp ?? Infinity) > Date.now()) {
    throw new Error(`The previous version is still processing order ${order.orderId}; retry later`);
  }
  return undefined;
}

export const handler = makeIdempotent(
  async (order: OrderEvent, _context: Context) => {
    // Inside the claim: a duplicate of an order the old version handled gets its response, now stored here.
    const previous = await powertoolsOutcome(order);
    if (previous) return previous.response as { chargeId: string };
    return chargeOrder(order);
  },
  { store, key: 'orderId' },
);
