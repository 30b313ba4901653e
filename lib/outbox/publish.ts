import { currentExecution, currentStep } from '../engine/context';
import { IdempotencyContextError } from '../errors';
import type { PublishOptions } from './message';
import { stagePublish } from './stage';
import type { OutboxTarget } from './targets';

/**
 * Stages a message to an SQS queue, SNS topic or EventBridge bus, committed in the same DynamoDB
 * transaction as the execution's completion, and only with it: when the execution does not complete (it
 * throws, its `commitWith` condition refuses, its result cannot be stored), the message does not exist.
 * The relay (`relayOutbox`, on the table's stream) then publishes it at least once, with its id, which
 * consumers key on (`outboxMessageId`).
 *
 * Call it where the work decides, not inside a `step` (a step replayed from its checkpoint does not run
 * again, so a message staged inside it would not be staged on that attempt).
 *
 * @param message a string (SQS/SNS body as is), a JSON value (serialised), or for an event bus the
 *   event's `detail` object
 * @returns the message's id (as consumers see it)
 * @throws IdempotencyContextError outside an idempotent execution, or inside a `step`
 * @throws IdempotencyConfigError when the store cannot commit messages (only DynamoDBStore can)
 * @throws OutboxMessageError when the target cannot take the message (checked now; nothing is staged)
 */
export function publish(target: OutboxTarget, message: unknown, options?: PublishOptions): string {
  const execution = currentExecution('publish()');
  const step = currentStep();
  if (step !== undefined) {
    throw new IdempotencyContextError(
      `publish() was called inside step("${step}"): a step replayed from its checkpoint does not run again, so its message would not be committed on that attempt; call publish() outside the step, with the step's result`,
    );
  }
  const { stage, fallbackId } = execution.messageStage();
  return stagePublish(stage, target, message, options ?? {}, fallbackId);
}
