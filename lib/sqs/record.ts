import type { SqsRecordInfo } from './options';
import type { SqsRecord, SqsRecordSource } from './types';

export function sqsRecordSource(record: SqsRecord): SqsRecordSource {
  const queueArn = record.eventSourceARN;
  const queueName = queueArn.slice(queueArn.lastIndexOf(':') + 1);
  return { queueArn, queueName, fifo: queueName.endsWith('.fifo') };
}

/** The handler's second argument for a record whose body parsed to `body`. */
export function sqsRecordInfo(record: SqsRecord, body: unknown): SqsRecordInfo<unknown> {
  const attempt = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
  return { body, messageId: record.messageId, attempt: Number.isFinite(attempt) ? attempt : 1 };
}
