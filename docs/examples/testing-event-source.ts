// docs/examples/testing-event-source.ts
import { startLocalEventSource, type LocalEventSourceHandler, type LocalSqs } from 'effectively-once/testing';

export async function drain(sqs: LocalSqs, queueUrl: string, handler: LocalEventSourceHandler): Promise<void> {
  const source = startLocalEventSource({ client: sqs.client, queueUrl, handler, pollers: 3, timeoutMs: 2_000 });
  await source.idle(); // every poller found the queue empty and no batch is running
  console.log(source.stats); // receives, invocations, messagesDelivered, deletes, failures, timeouts, ...
  await source.stop(); // also waits for handlers still running past their timeout
}
