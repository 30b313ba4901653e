/** What `publish` does inside an execution: check the store, validate the message, keep it with the others. */
import { IdempotencyConfigError, OutboxMessageError } from '../errors';
import type { IdempotencyStore } from '../persistence/store';
import { packMessages } from './items';
import { defaultMessageId, stageMessage, type OutboxMessage, type PublishOptions } from './message';
import { isTarget, targetName, type OutboxTarget } from './targets';

/** Where staged messages are kept, and what else the completion's transaction holds. */
export interface MessageStage {
  readonly store: IdempotencyStore;
  /** The record key (ids derive from it); undefined when there is none (a disabled invocation without key). */
  readonly key: string | undefined;
  /** The messages staged so far (appended to). */
  readonly messages: OutboxMessage[];
  /** How many outbox items the transaction still has room for. */
  readonly roomForItems: number;
}

/**
 * Validates and stages one message; returns its id.
 * @throws IdempotencyConfigError when the store cannot commit messages, or the target was not made by
 *   sqsQueue, snsTopic or eventBus
 * @throws OutboxMessageError when the target cannot take the message, or there is no room left for it
 */
export function stagePublish(
  stage: MessageStage,
  target: OutboxTarget,
  message: unknown,
  options: PublishOptions | undefined,
  fallbackId: () => string,
): string {
  const { store, key, messages } = stage;
  if (store.supportsOutbox !== true) {
    throw new IdempotencyConfigError(
      `publish() needs a store that commits messages with the completion (DynamoDBStore does); ${store.constructor.name} cannot, so nothing was staged`,
      { key },
    );
  }
  if (!isTarget(target)) {
    throw new IdempotencyConfigError(`publish(): expected the target to be made by sqsQueue, snsTopic or eventBus, got ${String(target)}`, {
      key,
    });
  }
  const id = key === undefined ? fallbackId() : defaultMessageId(key, messages.length);
  const staged = stageMessage(target, message, options ?? {}, id, key);
  if (messages.some((other) => other.id === staged.id)) {
    throw new OutboxMessageError(
      `publish() to ${targetName(target)}: id ${JSON.stringify(staged.id)} was already used by a message of this execution; nothing was staged`,
      {
        problem: 'id',
        target: targetName(target),
        key,
      },
    );
  }
  const items = packMessages([...messages, staged]).length;
  if (items > stage.roomForItems) {
    throw new OutboxMessageError(
      `publish() to ${targetName(target)}: the messages would need ${items} outbox item(s), more than the ${stage.roomForItems} left in the completion's DynamoDB transaction beside the staged writes; nothing was staged`,
      { problem: 'count', target: targetName(target), key },
    );
  }
  messages.push(staged);
  return staged.id;
}
