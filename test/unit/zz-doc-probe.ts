import type { Context, DynamoDBStreamEvent, KinesisStreamEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore, applyIfNewer } from '../../lib';
import { processStreamBatch, type DynamoDBRecordInfo, type KinesisBatchOptions } from '../../lib/streams';
interface OrderPlaced { orderId: string }
interface Order { orderId: string; status: string; total: number }
declare function ship(o: OrderPlaced): Promise<void>;
const client = new DynamoDBClient({});
const options: KinesisBatchOptions<OrderPlaced> = { store: new DynamoDBStore({ tableName: 't' }), key: (_record, { data }) => data.orderId };
export const handler = (event: KinesisStreamEvent, context: Context) =>
  processStreamBatch(event, async (_record, { data: order }) => ship(order), { ...options, context });
export const handler2 = (event: DynamoDBStreamEvent, context: Context) =>
  processStreamBatch(event, async (_record, { keys, newImage, sequenceNumber }: DynamoDBRecordInfo<Order>) => {
    await applyIfNewer(client, {
      TableName: 'order-views',
      Key: { id: keys.orderId },
      version: sequenceNumber,
      UpdateExpression: 'SET #status = :status, #total = :total',
      ExpressionAttributeNames: { '#status': 'status', '#total': 'total' },
      ExpressionAttributeValues: { ':status': newImage?.status, ':total': newImage?.total },
    });
  }, { context });
