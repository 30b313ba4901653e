// docs/examples/commit-with.ts
import { commitWith, DynamoDBStore, makeIdempotent } from 'effectively-once';

interface Transfer {
  transferId: string;
  from: string;
  to: string;
  amount: number;
}

const store = new DynamoDBStore();

export const handler = makeIdempotent(
  async (transfer: Transfer) => {
    commitWith(
      {
        Update: {
          TableName: 'accounts',
          Key: { id: transfer.from },
          UpdateExpression: 'ADD balance :m',
          ConditionExpression: 'balance >= :a',
          ExpressionAttributeValues: { ':m': -transfer.amount, ':a': transfer.amount },
        },
      },
      {
        Update: {
          TableName: 'accounts',
          Key: { id: transfer.to },
          UpdateExpression: 'ADD balance :a',
          ExpressionAttributeValues: { ':a': transfer.amount },
        },
      },
    );
    return { ok: true };
  },
  { store, key: 'transferId' },
);
