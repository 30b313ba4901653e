/**
 * One consumer process of the process-kill chaos run (started by scripts/chaos/processes.ts with
 * `node --import tsx`): the example consumer (handlers/chaos-consumer.ts) with effectively-once, fed by
 * the local event source the way Lambda's SQS event source feeds a function: long polls of up to 10
 * messages per queue, one invocation per batch with a Lambda context, the successful records deleted and
 * the failed ones left for redelivery after their visibility timeout.
 *
 * Like the Lambda runtime, it initialises before its first invocation (modules, connections: the init
 * phase does not count against the function timeout) and stops when an invocation reaches its function
 * timeout (exit code 124). It
 * appends what it starts and finishes to its delivery log with synchronous writes, so the parent knows
 * which invocations a SIGKILL cut short. The payments API and the notifier are the parent's effects server.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Context, SQSEvent } from 'aws-lambda';
import { createChaosConsumer, type Notifier, type PaymentsApi } from '../../handlers/chaos-consumer';
import { DynamoDBStore } from '../../lib';
import { startLocalEventSource, type LocalEventSource } from '../../lib/testing';
import { localDynamoClient, localSqsClient } from './clients';
import { chaosIdOf } from './crashes';
import { IDEMPOTENCY_KEY_HEADER, type ChargeRequest, type DeliveryRef, type NotifyRequest } from './effects-server';
import {
  CHILD_CONFIG_ENV,
  TIMEOUT_EXIT_CODE,
  type ChildConfig,
  type ChildMessage,
  type LogLine,
  type ParentMessage,
} from './process-protocol';

const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

function readConfig(): ChildConfig {
  const raw = process.env[CHILD_CONFIG_ENV];
  if (raw === undefined || raw === '')
    throw new Error(`${CHILD_CONFIG_ENV} is not set: this file is started by scripts/chaos/processes.ts`);
  return JSON.parse(raw) as ChildConfig;
}

const config = readConfig();
const logFd = openSync(config.logFile, 'a');
/** Appends a line to the delivery log; when this returns, the line survives a SIGKILL. */
function log(line: LogLine): void {
  writeSync(logFd, `${JSON.stringify(line)}\n`);
}
function tell(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

const invocation = new AsyncLocalStorage<number>();
function delivery(): DeliveryRef {
  return { child: config.child, invocation: invocation.getStore() ?? -1 };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(`${config.effectsUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : await response.json();
}

const api: PaymentsApi = {
  async charge(input) {
    const body: ChargeRequest = {
      account: input.account,
      amountCents: input.amountCents,
      reference: input.reference,
      delivery: delivery(),
    };
    const headers: Record<string, string> = input.idempotencyKey === undefined ? {} : { [IDEMPOTENCY_KEY_HEADER]: input.idempotencyKey };
    return (await post('/charge', body, headers)) as { chargeId: string };
  },
};

const notifier: Notifier = {
  async notify(input) {
    const body: NotifyRequest = { ...input, delivery: delivery() };
    await post('/notify', body);
  },
};

const dynamo = localDynamoClient({ endpoint: config.dynamoEndpoint });
const sqs = localSqsClient({ endpoint: config.sqsEndpoint });
const consumer = createChaosConsumer({
  store: new DynamoDBStore({ client: dynamo, tableName: config.idempotencyTable }),
  ledgerTable: config.ledgerTable,
  api,
  notifier,
  logger: QUIET,
});

let invocations = 0;
async function handler(event: SQSEvent, context: Context): Promise<unknown> {
  invocations += 1;
  const inv = invocations;
  const records = event.Records.map((r) => ({
    messageId: r.messageId,
    id: chaosIdOf(r),
    receiveCount: Number.parseInt(r.attributes.ApproximateReceiveCount, 10) || 1,
  }));
  log({ t: 'start', child: config.child, inv, at: Date.now(), records });
  tell({ t: 'start', inv, records: records.length, maxReceiveCount: Math.max(...records.map((r) => r.receiveCount)) });
  // The Lambda runtime ends an invocation that reaches its timeout by stopping the process.
  const watchdog = setTimeout(() => {
    log({ t: 'timeout', child: config.child, inv, at: Date.now() });
    process.exit(TIMEOUT_EXIT_CODE);
  }, context.getRemainingTimeInMillis());
  try {
    const response = await invocation.run(inv, () => consumer(event, context));
    log({ t: 'end', child: config.child, inv, at: Date.now(), failed: response.batchItemFailures.map((f) => f.itemIdentifier) });
    return response;
  } catch (error) {
    log({ t: 'end', child: config.child, inv, at: Date.now(), failed: records.map((r) => r.messageId), error: String(error) });
    throw error;
  } finally {
    clearTimeout(watchdog);
    tell({ t: 'end', inv });
  }
}

let sources: LocalEventSource[] = [];

/** The init phase: load what the first invocation would load lazily and open the connections. */
async function init(): Promise<void> {
  const health = await fetch(`${config.effectsUrl}/health`);
  if (health.status !== 204) throw new Error(`The effects server answered ${health.status} to /health`);
  await dynamo.send(new DescribeTableCommand({ TableName: config.idempotencyTable }));
  sources = config.queueUrls.map((queueUrl) =>
    startLocalEventSource({
      client: sqs,
      queueUrl,
      handler,
      pollers: 1,
      batchSize: 10,
      timeoutMs: config.timeoutMs,
      functionName: 'chaos-consumer',
    }),
  );
  log({ t: 'ready', child: config.child, pid: process.pid, at: Date.now() });
  tell({ t: 'ready' });
}

async function stop(): Promise<void> {
  await Promise.all(sources.map((source) => source.stop()));
  log({ t: 'stopped', child: config.child, at: Date.now() });
  closeSync(logFd);
  dynamo.destroy();
  sqs.destroy();
  process.exit(0);
}

process.on('message', (message: ParentMessage) => {
  if (message.t === 'stop') void stop();
});
// Never outlive the parent.
process.on('disconnect', () => process.exit(1));

init().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
