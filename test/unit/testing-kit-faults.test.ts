import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TestKitConfigError, withFaults } from '../../lib/testing';
import { mulberry32 } from '../../lib/testing/faults';

describe('withFaults accepts every AWS SDK v3 client type', () => {
  it.each([
    ['DynamoDBClient', () => new DynamoDBClient({ region: 'us-east-1' })],
    ['DynamoDBDocumentClient', () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }))],
    ['SQSClient', () => new SQSClient({ region: 'us-east-1' })],
  ])('%s', (_name, make) => {
    const client = make();
    const injector = withFaults(client, { seed: 1 });

    expect(injector.injected()).toEqual({ requests: 0, throttled: 0, lostResponses: 0, delayed: 0, slowAnswers: 0, outaged: 0 });
    injector.remove();
    client.destroy();
  });
});

describe('mulberry32', () => {
  it('returns the same sequence for the same seed', () => {
    const a = mulberry32(2024);
    const b = mulberry32(2024);

    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it('returns numbers in [0, 1)', () => {
    const random = mulberry32(1);
    const draws = Array.from({ length: 1000 }, random);

    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});

describe('withFaults: the client', () => {
  it('rejects something that is not an SDK client, naming it', () => {
    expect(() => withFaults({} as never, { seed: 1 })).toThrow(
      new TestKitConfigError('Expected `client` to be an AWS SDK v3 client, got an object ([object Object])'),
    );
  });
});
