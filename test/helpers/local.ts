/**
 * Clients and fixtures for the local servers jest's globalSetup started (test/global-setup.ts).
 * Every test builds its clients here, from `EO_DYNAMODB_ENDPOINT` / `EO_SQS_ENDPOINT`.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { createIdempotencyTable } from '../../lib/testing';

const REGION = 'us-east-1';
/** A new object per client: the SDK writes bookkeeping fields onto the credentials it is given. */
const credentials = (): { accessKeyId: string; secretAccessKey: string } => ({ accessKeyId: 'local', secretAccessKey: 'local' });

function endpoint(variable: 'EO_DYNAMODB_ENDPOINT' | 'EO_SQS_ENDPOINT'): string {
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new Error(`${variable} is not set: run the tests through jest (its globalSetup starts the local servers)`);
  }
  return value;
}

let sharedDynamo: DynamoDBClient | undefined;
let sharedSqs: SQSClient | undefined;

/** A DynamoDB client for the local DynamoDB (one per test file; do not destroy it). */
export function dynamoClient(): DynamoDBClient {
  sharedDynamo ??= new DynamoDBClient({ region: REGION, credentials: credentials(), endpoint: endpoint('EO_DYNAMODB_ENDPOINT') });
  return sharedDynamo;
}

/**
 * A new DynamoDB client for the local DynamoDB, not shared: for tests that change its middleware stack
 * (e.g. `withFaults`) or its config (e.g. `maxAttempts`). Destroy it when done.
 */
export function newDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: REGION,
    credentials: credentials(),
    endpoint: endpoint('EO_DYNAMODB_ENDPOINT'),
    ...config,
  });
}

/** A new SQS client for the local fauxqs, not shared (see {@link newDynamoClient}). Destroy it when done. */
export function newSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ region: REGION, credentials: credentials(), endpoint: endpoint('EO_SQS_ENDPOINT'), ...config });
}

/** An SQS client for the local fauxqs (one per test file; do not destroy it). */
export function sqsClient(): SQSClient {
  sharedSqs ??= new SQSClient({ region: REGION, credentials: credentials(), endpoint: endpoint('EO_SQS_ENDPOINT') });
  return sharedSqs;
}

function uniqueSuffix(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12);
}

/**
 * Creates a uniquely named idempotency table (partition key `id` S, TTL on `expiration`) in the local
 * DynamoDB and returns its name.
 */
export async function createTestTable(prefix = 'idem'): Promise<string> {
  return createIdempotencyTable(dynamoClient(), `${prefix}-${uniqueSuffix()}`);
}

/** Options of {@link createTestQueue}. */
export interface TestQueueOptions {
  /** Create a FIFO queue (the name gets the `.fifo` suffix). @default false */
  readonly fifo?: boolean;
  /** Queue visibility timeout in seconds. @default 30 (the SQS default) */
  readonly visibilityTimeout?: number;
  /** FIFO only: content-based deduplication. @default false */
  readonly contentBasedDeduplication?: boolean;
}

/** Creates a uniquely named queue in the local fauxqs; returns its URL and ARN. */
export async function createTestQueue(name: string, options: TestQueueOptions = {}): Promise<{ queueUrl: string; queueArn: string }> {
  const client = sqsClient();
  const queueName = `${name}-${uniqueSuffix()}${options.fifo ? '.fifo' : ''}`;
  const attributes: Record<string, string> = {};
  if (options.fifo) attributes.FifoQueue = 'true';
  if (options.contentBasedDeduplication) attributes.ContentBasedDeduplication = 'true';
  if (options.visibilityTimeout !== undefined) attributes.VisibilityTimeout = String(options.visibilityTimeout);
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  if (QueueUrl === undefined) throw new Error(`CreateQueue returned no URL for ${queueName}`);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (queueArn === undefined) throw new Error(`GetQueueAttributes returned no QueueArn for ${queueName}`);
  return { queueUrl: QueueUrl, queueArn };
}
