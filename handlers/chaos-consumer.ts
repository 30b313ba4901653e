/**
 * Example: an SQS consumer that charges an account through an external API and books the charge in a
 * ledger, with each business event taking effect once however often it is delivered. It is the handler
 * our chaos suite (`npm run chaos`, `npm start`) delivers thousands of duplicated messages to while
 * crashing it and failing DynamoDB requests.
 *
 * - `processSqsBatch` with a `DynamoDBStore`: one idempotency record per business event (`eventId`, not the
 *   SQS message id: producers resend events as new messages), partial batch responses for failed records.
 * - `step` + `downstreamKey`: the external charge carries a key that is the same on every attempt, and a
 *   retry after the charge skips it.
 * - `commitWith`: the ledger entry and the balance update commit in one transaction with the idempotency
 *   record: both happen once, or not at all.
 * - A plain effect: a notification to the customer, sent with no idempotency key and outside the
 *   transaction, like most emails, webhooks and log-shipping calls. effectively-once runs it once per
 *   business event unless the invocation dies after sending it and before the record completes (then the
 *   retry sends it again: nothing downstream could tell the two apart).
 *
 * `createPlainConsumer` is the same business logic without effectively-once, for comparison.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand, type PutCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBStore, commitWith, downstreamKey, step, type IdempotencyLogger, type IdempotencyStore } from '../lib';
import { processSqsBatch, type SqsBatchResponse, type SqsEvent, type SqsLambdaContext, type SqsRecord } from '../lib/sqs';

/** The business event in each message body. */
export interface AccountCharge {
  /** Identifies the business event: copies of one event carry the same `eventId`. */
  readonly eventId: string;
  readonly account: string;
  readonly amountCents: number;
}

/** The external payment API (a real one would be an HTTP client honouring `Idempotency-Key`). */
export interface PaymentsApi {
  charge(input: {
    readonly account: string;
    readonly amountCents: number;
    readonly reference: string;
    /** Requests with the same key are applied once (the plain consumer sends none). */
    readonly idempotencyKey?: string;
  }): Promise<{ readonly chargeId: string }>;
}

/**
 * Where the customer is told about a charge: a plain effect (an email, a push message), with no
 * idempotency key, so every call reaches the customer.
 */
export interface Notifier {
  notify(input: {
    readonly eventId: string;
    readonly account: string;
    readonly amountCents: number;
    readonly chargeId: string;
  }): Promise<void>;
}

/**
 * Where the record handler can be interrupted: the chaos suite crashes or stalls it there.
 * `after-plain-effect` comes right after the notification and before the commit (only with a notifier).
 */
export type ConsumerCheckpoint = 'record-start' | 'after-external-call' | 'between-steps' | 'after-plain-effect';

/** Optional instrumentation, for tests: called at each {@link ConsumerCheckpoint}. */
export interface ConsumerHooks {
  checkpoint?(point: ConsumerCheckpoint, record: SqsRecord): Promise<void> | void;
}

/** Dependencies of both consumers, injectable for tests, the chaos suite and the demo. */
export interface ConsumerDeps {
  /** Ledger table: partition key `id` (string); entries `entry#<uuid>`, balances `account#<account>`. */
  readonly ledgerTable: string;
  readonly api: PaymentsApi;
  /**
   * Told about each charge after it is made, before the ledger is booked.
   * @default - no notification
   */
  readonly notifier?: Notifier;
  readonly hooks?: ConsumerHooks;
  /**
   * Where the batch processor logs failed records.
   * @default - the library's default logger (a Powertools `Logger` at WARN)
   */
  readonly logger?: IdempotencyLogger;
}

/** Dependencies of {@link createChaosConsumer}. */
export interface ChaosConsumerDeps extends ConsumerDeps {
  /**
   * The idempotency store. The ledger writes are committed through it, in the transaction that completes
   * the idempotency record (a `DynamoDBStore`: its client, on the same account and region).
   */
  readonly store: IdempotencyStore;
  /**
   * Namespace of the idempotency keys: one name for every queue the function consumes, so a copy of an
   * event arriving on another queue is recognised too.
   * @default 'chaos-consumer' (`CHAOS_CONSUMER_NAME`)
   */
  readonly name?: string;
  /**
   * The clock of the idempotency records, in epoch milliseconds (tests inject one to expire leases).
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** Dependencies of {@link createPlainConsumer}. */
export interface PlainConsumerDeps extends ConsumerDeps {
  /** The DynamoDB client the ledger is written with. */
  readonly client: DynamoDBClient;
}

/** The default idempotency namespace of {@link createChaosConsumer}. */
export const CHAOS_CONSUMER_NAME = 'chaos-consumer';

/** An SQS Lambda handler with partial batch responses. */
export type SqsConsumer = (event: SqsEvent, context?: SqsLambdaContext) => Promise<SqsBatchResponse>;

/** Parses and checks a body; a body that is not an {@link AccountCharge} fails its record (and ends in the DLQ). */
export function parseAccountCharge(body: string): AccountCharge {
  const value = JSON.parse(body) as Partial<AccountCharge> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.eventId !== 'string' ||
    typeof value.account !== 'string' ||
    !Number.isInteger(value.amountCents)
  ) {
    throw new TypeError(`Expected an account charge {eventId, account, amountCents}, got ${body.slice(0, 100)}`);
  }
  return { eventId: value.eventId, account: value.account, amountCents: value.amountCents as number };
}

