/**
 * `effectively-once/outbox`: a transactional outbox. `publish` stages a message inside an idempotent
 * execution; it is committed in the same DynamoDB transaction as the completion, and only with it.
 * `relayOutbox` (a Lambda handler on the idempotency table's stream) publishes it at least once with its id,
 * and consumers drop repeats by keying on `outboxMessageId`. See docs/outbox.md.
 * @packageDocumentation
 */
export { publish } from './publish';
export { sqsQueue, snsTopic, eventBus } from './targets';
export type { OutboxTarget, SqsQueueTarget, SnsTopicTarget, EventBusTarget, EventBusOptions } from './targets';
export { OUTBOX_MESSAGE_ID_ATTRIBUTE } from './message';
export type { PublishOptions, OutboxMessage, MessageAttribute } from './message';
export { outboxMessageId } from './consumer';
export { relayOutbox } from './relay';
export type { RelayOutboxOptions, RelayOutboxResponse, RelayClients } from './relay';
export type { OutboxClients } from './senders';
export { republishOutbox } from './republish';
export type { RepublishOutboxOptions, RepublishOutboxReport } from './republish';
export { OUTBOX_ATTRIBUTE } from './items';
export { OutboxMessageError, IdempotencyConfigError, IdempotencyContextError } from '../errors';
export type { OutboxMessageProblem } from '../errors';
