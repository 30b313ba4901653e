/**
 * Example: a DynamoDB Streams consumer that projects the `orders` table into a read model, one item per
 * order, with a sequence guard instead of an idempotency record.
 *
 * Each change carries its stream sequence number; `applyIfNewer` writes the projection only when the stored
 * item holds an older one. A redelivered record (Lambda retries from the failed record, or the whole batch
 * after a timeout) and a stale one are skipped by the same single conditional UpdateItem: one request per
 * record, no idempotency table. This fits because DynamoDB Streams delivers the changes of one item in order
 * and their sequence numbers grow; see docs/effects.md, "Choosing a pattern".
 *
 * Wiring: a DynamoDB Streams event source on the orders table with `ReportBatchItemFailures` on, stream
 * view `NEW_AND_OLD_IMAGES`, and the read model's table name in `ORDER_VIEWS_TABLE_NAME`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { applyIfNewer, type ApplyIfNewerResult } from '../lib/guards';
import {
  processStreamBatch,
  type DynamoDBRecordInfo,
  type DynamoDBStreamEvent,
  type StreamBatchResponse,
  type StreamLambdaContext,
} from '../lib/streams';

/** Environment variable naming the read model's table. */
export const ORDER_VIEWS_TABLE_ENV = 'ORDER_VIEWS_TABLE_NAME';

/** An item of the `orders` table, as its stream images carry it. */
export interface Order {
  readonly orderId: string;
  readonly status: string;
  readonly total: number;
}

/** Where the projection writes. */
export interface ProjectionTarget {
  readonly client: DynamoDBClient;
  /** The read model's table (partition key `id`, a string). */
  readonly tableName: string;
}

/**
 * Applies one change of an order to its view: INSERT and MODIFY write the order's status and total, REMOVE
 * leaves a tombstone (so a late, older change cannot bring the order back). Guarded by the change's
 * sequence number.
 */
export function projectChange(target: ProjectionTarget, change: DynamoDBRecordInfo<Order>): Promise<ApplyIfNewerResult> {
  const orderId = change.keys['orderId'] as string;
  const common = { TableName: target.tableName, Key: { id: orderId }, version: change.sequenceNumber };
  if (change.eventName === 'REMOVE' || change.newImage === undefined) {
    return applyIfNewer(target.client, {
      ...common,
      UpdateExpression: 'SET deleted = :true REMOVE #status, #total',
      ExpressionAttributeNames: { '#status': 'status', '#total': 'total' },
      ExpressionAttributeValues: { ':true': true },
    });
  }
  return applyIfNewer(target.client, {
    ...common,
    UpdateExpression: 'SET #status = :status, #total = :total, deleted = :false',
    ExpressionAttributeNames: { '#status': 'status', '#total': 'total' },
    ExpressionAttributeValues: { ':status': change.newImage.status, ':total': change.newImage.total, ':false': false },
  });
}

/** The Lambda handler for `target`: every record of the batch, in order, through the sequence guard. */
export function createProjectionHandler(
  target: ProjectionTarget,
): (event: DynamoDBStreamEvent, context?: StreamLambdaContext) => Promise<StreamBatchResponse> {
  return (event, context) =>
    processStreamBatch(
      event,
      async (_record, change: DynamoDBRecordInfo<Order>) => {
        await projectChange(target, change);
      },
      context === undefined ? {} : { context },
    );
}

let configured: ReturnType<typeof createProjectionHandler> | undefined;

/** The deployed handler: the table from `ORDER_VIEWS_TABLE_NAME`, the SDK's default client. */
export const handler = async (event: DynamoDBStreamEvent, context?: StreamLambdaContext): Promise<StreamBatchResponse> => {
  if (!configured) {
    const tableName = process.env[ORDER_VIEWS_TABLE_ENV];
    if (tableName === undefined || tableName === '') {
      throw new Error(`${ORDER_VIEWS_TABLE_ENV} is not set: it must name the read model's table`);
    }
    configured = createProjectionHandler({ client: new DynamoDBClient({}), tableName });
  }
  return configured(event, context);
};
