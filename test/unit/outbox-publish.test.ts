/** publish(): what each target takes, refused at call time with OutboxMessageError; where publish works. */
import { InMemoryStore, makeIdempotent } from '../../lib';
import { IdempotencyConfigError, IdempotencyContextError } from '../../lib/errors';
import { eventBus, outboxMessageId, OutboxMessageError, publish, snsTopic, sqsQueue } from '../../lib/outbox';
import { defaultMessageId, stageMessage } from '../../lib/outbox/message';

const QUEUE = sqsQueue('https://sqs.us-east-1.amazonaws.com/123456789012/orders');
const FIFO = sqsQueue('https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo');
const TOPIC = snsTopic('arn:aws:sns:us-east-1:123456789012:orders');
const BUS = eventBus('default', { source: 'orders', detailType: 'OrderAccepted' });

function refusal(run: () => unknown): OutboxMessageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OutboxMessageError);
    return error as OutboxMessageError;
  }
  throw new Error('expected OutboxMessageError');
}

describe('staging a message', () => {
  it('keeps a string body as it is and serialises other values as JSON', () => {
    expect(stageMessage(QUEUE, 'plain', {}, 'id', 'k').body).toBe('plain');
    expect(stageMessage(QUEUE, { a: 1 }, {}, 'id', 'k').body).toBe('{"a":1}');
  });

  it('puts the id into an event detail as outboxMessageId', () => {
    expect(JSON.parse(stageMessage(BUS, { orderId: 'o1' }, {}, 'id-7', 'k').body)).toEqual({ orderId: 'o1', outboxMessageId: 'id-7' });
  });

  it('derives the default id from the key and the position, the same on every attempt', () => {
    expect(defaultMessageId('k', 0)).toBe(defaultMessageId('k', 0));
    expect(defaultMessageId('k', 0)).not.toBe(defaultMessageId('k', 1));
    expect(defaultMessageId('k', 0)).not.toBe(defaultMessageId('k2', 0));
    expect(defaultMessageId('k', 0)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a message to a FIFO queue without groupId', () => {
    const error = refusal(() => stageMessage(FIFO, 'm', {}, 'id', 'k'));
    expect(error.problem).toBe('group');
    expect(error.message).toBe(`publish() to ${FIFO.queueUrl}: a FIFO queue needs \`groupId\`; nothing was staged`);
  });

  it('refuses delaySeconds on a FIFO queue, a topic and a bus, and outside 0 to 900', () => {
    expect(refusal(() => stageMessage(FIFO, 'm', { groupId: 'g', delaySeconds: 5 }, 'id', 'k')).problem).toBe('delay');
    expect(refusal(() => stageMessage(TOPIC, 'm', { delaySeconds: 5 }, 'id', 'k')).problem).toBe('delay');
    expect(refusal(() => stageMessage(BUS, {}, { delaySeconds: 5 }, 'id', 'k')).problem).toBe('delay');
    expect(refusal(() => stageMessage(QUEUE, 'm', { delaySeconds: 901 }, 'id', 'k')).message).toMatch(
      /expected `delaySeconds` to be a whole number from 0 to 900, got 901/,
    );
    expect(stageMessage(QUEUE, 'm', { delaySeconds: 900 }, 'id', 'k').delaySeconds).toBe(900);
  });

  it('refuses a body above 256 KB, counting the attributes and the id attribute', () => {
    const body = 'x'.repeat(262_144 - 'outbox-message-id'.length - 'String'.length - 'id'.length);
    expect(stageMessage(QUEUE, body, {}, 'id', 'k').body).toBe(body);
    const error = refusal(() => stageMessage(QUEUE, `${body}y`, {}, 'id', 'k'));
    expect(error.problem).toBe('size');
    expect(error.message).toMatch(/the message is 262145 bytes \(body and attributes\), above the 262144 SQS takes/);
  });

  it('refuses an event entry above 256 KB', () => {
    expect(refusal(() => stageMessage(BUS, { big: 'x'.repeat(262_144) }, {}, 'id', 'k')).problem).toBe('size');
  });

  it('refuses a tenth attribute (the id is the tenth), reserved and invalid names, and empty values', () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, i]));
    expect(Object.keys(stageMessage(QUEUE, 'm', { attributes: nine }, 'id', 'k').attributes ?? {})).toHaveLength(9);
    expect(refusal(() => stageMessage(QUEUE, 'm', { attributes: { ...nine, a9: 'x' } }, 'id', 'k')).message).toMatch(
      /10 attributes, above the 9/,
    );
    expect(refusal(() => stageMessage(QUEUE, 'm', { attributes: { 'AWS.trace': 'x' } }, 'id', 'k')).problem).toBe('attributes');
    expect(refusal(() => stageMessage(QUEUE, 'm', { attributes: { 'outbox-message-id': 'x' } }, 'id', 'k')).problem).toBe('attributes');
    expect(refusal(() => stageMessage(QUEUE, 'm', { attributes: { a: '' } }, 'id', 'k')).problem).toBe('attributes');
    expect(refusal(() => stageMessage(BUS, {}, { attributes: { a: 'x' } }, 'id', 'k')).problem).toBe('attributes');
  });

  it('refuses an event detail that is not a JSON object, an empty body and characters SQS refuses', () => {
    expect(refusal(() => stageMessage(BUS, 'text', {}, 'id', 'k')).problem).toBe('body');
    expect(refusal(() => stageMessage(BUS, [1], {}, 'id', 'k')).problem).toBe('body');
    expect(refusal(() => stageMessage(QUEUE, '', {}, 'id', 'k')).problem).toBe('body');
    expect(refusal(() => stageMessage(QUEUE, 'a\u0000b', {}, 'id', 'k')).problem).toBe('body');
    expect(stageMessage(QUEUE, 'emoji 🎉', {}, 'id', 'k').body).toBe('emoji 🎉');
  });

  it('refuses an id or groupId that SQS would not take, and unknown options', () => {
    expect(refusal(() => stageMessage(QUEUE, 'm', { id: 'x'.repeat(129) }, 'id', 'k')).problem).toBe('id');
    expect(refusal(() => stageMessage(QUEUE, 'm', { id: 'a b' }, 'id', 'k')).problem).toBe('id');
    expect(refusal(() => stageMessage(FIFO, 'm', { groupId: '' }, 'id', 'k')).problem).toBe('group');
    expect(refusal(() => stageMessage(QUEUE, 'm', { group: 'g' } as never, 'id', 'k')).message).toMatch(/unknown option `group`/);
  });
});

