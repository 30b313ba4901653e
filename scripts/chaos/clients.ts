import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Where a local server listens. */
export interface Endpoint {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
}

const REGION = 'us-east-1';
const credentials = (): { accessKeyId: string; secretAccessKey: string } => ({ accessKeyId: 'local', secretAccessKey: 'local' });

/** A new DynamoDB client for DynamoDB Local (destroy it when done). */
export function localDynamoClient(server: Endpoint, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ region: REGION, credentials: credentials(), endpoint: server.endpoint, ...config });
}

/** A new SQS client for fauxqs (destroy it when done). */
export function localSqsClient(server: Endpoint): SQSClient {
  return new SQSClient({ region: REGION, credentials: credentials(), endpoint: server.endpoint });
}
