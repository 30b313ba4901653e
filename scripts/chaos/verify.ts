import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { RecordStatus } from '../../lib/store';
import type { QueueKind, Workload } from './workload';

/** One invariant and the business events (or messages, records, accounts) that break it. */
export interface InvariantResult {
  readonly name: string;
  readonly violations: number;
  /** A few of the offenders, for the report. */
  readonly examples: readonly string[];
}

/** Invariant names, as the summary and the tests print them. */
export const INVARIANTS = {
  ledger: 'exactly one ledger entry per business event',
  external: 'exactly one external call per business event',
  lost: 'no business event lost',
  balances: 'account balances equal the sum of their events',
  inProgress: 'nothing left in progress once leases expire',
  dlq: 'the DLQs hold the poison messages and nothing else',
  drained: 'the queues drained',
} as const;

const EXAMPLES = 5;

function result(name: string, offenders: readonly string[]): InvariantResult {
  return { name, violations: offenders.length, examples: offenders.slice(0, EXAMPLES) };
}

async function scanAll(documents: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Takes every message off a queue; returns their `chaos-id` attributes. */
async function drain(sqs: SQSClient, url: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return ids;
    ids.push(...Messages.map((m) => m.MessageAttributes?.['chaos-id']?.StringValue ?? `(no id: ${m.Body ?? ''})`));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** Reads the final state (tables, fake API, queues) and checks every invariant. */
export async function verify(input: {
  readonly admin: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Absent for the plain consumer, which keeps no records. */
  readonly idempotencyTable: string | undefined;
  readonly ledgerTable: string;
  readonly queues: { readonly url: Record<QueueKind, string>; readonly dlq: Record<QueueKind, string> };
  readonly workload: Workload;
  /** The payments API's applied charges per reference (business event id). */
  readonly api: { readonly applied: ReadonlyMap<string, number> };
}): Promise<{ results: InvariantResult[]; ledgerEntries: number }> {
  const { workload, api } = input;
  const documents = DynamoDBDocumentClient.from(input.admin);
  const ledger = await scanAll(documents, input.ledgerTable);
  const entries = new Map<string, number>();
  const balances = new Map<string, number>();
  for (const item of ledger) {
    const id = String(item['id']);
    if (id.startsWith('entry#')) entries.set(String(item['eventId']), (entries.get(String(item['eventId'])) ?? 0) + 1);
    else if (id.startsWith('account#')) balances.set(id.slice('account#'.length), Number(item['balanceCents']));
  }
  const known = new Set(workload.events.map((e) => e.eventId));
  const expectedBalances = new Map<string, number>();
  for (const event of workload.events) {
    expectedBalances.set(event.account, (expectedBalances.get(event.account) ?? 0) + event.amountCents);
  }

  const ledgerOffenders = workload.events
    .filter((e) => (entries.get(e.eventId) ?? 0) > 1)
    .map((e) => `${e.eventId}: ${entries.get(e.eventId)} entries`)
    .concat([...entries.keys()].filter((id) => !known.has(id)).map((id) => `${id}: entry of an unknown event`));
  const externalOffenders = workload.events
    .filter((e) => (api.applied.get(e.eventId) ?? 0) > 1)
    .map((e) => `${e.eventId}: charged ${api.applied.get(e.eventId)} times`);
  const lost = workload.events
    .filter((e) => !entries.has(e.eventId) || !api.applied.has(e.eventId))
    .map((e) => `${e.eventId}: ${entries.get(e.eventId) ?? 0} entries, ${api.applied.get(e.eventId) ?? 0} charges`);
  const balanceOffenders = [...new Set([...expectedBalances.keys(), ...balances.keys()])]
    .filter((account) => (balances.get(account) ?? 0) !== (expectedBalances.get(account) ?? 0))
    .map((account) => `${account}: ${balances.get(account) ?? 0} cents, expected ${expectedBalances.get(account) ?? 0}`);

  let inProgress: string[] = [];
  if (input.idempotencyTable !== undefined) {
    // Wait for the last lease to end, then nothing may still be in progress.
    for (;;) {
      const records = (await scanAll(documents, input.idempotencyTable)).filter((r) => r['status'] === RecordStatus.InProgress);
      const lastLease = Math.max(0, ...records.map((r) => Number(r['leaseUntil'] ?? 0)));
      if (lastLease < Date.now()) {
        inProgress = records.map((r) => `${String(r['id'])}: in progress, lease ended ${Date.now() - lastLease} ms ago`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, lastLease - Date.now() + 50));
    }
  }

  const [standardLeft, fifoLeft, standardDlq, fifoDlq] = await Promise.all([
    drain(input.sqs, input.queues.url.standard),
    drain(input.sqs, input.queues.url.fifo),
    drain(input.sqs, input.queues.dlq.standard),
    drain(input.sqs, input.queues.dlq.fifo),
  ]);
  const inDlq = [...standardDlq, ...fifoDlq];
  const dlqOffenders = inDlq
    .filter((id) => !workload.poison.has(id))
    .map((id) => `${id}: in a DLQ but not a poison message`)
    .concat([...workload.poison].filter((id) => !inDlq.includes(id)).map((id) => `${id}: poison message not in a DLQ`));
  const left = [...standardLeft, ...fifoLeft].map((id) => `${id}: still on its queue`);

  return {
    results: [
      result(INVARIANTS.ledger, ledgerOffenders),
      result(INVARIANTS.external, externalOffenders),
      result(INVARIANTS.lost, lost),
      result(INVARIANTS.balances, balanceOffenders),
      result(INVARIANTS.inProgress, inProgress),
      result(INVARIANTS.dlq, dlqOffenders),
      result(INVARIANTS.drained, left),
    ],
    ledgerEntries: [...entries.values()].reduce((a, b) => a + b, 0),
  };
}
