// docs/examples/sequence-guard.ts (the pattern of handlers/stream-projection.ts)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { applyIfNewer } from 'effectively-once/guards';
import { processStreamBatch, type DynamoDBRecordInfo, type DynamoDBStreamEvent } from 'effectively-once/streams';

interface Order {
  orderId: string;
  status: string;
  total: number;
}

const client = new DynamoDBClient({});

export const handler = (event: DynamoDBStreamEvent, context: Context) =>
  processStreamBatch(
    event,
    async (_record, { keys, newImage, sequenceNumber }: DynamoDBRecordInfo<Order>) => {
      await applyIfNewer(client, {
        TableName: 'order-views',
        Key: { id: keys['orderId'] as string },
        version: sequenceNumber, // grows with every change of the item
        UpdateExpression: 'SET #status = :status, #total = :total',
        ExpressionAttributeNames: { '#status': 'status', '#total': 'total' },
        ExpressionAttributeValues: { ':status': newImage?.status, ':total': newImage?.total },
      });
    },
    { context },
  );
