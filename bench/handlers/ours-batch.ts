/** Footprint probe: an SQS consumer with idempotent records written with effectively-once. */
import type { Context, SQSEvent } from 'aws-lambda';
import { DynamoDBStore } from 'effectively-once';
import { processSqsBatch } from 'effectively-once/sqs';

const options = { store: new DynamoDBStore() };

export const handler = (event: SQSEvent, context: Context) =>
  processSqsBatch(event, async (_record, { body }) => ({ accepted: body }), { ...options, context });
