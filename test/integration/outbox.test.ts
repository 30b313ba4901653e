/**
 * The outbox on DynamoDB Local and fauxqs: a message is committed with the completion and only with it, the
 * local relay (the table's stream) publishes it with its id and deletes its item, and republishOutbox
 * recovers items the relay did not publish.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { commitWith, DynamoDBStore, makeIdempotent, step } from '../../lib';
import { IdempotencyCommitConditionError, IdempotencyContextError } from '../../lib/errors';
import { OUTBOX_ATTRIBUTE, OUTBOX_MESSAGE_ID_ATTRIBUTE, publish, republishOutbox, sqsQueue } from '../../lib/outbox';
import { startLocalOutboxRelay, type LocalOutboxRelay } from '../../lib/testing';
import { createTestQueue, createTestTable, dynamoClient, sqsClient } from '../helpers/local';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function outboxItemsIn(tableName: string): Promise<number> {
  const { Items } = await dynamoClient().send(
    new ScanCommand({
      TableName: tableName,
      ConsistentRead: true,
      FilterExpression: 'attribute_exists(#o)',
      ExpressionAttributeNames: { '#o': OUTBOX_ATTRIBUTE },
    }),
  );
  return Items?.length ?? 0;
}

async function receiveAll(queueUrl: string, expected: number, timeoutMs = 10_000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < expected && Date.now() < deadline) {
    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    messages.push(...(Messages ?? []));
  }
  return messages;
}

describe('outbox on DynamoDB Local and fauxqs', () => {
  let tableName: string;
  let queueUrl: string;
  let relay: LocalOutboxRelay | undefined;

  beforeEach(async () => {
    tableName = await createTestTable('outbox');
    ({ queueUrl } = await createTestQueue('outbox'));
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  function orderHandler(work: (event: { orderId: string }) => Promise<void> | void = () => undefined) {
    const store = new DynamoDBStore({ client: dynamoClient(), tableName });
    return makeIdempotent(
      async (event: { orderId: string }) => {
        const id = publish(sqsQueue(queueUrl), { type: 'OrderAccepted', orderId: event.orderId }, { attributes: { kind: 'order' } });
        await work(event);
        return { id };
      },
      { store, key: 'orderId', name: 'orders' },
    );
  }

  it('publishes a completed execution’s message once, with its id attribute, and deletes its outbox item', async () => {
    relay = await startLocalOutboxRelay({ client: dynamoClient(), tableName, clients: { sqs: sqsClient() }, logger: quiet });
    const handler = orderHandler();
    const { id } = await handler({ orderId: 'o-1' });
    await handler({ orderId: 'o-1' }); // a replay stages nothing
    await relay.idle();

    const messages = await receiveAll(queueUrl, 1, 3_000);
    expect(messages.map((m) => JSON.parse(m.Body ?? '') as unknown)).toEqual([{ type: 'OrderAccepted', orderId: 'o-1' }]);
    expect(messages[0]?.MessageAttributes?.[OUTBOX_MESSAGE_ID_ATTRIBUTE]?.StringValue).toBe(id);
    expect(messages[0]?.MessageAttributes?.['kind']?.StringValue).toBe('order');
    // The relay deletes the item after the send: when the stream record came after the first idle(), the
    // batch that sent the message may still be running. Once idle again, no batch runs.
    await relay.idle();
    expect(await outboxItemsIn(tableName)).toBe(0);
  });

  it('commits no message for an execution that throws after publish', async () => {
    const handler = orderHandler(() => {
      throw new Error('payment declined');
    });
    await expect(handler({ orderId: 'o-2' })).rejects.toThrow('payment declined');
    expect(await outboxItemsIn(tableName)).toBe(0);
  });

  it('commits no message when a commitWith condition refuses the completion', async () => {
    const handler = orderHandler(() =>
      commitWith({ ConditionCheck: { TableName: tableName, Key: { id: 'no-such-item' }, ConditionExpression: 'attribute_exists(id)' } }),
    );
    await expect(handler({ orderId: 'o-3' })).rejects.toThrow(IdempotencyCommitConditionError);
    expect(await outboxItemsIn(tableName)).toBe(0);
  });

  it('keeps the message in the table until published: republishOutbox sends it and deletes the item', async () => {
    const handler = orderHandler();
    const { id } = await handler({ orderId: 'o-4' });
    expect(await outboxItemsIn(tableName)).toBe(1);

    const report = await republishOutbox({ tableName, clients: { sqs: sqsClient(), dynamodb: dynamoClient() }, logger: quiet });

    expect(report).toEqual({ items: 1, published: 1, failed: 0 });
    const messages = await receiveAll(queueUrl, 1, 3_000);
    expect(messages.map((m) => m.MessageAttributes?.[OUTBOX_MESSAGE_ID_ATTRIBUTE]?.StringValue)).toEqual([id]);
    expect(await outboxItemsIn(tableName)).toBe(0);
  });

  it('refuses publish inside a step (a replayed step would not stage it again), and commits nothing', async () => {
    const store = new DynamoDBStore({ client: dynamoClient(), tableName });
    const handler = makeIdempotent(
      async (_event: { orderId: string }) => {
        await step('charge', () => publish(sqsQueue(queueUrl), 'm'));
      },
      { store, key: 'orderId', name: 'steps' },
    );
    await expect(handler({ orderId: 'o-5' })).rejects.toThrow(
      new IdempotencyContextError(
        'publish() was called inside step("charge"): a step replayed from its checkpoint does not run again, so its message would not be committed on that attempt; call publish() outside the step, with the step\'s result',
      ),
    );
    expect(await outboxItemsIn(tableName)).toBe(0);
  });

  it("stages a message after a step, with the step's result", async () => {
    const store = new DynamoDBStore({ client: dynamoClient(), tableName });
    const handler = makeIdempotent(
      async (_event: { orderId: string }) => {
        const charge = await step('charge', () => 'ch_1');
        return publish(sqsQueue(queueUrl), { charge });
      },
      { store, key: 'orderId', name: 'steps' },
    );
    await handler({ orderId: 'o-6' });
    expect(await outboxItemsIn(tableName)).toBe(1);
  });
});
