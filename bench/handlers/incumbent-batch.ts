/**
 * Footprint probe: the same SQS consumer written with Powertools, as its docs show ("Idempotency with
 * batch processing").
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

const processor = new BatchProcessor(EventType.SQS);
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env['IDEMPOTENCY_TABLE_NAME'] ?? 'idempotency' });
const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'messageId' });

const processIdempotently = makeIdempotent(async (record: SQSRecord) => ({ accepted: JSON.parse(record.body) as unknown }), {
  persistenceStore,
  config: idempotencyConfig,
});

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  idempotencyConfig.registerLambdaContext(context);
  return processPartialResponse(event, processIdempotently, processor, { context });
};
