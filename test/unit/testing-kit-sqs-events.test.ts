import { createHash } from 'node:crypto';
import {
  EXAMPLE_FIFO_QUEUE_ARN,
  EXAMPLE_QUEUE_ARN,
  fifoRecord,
  lambdaContext,
  messageAttribute,
  sqsEvent,
  sqsRecord,
} from '../helpers/sqs-events';

describe('sqsRecord', () => {
  it('has every field of a record Lambda delivers from a standard queue', () => {
    const record = sqsRecord({ body: 'hello' });

    expect(record).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      receiptHandle: expect.stringMatching(/^AQEB/),
      body: 'hello',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update('hello').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: EXAMPLE_QUEUE_ARN,
      awsRegion: 'us-east-2',
    });
  });

  it('gives each record its own messageId and receiptHandle', () => {
    const [a, b] = [sqsRecord(), sqsRecord()];

    expect(a.messageId).not.toBe(b.messageId);
    expect(a.receiptHandle).not.toBe(b.receiptHandle);
  });

  it('merges attribute overrides into the default attributes', () => {
    const record = sqsRecord({ attributes: { ApproximateReceiveCount: '3' } });

    expect(record.attributes.ApproximateReceiveCount).toBe('3');
    expect(record.attributes.SenderId).toBeDefined();
  });
});

describe('fifoRecord', () => {
  it('carries the group, deduplication id and sequence number, from a .fifo queue', () => {
    const record = fifoRecord('group-a', 'dedup-1', 7, 'first');

    expect(record.body).toBe('first');
    expect(record.eventSourceARN).toBe(EXAMPLE_FIFO_QUEUE_ARN);
    expect(record.attributes).toMatchObject({
      MessageGroupId: 'group-a',
      MessageDeduplicationId: 'dedup-1',
      SequenceNumber: '7',
    });
  });
});

describe('sqsEvent', () => {
  it('wraps the records in `Records`, in order', () => {
    const records = [sqsRecord({ body: '1' }), sqsRecord({ body: '2' })];

    expect(sqsEvent(records)).toEqual({ Records: records });
  });
});

describe('messageAttribute', () => {
  it('builds a string attribute in Lambda’s shape', () => {
    expect(messageAttribute('String', 'v')).toEqual({
      stringValue: 'v',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    });
  });

  it('builds a binary attribute as base64', () => {
    expect(messageAttribute('Binary', Buffer.from('hi'))).toEqual({
      binaryValue: 'aGk=',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'Binary',
    });
  });
});

describe('lambdaContext', () => {
  it('counts the remaining time down from the timeout', () => {
    let now = 1_000;
    const context = lambdaContext({ timeoutMs: 500, now: () => now });

    expect(context.getRemainingTimeInMillis()).toBe(500);
    now += 200;
    expect(context.getRemainingTimeInMillis()).toBe(300);
    now += 1_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('describes the function like the Lambda runtime does', () => {
    const context = lambdaContext({ functionName: 'orders', region: 'eu-west-1', accountId: '111122223333' });

    expect(context).toMatchObject({
      functionName: 'orders',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:orders',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/orders',
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});
