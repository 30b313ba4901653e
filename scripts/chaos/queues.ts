/** The queues of a chaos run (fauxqs): create them, send the workload, see how many messages are left. */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutgoingMessage, QueueKind } from './workload';

/** Queue URLs of a run: the main queues and their DLQs. */
export interface Queues {
  readonly url: Record<QueueKind, string>;
  readonly dlq: Record<QueueKind, string>;
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (QueueUrl === undefined) throw new Error(`CreateQueue returned no URL for ${name}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`GetQueueAttributes returned no QueueArn for ${name}`);
  return { url: QueueUrl, arn };
}

/** A standard and a FIFO queue, each with its DLQ (redrive after `maxReceiveCount` receives). */
export async function createQueues(
  sqs: SQSClient,
  prefix: string,
  settings: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
): Promise<Queues> {
  const make = async (kind: QueueKind): Promise<{ url: string; dlq: string }> => {
    const suffix = kind === 'fifo' ? '.fifo' : '';
    const fifo: Record<string, string> = kind === 'fifo' ? { FifoQueue: 'true' } : {};
    const dlq = await createQueue(sqs, `${prefix}-${kind}-dlq${suffix}`, fifo);
    const main = await createQueue(sqs, `${prefix}-${kind}${suffix}`, {
      ...fifo,
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(settings.maxReceiveCount) }),
    });
    return { url: main.url, dlq: dlq.url };
  };
  const [standard, fifo] = await Promise.all([make('standard'), make('fifo')]);
  return { url: { standard: standard.url, fifo: fifo.url }, dlq: { standard: standard.dlq, fifo: fifo.dlq } };
}

/** Sends the messages in order, ten per batch, a few batches at a time. */
export async function send(sqs: SQSClient, queues: Queues, messages: readonly OutgoingMessage[]): Promise<void> {
  const batches: Array<{ queue: QueueKind; entries: OutgoingMessage[] }> = [];
  const open: Partial<Record<QueueKind, OutgoingMessage[]>> = {};
  for (const message of messages) {
    let batch = open[message.queue];
    if (batch === undefined || batch.length === 10) {
      batch = [];
      open[message.queue] = batch;
      batches.push({ queue: message.queue, entries: batch });
    }
    batch.push(message);
  }
  const sendBatch = async ({ queue, entries }: { queue: QueueKind; entries: OutgoingMessage[] }): Promise<void> => {
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.url[queue],
        Entries: entries.map((m, index) => ({
          Id: String(index),
          MessageBody: m.body,
          MessageAttributes: {
            'chaos-kind': { DataType: 'String', StringValue: m.kind },
            'chaos-id': { DataType: 'String', StringValue: m.id },
            'chaos-copy': { DataType: 'String', StringValue: String(m.copy) },
          },
          ...(queue === 'fifo' ? { MessageGroupId: m.groupId, MessageDeduplicationId: m.deduplicationId } : {}),
        })),
      }),
    );
    if ((response.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(response.Failed)}`);
  };
  // A few batches at a time, in order.
  for (let start = 0; start < batches.length; start += 4) {
    await Promise.all(batches.slice(start, start + 4).map(sendBatch));
  }
}

/** Messages on a queue: visible, in flight or delayed. */
export async function messagesLeft(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
