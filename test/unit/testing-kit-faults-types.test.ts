import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { withFaults } from '../../lib/testing';

describe('withFaults accepts every AWS SDK v3 client type', () => {
  it.each([
    ['DynamoDBClient', () => new DynamoDBClient({ region: 'us-east-1' })],
    ['DynamoDBDocumentClient', () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }))],
    ['SQSClient', () => new SQSClient({ region: 'us-east-1' })],
  ])('%s', (_name, make) => {
    const client = make();
    const injector = withFaults(client, { seed: 1 });

    expect(injector.injected()).toEqual({ requests: 0, throttled: 0, lostResponses: 0, delayed: 0 });
    injector.remove();
    client.destroy();
  });
});
