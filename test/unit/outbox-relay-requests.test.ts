/**
 * The relay's requests to SNS and EventBridge (no local server for them here), through real SDK clients
 * whose request handler records each HTTP request and answers as scripted: shapes, batching, retries.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { eventBus, relayOutbox, snsTopic } from '../../lib/outbox';
import {
  formFields,
  putEventsResponse,
  scriptedHandler,
  snsError,
  snsPublishBatchResponse,
  type ScriptedResponse,
} from '../helpers/fake-aws';
import { message, outboxRecords } from '../helpers/outbox-records';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const FIFO_TOPIC = snsTopic('arn:aws:sns:us-east-1:123456789012:orders.fifo');
const TOPIC = snsTopic('arn:aws:sns:us-east-1:123456789012:orders');
const BUS = eventBus('orders-bus', { source: 'orders', detailType: 'OrderAccepted' });

/** A DynamoDB client that accepts every delete (BatchWriteItem), recording them. */
function fakeDynamo(): { client: DynamoDBClient; deletes: unknown[] } {
  const deletes: unknown[] = [];
  const { handler } = scriptedHandler((request) => {
    deletes.push(JSON.parse(request.body));
    return { status: 200, contentType: 'application/x-amz-json-1.0', body: JSON.stringify({ UnprocessedItems: {} }) };
  });
  return { client: new DynamoDBClient({ region: 'us-east-1', credentials, requestHandler: handler as never }), deletes };
}

function sns(answer: (fields: Record<string, string>, index: number) => ScriptedResponse): {
  client: SNSClient;
  requests: Record<string, string>[];
} {
  const fields: Record<string, string>[] = [];
  const { handler } = scriptedHandler((request, index) => {
    fields.push(formFields(request.body));
    return answer(formFields(request.body), index);
  });
  return { client: new SNSClient({ region: 'us-east-1', credentials, requestHandler: handler as never }), requests: fields };
}

/** The entry ids of a PublishBatch request. */
function entryIds(fields: Record<string, string>): string[] {
  return Object.keys(fields)
    .filter((name) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(name))
    .map((name) => fields[name] as string);
}

