// docs/examples/sqs-visibility.ts
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBStore } from 'effectively-once';
import type { SqsBatchOptions } from 'effectively-once/sqs';

interface Report {
  reportId: string;
}

const store = new DynamoDBStore();

const sqs = new SQSClient({});
export const options: SqsBatchOptions<Report> = {
  store,
  key: (_r, { body }) => body.reportId,
  leaseSeconds: 120, // renewed too while the handler runs
  visibility: { client: sqs, extendBySeconds: 60, extendWhenRemainingSeconds: 20 },
};
