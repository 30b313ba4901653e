/**
 * The floor: the protocol's own writes sent raw through the SDK, with no library. For each SQS batch it
 * claims every record (a conditional insert of a lease), runs the same trivial work as the libraries
 * (parse the body, one `setImmediate`), and completes every record (an update conditional on the lease
 * token and the status). What it leaves out is what a library adds: keys and hashing, options, the engine's
 * state, serialising results, logging, error handling, retries of failed conditions.
 *
 * Two shapes, both measured; the faster one is the floor (`floorOf`):
 * - `BatchExecuteStatement per phase`: one request of all the claims, then one of all the completions;
 * - `10 single requests at once`: per record a `PutItem` then an `UpdateItem`, all records concurrently.
 * On a FIFO queue with one message group, and on a Kinesis shard, the claims go first (either shape) and the
 * records then run and complete one after another, as the group's or the shard's order requires. A first call is a `PutItem` then an `UpdateItem`.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldOnce } from 'node:timers/promises';
import { BatchExecuteStatementCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import type { Contender, IterationFacts, ScenarioEnv } from './scenario-types';

/** The library name of the floor's contenders in the results. */
export const FLOOR = 'floor';

/** The two shapes of the floor's requests. */
export const FLOOR_SHAPES = { batched: 'BatchExecuteStatement per phase', single: '10 single requests at once' } as const;

/** How the records of a batch complete: all together, or one after another (one FIFO message group). */
export type Completion = 'together' | 'in order';

const LEASE_MS = 30_000;
const EXPIRES_S = 3_600;

/** The raw requests of one table. */
class RawProtocol {
  readonly #env: ScenarioEnv;
  readonly #table: string;

  public constructor(env: ScenarioEnv) {
    this.#env = env;
    // The floor's keys (`floor#<id>`) never meet a library's records.
    this.#table = env.ours.idempotency;
  }

  /** The claim's attributes: key, expiry, status, token, lease end. */
  #claim(key: string, token: string): [string, AttributeValue][] {
    const now = Date.now();
    return [
      ['id', { S: key }],
      ['expiration', { N: String(Math.floor(now / 1000) + EXPIRES_S) }],
      ['status', { S: 'INPROGRESS' }],
      ['token', { S: token }],
      ['leaseUntil', { N: String(now + LEASE_MS) }],
    ];
  }

  public async claimOne(key: string, token: string): Promise<void> {
    await this.#env.client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: Object.fromEntries(this.#claim(key, token)),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
  }

  public async completeOne(key: string, token: string): Promise<void> {
    await this.#env.client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { id: { S: key } },
        UpdateExpression: 'SET #status = :completed, #result = :result, #lease = :zero',
        ConditionExpression: '#token = :token AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status', '#result': 'result', '#lease': 'leaseUntil', '#token': 'token' },
        ExpressionAttributeValues: {
          ':completed': { S: 'COMPLETED' },
          ':result': { S: 'null' },
          ':zero': { N: '0' },
          ':token': { S: token },
          ':inProgress': { S: 'INPROGRESS' },
        },
      }),
    );
  }

  /** One request of conditional INSERTs; throws if any statement failed. */
  public async claimAll(keys: readonly string[], token: string): Promise<void> {
    await this.#batch(
      keys.map((key) => {
        const attributes = this.#claim(key, token);
        return {
          Statement: `INSERT INTO "${this.#table}" VALUE {${attributes.map(([name]) => `'${name}': ?`).join(', ')}}`,
          Parameters: attributes.map(([, value]) => value),
        };
      }),
    );
  }

  /** One request of conditional UPDATEs; throws if any statement failed. */
  public async completeAll(keys: readonly string[], token: string): Promise<void> {
    await this.#batch(
      keys.map((key) => ({
        Statement: `UPDATE "${this.#table}" SET "status"=? SET "result"=? SET "leaseUntil"=? WHERE "id"=? AND "token"=? AND "status"=?`,
        Parameters: [{ S: 'COMPLETED' }, { S: 'null' }, { N: '0' }, { S: key }, { S: token }, { S: 'INPROGRESS' }],
      })),
    );
  }

  async #batch(statements: { Statement: string; Parameters: AttributeValue[] }[]): Promise<void> {
    const output = await this.#env.client.send(new BatchExecuteStatementCommand({ Statements: statements }));
    const failed = (output.Responses ?? []).filter((response) => response.Error);
    if (failed.length > 0) throw new Error(`${failed.length} statements of the floor failed: ${failed[0]?.Error?.Code ?? ''}`);
  }
}