/** The two ledger writes of one charge: a new entry (appended), and the account's balance. */
function ledgerWrites(
  ledgerTable: string,
  event: AccountCharge,
  chargeId: string,
): { entry: PutCommandInput; balance: UpdateCommandInput } {
  return {
    entry: {
      TableName: ledgerTable,
      Item: { id: `entry#${randomUUID()}`, eventId: event.eventId, account: event.account, amountCents: event.amountCents, chargeId },
    },
    balance: {
      TableName: ledgerTable,
      Key: { id: `account#${event.account}` },
      UpdateExpression: 'ADD balanceCents :amount',
      ExpressionAttributeValues: { ':amount': event.amountCents },
    },
  };
}

/** Sends the notification of a charge, then reaches the `after-plain-effect` checkpoint (without a notifier: nothing). */
async function notify(deps: ConsumerDeps, record: SqsRecord, event: AccountCharge, chargeId: string): Promise<void> {
  if (deps.notifier === undefined) return;
  await deps.notifier.notify({ eventId: event.eventId, account: event.account, amountCents: event.amountCents, chargeId });
  await deps.hooks?.checkpoint?.('after-plain-effect', record);
}

/** The consumer with effectively-once: each business event charges and books once. */
export function createChaosConsumer(deps: ChaosConsumerDeps): SqsConsumer {
  const { api, hooks, ledgerTable } = deps;
  // Defined once: processSqsBatch validates it once and keeps its engine for the next invocations.
  const options = {
    store: deps.store,
    name: deps.name ?? CHAOS_CONSUMER_NAME,
    key: (_record: SqsRecord, info: { body: AccountCharge }) => info.body.eventId,
    parse: parseAccountCharge,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  };
  return (event, context) =>
    processSqsBatch<AccountCharge>(
      event,
      async (record, { body }) => {
        await hooks?.checkpoint?.('record-start', record);
        const { chargeId } = await step('charge', async () => {
          const receipt = await api.charge({
            account: body.account,
            amountCents: body.amountCents,
            reference: body.eventId,
            idempotencyKey: downstreamKey('charge'),
          });
          await hooks?.checkpoint?.('after-external-call', record);
          return receipt;
        });
        await hooks?.checkpoint?.('between-steps', record);
        // A plain effect: no downstreamKey, not in the transaction.
        await notify(deps, record, body, chargeId);
        const { entry, balance } = ledgerWrites(ledgerTable, body, chargeId);
        commitWith({ Put: entry }, { Update: balance });
      },
      { ...options, ...(context === undefined ? {} : { context }) },
    );
}

/** The same business logic as a plain consumer: what at-least-once delivery does without effectively-once. */
export function createPlainConsumer(deps: PlainConsumerDeps): SqsConsumer {
  const { api, hooks, ledgerTable } = deps;
  const documents = DynamoDBDocumentClient.from(deps.client);
  return (event, context) =>
    processSqsBatch<AccountCharge>(
      event,
      async (record, { body }) => {
        await hooks?.checkpoint?.('record-start', record);
        const { chargeId } = await api.charge({ account: body.account, amountCents: body.amountCents, reference: body.eventId });
        await hooks?.checkpoint?.('after-external-call', record);
        await hooks?.checkpoint?.('between-steps', record);
        await notify(deps, record, body, chargeId);
        const { entry, balance } = ledgerWrites(ledgerTable, body, chargeId);
        await documents.send(new PutCommand(entry));
        await documents.send(new UpdateCommand(balance));
      },
      {
        parse: parseAccountCharge,
        ...(deps.logger === undefined ? {} : { logger: deps.logger }),
        ...(context === undefined ? {} : { context }),
      },
    );
}

let lambdaHandler: SqsConsumer | undefined;

/** The Lambda entry point: tables from IDEMPOTENCY_TABLE_NAME and LEDGER_TABLE_NAME. */
export const handler: SqsConsumer = (event, context) => {
  lambdaHandler ??= (() => {
    const client = new DynamoDBClient({});
    return createChaosConsumer({
      store: new DynamoDBStore({ client }),
      ledgerTable: process.env['LEDGER_TABLE_NAME'] ?? '',
      api: {
        async charge() {
          throw new Error('Wire a real payments API here');
        },
      },
      notifier: {
        async notify() {
          throw new Error('Wire a real email sender here');
        },
      },
    });
  })();
  return lambdaHandler(event, context);
};
