/**
 * Lever experiments: what each design choice of the library costs or saves, measured in isolation with the
 * same runner as the scenarios (the first contender of each is the reference).
 *
 * - client: one conditional PutItem of a claim-sized item through the low-level client vs the document
 *   client (marshalling cost).
 * - grouping: claiming and completing the 10 records of a batch with 20 single conditional requests vs two
 *   TransactWriteItems of 10 (fewer requests, twice the write units, all-or-nothing conditions).
 * - cpu: each library's own CPU per first call with no I/O at all (in-memory persistence), and ours with
 *   a JMESPath key vs a function key.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldOnce } from 'node:timers/promises';
import {
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  makeIdempotent as makeIdempotentPowertools,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { InMemoryStore, makeIdempotent } from '../lib';
import { context } from './contenders';
import type { Contender, Scenario } from './scenario-types';

/** Records per grouped experiment (one SQS batch). */
const GROUP = 10;

function claimItem(key: string): Record<string, AttributeValue> {
  const now = Date.now();
  return {
    id: { S: `bench.lever#${key}` },
    expiration: { N: String(Math.floor(now / 1000) + 3600) },
    status: { S: 'INPROGRESS' },
    token: { S: randomUUID() },
    leaseUntil: { N: String(now + 60_000) },
    steps: { M: {} },
  };
}

const CLAIM_CONDITION = {
  ConditionExpression: 'attribute_not_exists(#key) OR #ttl <= :nowSec',
  ExpressionAttributeNames: { '#key': 'id', '#ttl': 'expiration' },
};

function nowSec(): Record<string, AttributeValue> {
  return { ':nowSec': { N: String(Math.floor(Date.now() / 1000)) } };
}

function completeUpdate(table: string, item: Record<string, AttributeValue>): UpdateItemCommand['input'] & { UpdateExpression: string } {
  return {
    TableName: table,
    Key: { id: item['id'] as AttributeValue },
    UpdateExpression: 'SET #status = :completed, #outcome = :outcome, #result = :result, #lease = :zero',
    ConditionExpression: '#token = :token',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#outcome': 'outcome',
      '#result': 'result',
      '#lease': 'leaseUntil',
      '#token': 'token',
    },
    ExpressionAttributeValues: {
      ':completed': { S: 'COMPLETED' },
      ':outcome': { S: 'value' },
      ':result': { S: '{"status":"accepted"}' },
      ':zero': { N: '0' },
      ':token': item['token'] as AttributeValue,
    },
  };
}

/** A Powertools persistence layer in a Map: the incumbent's own CPU with no I/O. */
class MapPersistenceLayer extends BasePersistenceLayer {
  readonly #records = new Map<string, IdempotencyRecord>();

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.#records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.#records.get(record.idempotencyKey);
    if (existing && !existing.isExpired()) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        existing,
      );
    }
    this.#records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.#records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#records.delete(record.idempotencyKey);
  }
}

function orderEvent(): { orderId: string; customerId: string; amount: number; currency: string } {
  return { orderId: randomUUID(), customerId: 'customer-1042', amount: 129.9, currency: 'EUR' };
}