/** One record of a batch as the floor sees it: its key (the source's id) and its payload. */
interface RawRecord {
  readonly key: string;
  readonly body: string;
}

/** How a batch's payloads arrive: JSON text (SQS) or base64 of JSON (Kinesis data, decoded in the work). */
type Encoding = 'json' | 'base64';

/** The trivial work of one record, as the libraries' handlers do it (decoding included). */
async function work(body: string, encoding: Encoding = 'json'): Promise<void> {
  JSON.parse(encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body);
  await yieldOnce();
}

/** One batch of `records` through the raw protocol, in `shape`. */
async function rawBatch(
  raw: RawProtocol,
  records: readonly RawRecord[],
  shape: keyof typeof FLOOR_SHAPES,
  completion: Completion,
  encoding: Encoding,
): Promise<IterationFacts> {
  const token = randomUUID();
  const keys = records.map((record) => record.key);
  let executions = 0;
  const run = async (body: string): Promise<void> => {
    await work(body, encoding);
    executions += 1;
  };
  if (completion === 'in order') {
    if (shape === 'batched') await raw.claimAll(keys, token);
    else await Promise.all(keys.map((key) => raw.claimOne(key, token)));
    for (const record of records) {
      await run(record.body);
      await raw.completeOne(record.key, token);
    }
  } else if (shape === 'batched') {
    await raw.claimAll(keys, token);
    await Promise.all(records.map((record) => run(record.body)));
    await raw.completeAll(keys, token);
  } else {
    await Promise.all(
      records.map(async (record) => {
        await raw.claimOne(record.key, token);
        await run(record.body);
        await raw.completeOne(record.key, token);
      }),
    );
  }
  return { executions, failures: 0 };
}

/** The floor's two contenders of a batch scenario: `makeRecords` builds a batch outside the clock. */
function floorContenders(
  env: ScenarioEnv,
  makeRecords: () => readonly RawRecord[],
  completion: Completion,
  encoding: Encoding,
  records: number,
): Contender[] {
  const raw = new RawProtocol(env);
  return (Object.keys(FLOOR_SHAPES) as (keyof typeof FLOOR_SHAPES)[]).map((shape) => ({
    library: FLOOR,
    variant: FLOOR_SHAPES[shape],
    expect: { executions: records, failures: 0 },
    prepare() {
      const batch = makeRecords();
      return () => rawBatch(raw, batch, shape, completion, encoding);
    },
  }));
}

/** The floor's two contenders of an SQS scenario (keys: the message ids). */
export function floorBatchContenders(env: ScenarioEnv, makeEvent: () => SQSEvent, completion: Completion, records: number): Contender[] {
  const makeRecords = (): RawRecord[] => makeEvent().Records.map((record) => ({ key: `floor#${record.messageId}`, body: record.body }));
  return floorContenders(env, makeRecords, completion, 'json', records);
}

/**
 * The floor's two contenders of a Kinesis shard (keys: the event ids; data decoded and parsed in the work).
 * A shard's records run in order, as ours runs them: every claim first (ours claims up to 25 records of a
 * shard ahead in one request), then record by record the work and its completion.
 */
export function floorStreamContenders(env: ScenarioEnv, makeEvent: () => KinesisStreamEvent, records: number): Contender[] {
  const makeRecords = (): RawRecord[] =>
    makeEvent().Records.map((record) => ({ key: `floor#${record.eventID}`, body: record.kinesis.data }));
  return floorContenders(env, makeRecords, 'in order', 'base64', records);
}

/** The floor of a first call: one claim, the work, one completion. */
export function floorFirstCall(env: ScenarioEnv): Contender {
  const raw = new RawProtocol(env);
  return {
    library: FLOOR,
    variant: 'single requests',
    expect: { executions: 1, failures: 0 },
    prepare() {
      const key = `floor#${randomUUID()}`;
      const body = JSON.stringify({ orderId: key });
      return async () => {
        const token = randomUUID();
        await raw.claimOne(key, token);
        await work(body);
        await raw.completeOne(key, token);
        return { executions: 1, failures: 0 };
      };
    },
  };
}
