import { interpretBatchResponse, queueArnFromUrl, toSqsRecord } from '../../lib/testing/sqs-records';
import { TestKitConfigError } from '../../lib/testing';

describe('queueArnFromUrl', () => {
  it('derives the ARN from an AWS queue URL', () => {
    expect(queueArnFromUrl('https://sqs.eu-west-1.amazonaws.com/111122223333/orders')).toEqual({
      arn: 'arn:aws:sqs:eu-west-1:111122223333:orders',
      region: 'eu-west-1',
    });
  });

  it('derives the ARN from a fauxqs queue URL', () => {
    expect(queueArnFromUrl('http://sqs.us-east-1.localhost:4566/000000000000/q.fifo').arn).toBe(
      'arn:aws:sqs:us-east-1:000000000000:q.fifo',
    );
  });

  it('prefers the region it is given', () => {
    expect(queueArnFromUrl('http://sqs.us-east-1.localhost:4566/000000000000/q', 'ap-south-1').region).toBe('ap-south-1');
  });

  it('falls back to us-east-1 when the host names no region', () => {
    expect(queueArnFromUrl('http://127.0.0.1:4566/000000000000/q').arn).toBe('arn:aws:sqs:us-east-1:000000000000:q');
  });

  it('rejects a URL without /ACCOUNT/NAME, naming it', () => {
    expect(() => queueArnFromUrl('not a url')).toThrow(new TestKitConfigError('Expected `queueUrl` to be a URL, got `not a url`'));
  });
});

describe('interpretBatchResponse (Lambda ReportBatchItemFailures rules)', () => {
  const ids = new Set(['m1', 'm2']);

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'done'],
    ['an object without batchItemFailures', { ok: true }],
    ['batchItemFailures: null', { batchItemFailures: null }],
    ['an empty batchItemFailures', { batchItemFailures: [] }],
  ])('treats %s as success of every record', (_name, result) => {
    expect(interpretBatchResponse(result, ids)).toEqual({ ok: true, failed: new Set() });
  });

  it('fails exactly the records named by itemIdentifier', () => {
    expect(interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ids)).toEqual({
      ok: true,
      failed: new Set(['m2']),
    });
  });

  it.each([
    ['an itemIdentifier not in the batch', { batchItemFailures: [{ itemIdentifier: 'other' }] }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['an entry without itemIdentifier', { batchItemFailures: [{ id: 'm1' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: 'm1' }],
  ])('fails the whole batch for %s', (_name, result) => {
    expect(interpretBatchResponse(result, ids)).toEqual({ ok: false });
  });
});

describe('toSqsRecord', () => {
  it('maps SDK message attributes to Lambda’s lower-camel-case shape', () => {
    const record = toSqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'rh',
        Body: 'b',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 's', ApproximateFirstReceiveTimestamp: '2' },
        MessageAttributes: {
          list: { DataType: 'String', StringListValues: ['a'] },
          bin: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
        },
      },
      'arn:aws:sqs:us-east-1:000000000000:q',
      'us-east-1',
    );

    expect(record.messageAttributes).toEqual({
      list: { stringListValues: ['a'], binaryListValues: [], dataType: 'String' },
      bin: { binaryValue: 'AQI=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
    });
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
  });
});