describe('targets', () => {
  it('tells FIFO queues and topics by their .fifo suffix', () => {
    expect(FIFO.fifo).toBe(true);
    expect(QUEUE.fifo).toBe(false);
    expect(snsTopic('arn:aws:sns:us-east-1:123456789012:t.fifo').fifo).toBe(true);
  });

  it('refuses what is not a queue URL, a topic ARN or a bus with its source and detail type', () => {
    expect(() => sqsQueue('orders')).toThrow(
      new IdempotencyConfigError('Expected `queueUrl` of sqsQueue to be an SQS queue URL (https://HOST/ACCOUNT/NAME), got "orders"'),
    );
    expect(() => snsTopic('orders')).toThrow(IdempotencyConfigError);
    expect(() => eventBus('default', { source: '', detailType: 'x' })).toThrow(
      'Expected `source` of eventBus to be a string of 1 to 256 characters, got ""',
    );
  });
});

describe('publish()', () => {
  it('refuses outside an idempotent execution', () => {
    expect(() => publish(QUEUE, 'm')).toThrow(IdempotencyContextError);
  });

  it('refuses with IdempotencyConfigError on a store that cannot commit messages with the completion (InMemoryStore)', async () => {
    const handler = makeIdempotent(async (_event: { id: string }) => publish(QUEUE, 'm'), {
      store: new InMemoryStore(),
      key: 'id',
      name: 'p',
    });
    await expect(handler({ id: '1' })).rejects.toThrow(
      new IdempotencyConfigError(
        'publish() needs a store that commits messages with the completion (DynamoDBStore does); InMemoryStore cannot, so nothing was staged',
      ),
    );
  });
});

describe('outboxMessageId', () => {
  it('reads the id from an SQS record attribute, an SNS envelope, an EventBridge body or event', () => {
    expect(outboxMessageId({ messageAttributes: { 'outbox-message-id': { stringValue: 'a', dataType: 'String' } }, body: '{}' })).toBe('a');
    expect(
      outboxMessageId({
        messageAttributes: {},
        body: JSON.stringify({ Type: 'Notification', MessageAttributes: { 'outbox-message-id': { Type: 'String', Value: 'b' } } }),
      }),
    ).toBe('b');
    expect(outboxMessageId({ messageAttributes: {}, body: JSON.stringify({ 'detail-type': 'X', detail: { outboxMessageId: 'c' } }) })).toBe(
      'c',
    );
    expect(outboxMessageId({ detail: { outboxMessageId: 'd' } })).toBe('d');
    expect(outboxMessageId({ messageAttributes: {}, body: 'not json' })).toBeUndefined();
  });
});
