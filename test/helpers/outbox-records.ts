/** Stream records of outbox items, as Lambda delivers them from the idempotency table's stream. */
import { marshall } from '@aws-sdk/util-dynamodb';
import { outboxItems } from '../../lib/outbox/items';
import { stageMessage, type OutboxMessage, type PublishOptions } from '../../lib/outbox/message';
import type { OutboxTarget } from '../../lib/outbox/targets';
import type { DynamoDBStreamRecord } from '../../lib/streams/types';

export const TABLE_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/idempotency/stream/2026-12-06T00:00:00.000';

let sequence = 100;

/** A staged message with id `id`. */
export function message(target: OutboxTarget, body: unknown, id: string, options: PublishOptions = {}): OutboxMessage {
  return stageMessage(target, body, options, id, 'k');
}

/** The INSERT records of the outbox items of one execution's messages. */
export function outboxRecords(messages: readonly OutboxMessage[], key = 'order-1'): DynamoDBStreamRecord[] {
  return outboxItems('id', key, `token-${sequence}`, messages, Date.now()).map((item) => {
    sequence += 1;
    return {
      eventID: `event-${sequence}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'us-east-1',
      eventSourceARN: TABLE_STREAM_ARN,
      dynamodb: {
        Keys: marshall({ id: item['id'] }) as never,
        NewImage: marshall(item) as never,
        SequenceNumber: String(sequence).padStart(21, '0'),
        StreamViewType: 'NEW_IMAGE',
      },
    };
  });
}