/** The lever experiments. */
export function leverScenarios(client: DynamoDBClient, table: string, scale: number): Scenario[] {
  const scaled = (n: number): number => Math.max(10, Math.round(n * scale));
  const warm = (n: number): number => Math.max(20, Math.round(n * Math.min(scale, 1)));
  const documents = DynamoDBDocumentClient.from(client);

  const single = (variant: string, send: (item: Record<string, AttributeValue>) => Promise<unknown>): Contender => ({
    library: variant,
    variant,
    expect: { executions: 0, failures: 0 },
    prepare() {
      const item = claimItem(randomUUID());
      return async () => {
        await send(item);
        return { executions: 0, failures: 0 };
      };
    },
  });

  const grouped = (variant: string, run: (items: Record<string, AttributeValue>[]) => Promise<void>): Contender => ({
    library: variant,
    variant,
    expect: { executions: 0, failures: 0 },
    prepare() {
      const items = Array.from({ length: GROUP }, () => claimItem(randomUUID()));
      return async () => {
        await run(items);
        return { executions: 0, failures: 0 };
      };
    },
  });

  const noIo = (
    library: string,
    variant: string,
    make: () => (event: ReturnType<typeof orderEvent>, ctx: Context) => Promise<unknown>,
  ): Contender => {
    const handler = make();
    return {
      library,
      variant,
      expect: { executions: 0, failures: 0 },
      prepare() {
        const event = orderEvent();
        const ctx = context();
        return async () => {
          await handler(event, ctx);
          return { executions: 0, failures: 0 };
        };
      },
    };
  };
  const result = async (event: { orderId: string }, _ctx: Context): Promise<unknown> => {
    await yieldOnce();
    return { status: 'accepted', orderId: event.orderId };
  };

  return [
    {
      id: 'lever-client',
      short: 'PutItem: client kind',
      title: 'One conditional PutItem: low-level vs document client',
      recordsPerIteration: 1,
      iterations: scaled(600),
      warmup: warm(150),
      contenders: [
        single('low-level client', (item) =>
          client.send(new PutItemCommand({ TableName: table, Item: item, ...CLAIM_CONDITION, ExpressionAttributeValues: nowSec() })),
        ),
        single('document client', (item) =>
          documents.send(
            new PutCommand({
              TableName: table,
              Item: {
                id: item['id']?.S,
                expiration: Number(item['expiration']?.N),
                status: item['status']?.S,
                token: item['token']?.S,
                leaseUntil: Number(item['leaseUntil']?.N),
                steps: {},
              },
              ...CLAIM_CONDITION,
              ExpressionAttributeValues: { ':nowSec': Math.floor(Date.now() / 1000) },
            }),
          ),
        ),
      ],
    },
    {
      id: 'lever-grouping',
      short: 'Grouped claims',
      title: `Claim and complete ${GROUP} records: single requests vs transactions`,
      recordsPerIteration: GROUP,
      iterations: scaled(150),
      warmup: warm(40),
      contenders: [
        grouped(`${GROUP} PutItem ‖ then ${GROUP} UpdateItem ‖`, async (items) => {
          await Promise.all(
            items.map((item) =>
              client.send(new PutItemCommand({ TableName: table, Item: item, ...CLAIM_CONDITION, ExpressionAttributeValues: nowSec() })),
            ),
          );
          await Promise.all(items.map((item) => client.send(new UpdateItemCommand(completeUpdate(table, item)))));
        }),
        grouped(`2 TransactWriteItems of ${GROUP}`, async (items) => {
          await client.send(
            new TransactWriteItemsCommand({
              TransactItems: items.map((item) => ({
                Put: { TableName: table, Item: item, ...CLAIM_CONDITION, ExpressionAttributeValues: nowSec() },
              })),
            }),
          );
          await client.send(
            new TransactWriteItemsCommand({ TransactItems: items.map((item) => ({ Update: completeUpdate(table, item) })) }),
          );
        }),
      ],
    },
    {
      id: 'lever-cpu',
      short: 'CPU without I/O',
      title: 'Library CPU per first call, no I/O (in-memory persistence)',
      recordsPerIteration: 1,
      iterations: scaled(4000),
      warmup: warm(1000),
      contenders: [
        noIo('incumbent', 'Powertools, JMESPath key', () =>
          makeIdempotentPowertools(result, {
            persistenceStore: new MapPersistenceLayer(),
            config: new IdempotencyConfig({ eventKeyJmesPath: 'orderId' }),
          }),
        ),
        noIo('ours', 'ours, JMESPath key', () =>
          makeIdempotent(result, { store: new InMemoryStore(), key: 'orderId', name: 'bench.cpu.jmespath' }),
        ),
        noIo('ours', 'ours, function key', () =>
          makeIdempotent(result, { store: new InMemoryStore(), key: (event) => event.orderId, name: 'bench.cpu.function' }),
        ),
      ],
    },
  ];
}
