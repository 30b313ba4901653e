/**
 * The `visibility` option against fauxqs: a handler that runs longer than the queue's visibility timeout is
 * not delivered to another poller meanwhile, because processSqsBatch keeps its message invisible (the
 * queue URL derived from the event's ARN) and renews its lease. Real seconds pass here: the point is a
 * handler longer than the timeout.
 */
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { DynamoDBStore } from '../../lib';
import { processSqsBatch, type SqsBatchOptions } from '../../lib/sqs';
import { startLocalEventSource, type LocalEventSource } from '../../lib/testing';
import { createTestQueue, createTestTable, dynamoClient, sqsClient } from '../helpers/local';
import { recordingLogger } from '../helpers/sqs-batches';

/** How long the slow handler runs: three times the queue's visibility timeout. */
const HANDLER_MS = 3_000;
const QUEUE_VISIBILITY_SECONDS = 1;

const sources: LocalEventSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

async function inFlight(queueUrl: string): Promise<number> {
  const { Attributes } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

/**
 * Consumes one slow message with two pollers, until the handler has run `untilRuns` times (or the source
 * is idle without that) and the source is idle; returns how often the handler ran and the source.
 */
async function consumeSlowMessage(
  options: (queueUrl: string) => SqsBatchOptions<{ orderId: string }>,
  untilRuns = 1,
): Promise<{ runs: number; source: LocalEventSource; queueUrl: string }> {
  const { queueUrl } = await createTestQueue('sqs-visibility', { visibilityTimeout: QUEUE_VISIBILITY_SECONDS });
  const batchOptions = options(queueUrl);
  let runs = 0;
  let reached!: () => void;
  const enoughRuns = new Promise<void>((resolve) => (reached = resolve));
  const slow = async (): Promise<void> => {
    runs += 1;
    await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
    if (runs >= untilRuns) reached();
  };
  const source = startLocalEventSource({
    client: sqsClient(),
    queueUrl,
    pollers: 2,
    waitTimeSeconds: 1,
    handler: (event: SQSEvent, context: Context) => processSqsBatch(event, slow, { ...batchOptions, context }),
  });
  sources.push(source);
  await sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ orderId: 'o-1' }) }));
  // Should the message never come back often enough, the source goes idle first: the caller's assertions
  // on `runs` then fail, where awaiting `enoughRuns` alone would only time out.
  await Promise.race([enoughRuns, source.idle()]);
  if (untilRuns > 1) await source.stop();
  else await source.idle();
  return { runs, source, queueUrl };
}

describe('the visibility option, on fauxqs', () => {
  it('without it, a handler longer than the visibility timeout sees its message delivered again meanwhile (the control)', async () => {
    // Every second the message comes back and another 3-second run starts: stop after the second run.
    const { runs, source } = await consumeSlowMessage(() => ({ logger: recordingLogger() }), 2);
    expect(source.stats.messagesDelivered).toBeGreaterThan(1);
    expect(runs).toBeGreaterThan(1);
  });

  it('keeps the message invisible while the handler runs, then lets it be deleted', async () => {
    const logger = recordingLogger();
    const { runs, source, queueUrl } = await consumeSlowMessage((url) => ({
      logger,
      // fauxqs knows its queues by its own URLs, not AWS's: pass the URL.
      visibility: { client: sqsClient(), extendBySeconds: 2, extendWhenRemainingSeconds: 1, queueUrl: url },
    }));
    expect(logger.messages('warn')).toEqual([]);
    expect(source.stats.messagesDelivered).toBe(1);
    expect(runs).toBe(1);
    expect(source.stats.deletes).toBe(1);
    expect(await inFlight(queueUrl)).toBe(0);
  });

  it('renews a short explicit lease meanwhile, so the record completes under the lease it claimed', async () => {
    const tableName = await createTestTable('sqs-visibility');
    const logger = recordingLogger();
    const store = new DynamoDBStore({ tableName, client: dynamoClient() });
    const { runs, source } = await consumeSlowMessage((url) => ({
      store,
      key: (_record, { body }) => body.orderId,
      leaseSeconds: 2,
      logger,
      visibility: { client: sqsClient(), extendBySeconds: 2, extendWhenRemainingSeconds: 1, queueUrl: url },
    }));
    expect(logger.entries.filter((e) => e.level !== 'debug')).toEqual([]);
    expect(runs).toBe(1);
    expect(source.stats.messagesDelivered).toBe(1);
    expect(source.stats.failures).toBe(0);
  });
});