describe('relayOutbox to SNS', () => {
  it('publishes 23 messages of a FIFO topic in batches of 10, 10 and 3, each with its id as deduplication id and attribute', async () => {
    const messages = Array.from({ length: 23 }, (_, i) => message(FIFO_TOPIC, { n: i }, `id-${i}`, { groupId: 'g' }));
    const topic = sns((fields) => snsPublishBatchResponse(entryIds(fields)));
    const dynamo = fakeDynamo();

    const response = await relayOutbox(
      { Records: outboxRecords(messages) },
      { clients: { sns: topic.client, dynamodb: dynamo.client }, logger: quiet },
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(topic.requests.map((r) => entryIds(r).length)).toEqual([10, 10, 3]);
    const first = topic.requests[0] as Record<string, string>;
    expect(first).toMatchObject({
      Action: 'PublishBatch',
      TopicArn: FIFO_TOPIC.topicArn,
      'PublishBatchRequestEntries.member.1.Message': '{"n":0}',
      'PublishBatchRequestEntries.member.1.MessageGroupId': 'g',
      'PublishBatchRequestEntries.member.1.MessageDeduplicationId': 'id-0',
      'PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name': 'outbox-message-id',
      'PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType': 'String',
      'PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue': 'id-0',
    });
    expect(dynamo.deletes).toHaveLength(1);
  });

  it('sends no deduplication id to a standard topic', async () => {
    const topic = sns((fields) => snsPublishBatchResponse(entryIds(fields)));
    await relayOutbox(
      { Records: outboxRecords([message(TOPIC, 'hello', 'id-1')]) },
      { clients: { sns: topic.client, dynamodb: fakeDynamo().client }, logger: quiet },
    );
    expect(Object.keys(topic.requests[0] as object).some((name) => name.endsWith('MessageDeduplicationId'))).toBe(false);
  });

  it('sends again only the entries a batch answer reports failed inside SNS, until they are taken', async () => {
    const messages = [0, 1, 2].map((i) => message(TOPIC, `m${i}`, `id-${i}`));
    const topic = sns((fields, index) =>
      index === 0
        ? snsPublishBatchResponse(['0', '2'], [{ id: '1', code: 'InternalError', senderFault: false }])
        : snsPublishBatchResponse(entryIds(fields)),
    );
    const response = await relayOutbox(
      { Records: outboxRecords(messages) },
      { clients: { sns: topic.client, dynamodb: fakeDynamo().client }, logger: quiet },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(topic.requests).toHaveLength(2);
    expect((topic.requests[1] as Record<string, string>)['PublishBatchRequestEntries.member.1.Message']).toBe('m1');
    expect(entryIds(topic.requests[1] as Record<string, string>)).toHaveLength(1);
  });

  it('retries a throttled request (the SDK retries it, then the relay), and reports the record when SNS keeps refusing', async () => {
    const records = outboxRecords([message(TOPIC, 'm', 'id-1')]);
    const throttled = sns(() => snsError(400, 'Throttling'));
    const dynamo = fakeDynamo();
    const response = await relayOutbox(
      { Records: records },
      { clients: { sns: throttled.client, dynamodb: dynamo.client }, logger: quiet, maxAttempts: 2 },
    );
    // The SDK's 3 attempts per request, twice.
    expect(throttled.requests).toHaveLength(6);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
    expect(dynamo.deletes).toEqual([]);
  });

  it('reports at once a record whose entry SNS refuses for good (a sender fault), and keeps its item', async () => {
    const records = outboxRecords([message(TOPIC, 'm', 'id-1')]);
    const topic = sns(() => snsPublishBatchResponse([], [{ id: '0', code: 'InvalidParameter', senderFault: true }]));
    const errors: string[] = [];
    const response = await relayOutbox(
      { Records: records },
      { clients: { sns: topic.client, dynamodb: fakeDynamo().client }, logger: { ...quiet, error: (m: string) => errors.push(m) } },
    );
    expect(topic.requests).toHaveLength(1);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(errors[0]).toMatch(/Outbox message id-1 .* was not published \(InvalidParameter: scripted\)/);
  });
});

describe('relayOutbox to EventBridge', () => {
  function bus(answer: (entries: { Detail: string }[], index: number) => ScriptedResponse): {
    client: EventBridgeClient;
    requests: { Entries: { Detail: string; Source: string; DetailType: string; EventBusName: string }[] }[];
  } {
    const requests: { Entries: { Detail: string; Source: string; DetailType: string; EventBusName: string }[] }[] = [];
    const { handler } = scriptedHandler((request, index) => {
      const body = JSON.parse(request.body) as (typeof requests)[number];
      requests.push(body);
      return answer(body.Entries, index);
    });
    return { client: new EventBridgeClient({ region: 'us-east-1', credentials, requestHandler: handler as never }), requests };
  }

  it('puts 12 events in requests of 10 and 2, each with source, detail-type, bus and detail.outboxMessageId', async () => {
    const messages = Array.from({ length: 12 }, (_, i) => message(BUS, { orderId: `o${i}` }, `id-${i}`));
    const events = bus((entries) => putEventsResponse(entries.map(() => ({ ok: true }))));
    const response = await relayOutbox(
      { Records: outboxRecords(messages) },
      { clients: { eventBridge: events.client, dynamodb: fakeDynamo().client }, logger: quiet },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(events.requests.map((r) => r.Entries.length)).toEqual([10, 2]);
    expect(events.requests[0]?.Entries[0]).toEqual({
      EventBusName: 'orders-bus',
      Source: 'orders',
      DetailType: 'OrderAccepted',
      Detail: JSON.stringify({ orderId: 'o0', outboxMessageId: 'id-0' }),
    });
  });

  it('sends again the entries PutEvents reports throttled, and only them', async () => {
    const messages = [0, 1, 2].map((i) => message(BUS, { i }, `id-${i}`));
    const events = bus((entries, index) =>
      putEventsResponse(entries.map((_e, i) => (index === 0 && i === 1 ? { error: 'ThrottlingException' } : { ok: true }))),
    );
    const response = await relayOutbox(
      { Records: outboxRecords(messages) },
      { clients: { eventBridge: events.client, dynamodb: fakeDynamo().client }, logger: quiet },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(events.requests.map((r) => r.Entries.map((e) => (JSON.parse(e.Detail) as { i: number }).i))).toEqual([[0, 1, 2], [1]]);
  });
});

describe('relayOutbox input', () => {
  it('ignores stream records that are not outbox items (idempotency records), sending nothing', async () => {
    const topic = sns(() => snsPublishBatchResponse([]));
    const record = {
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:1:table/t/stream/x',
      dynamodb: { SequenceNumber: '1', NewImage: { id: { S: 'k' }, status: { S: 'COMPLETED' } } },
    };
    const response = await relayOutbox({ Records: [record] }, { clients: { sns: topic.client }, logger: quiet });
    expect(response.batchItemFailures).toEqual([]);
    expect(topic.requests).toEqual([]);
  });

  it('reports a record whose outbox item cannot be read, and logs why', async () => {
    const errors: string[] = [];
    const record = { dynamodb: { SequenceNumber: '7', NewImage: { id: { S: 'outbox#x' }, outbox: { S: 'not json' } } } };
    const response = await relayOutbox({ Records: [record] }, { logger: { ...quiet, error: (m: string) => errors.push(m) } });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
    expect(errors[0]).toMatch(/cannot be read \(the outbox attribute is not JSON/);
  });

  it('refuses an unknown option with IdempotencyConfigError naming it', async () => {
    await expect(relayOutbox({ Records: [] }, { client: {} } as never)).rejects.toThrow(
      'Unknown option `client` of relayOutbox: did you mean `clients`? (known options: clients, logger, maxAttempts)',
    );
  });
});
