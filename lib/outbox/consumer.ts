/** The consumer's side: the id a relayed message carries, wherever it arrives. */
import { OUTBOX_MESSAGE_ID_ATTRIBUTE } from './message';

/**
 * A key selector for consumers of relayed messages: the message's outbox id. Use it as the `key` of
 * `processSqsBatch` (or of `makeIdempotent` for EventBridge events), so every repeat of a message the relay
 * sends more than once is dropped:
 * - an SQS record: its `outbox-message-id` message attribute; from an SNS subscription without raw delivery,
 *   the attribute inside the SNS envelope in the body; from an EventBridge rule, the body's
 *   `detail.outboxMessageId`;
 * - an EventBridge event: `detail.outboxMessageId`.
 *
 * @returns the id, or `undefined` when the input carries none (the idempotency key is then missing, which
 *   the consumer's `onMissingKey` handles)
 */
export function outboxMessageId(record: unknown): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const r = record as {
    messageAttributes?: Record<string, { stringValue?: unknown } | undefined>;
    body?: unknown;
    detail?: { outboxMessageId?: unknown };
  };
  const attribute = r.messageAttributes?.[OUTBOX_MESSAGE_ID_ATTRIBUTE]?.stringValue;
  if (typeof attribute === 'string') return attribute;
  if (typeof r.detail?.outboxMessageId === 'string') return r.detail.outboxMessageId;
  if (typeof r.body !== 'string') return undefined;
  let body: { MessageAttributes?: Record<string, { Value?: unknown } | undefined>; detail?: { outboxMessageId?: unknown } };
  try {
    body = JSON.parse(r.body) as typeof body;
  } catch {
    return undefined;
  }
  const fromSns = body?.MessageAttributes?.[OUTBOX_MESSAGE_ID_ATTRIBUTE]?.Value;
  if (typeof fromSns === 'string') return fromSns;
  return typeof body?.detail?.outboxMessageId === 'string' ? body.detail.outboxMessageId : undefined;
}
