/**
 * Version-guarded writes against DynamoDB Local: ordering of every version type, duplicates, out-of-order
 * delivery, the caller's own conditions, both client kinds and transactions.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBStore, commitWith, makeIdempotent } from '../../lib';
import {
  IdempotencyCommitConditionError,
  IdempotencyConditionError,
  IdempotencyConfigError,
  IdempotencyError,
  IdempotencyVersionError,
} from '../../lib/errors';
import { applyIfNewer, newerThan, transactGuardFailure, type ApplyIfNewerResult, type GuardVersion } from '../../lib/guards';
import { createTestTable, dynamoClient } from '../helpers/local';

let table: string;
let client: DynamoDBClient;
let documentClient: DynamoDBDocumentClient;

beforeAll(async () => {
  client = dynamoClient();
  documentClient = DynamoDBDocumentClient.from(client);
  table = await createTestTable('guards');
});

function newId(): string {
  return `item-${randomUUID()}`;
}

/** The stored item, numbers as exact NumberValues. */
async function stored(id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }));
  return Item;
}

/** The stored version's Number text, straight from the low-level item. */
async function storedVersion(id: string, attribute = 'version'): Promise<string | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item?.[attribute]?.N;
}

/** Writes `payload` with `version` through applyIfNewer (low-level client unless another is given). */
function write(
  id: string,
  version: GuardVersion,
  payload: string,
  via: DynamoDBClient | DynamoDBDocumentClient = client,
): Promise<ApplyIfNewerResult> {
  return applyIfNewer(via, {
    TableName: table,
    Key: { id },
    version,
    UpdateExpression: 'SET payload = :payload',
    ExpressionAttributeValues: { ':payload': payload },
  });
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const ms = Date.UTC(2024, 4, 1, 12);

describe.each<[string, (n: number) => GuardVersion, (n: number) => string]>([
  ['number', (n) => n, (n) => String(n)],
  ['bigint', (n) => 10n ** 30n + BigInt(n), (n) => String(10n ** 30n + BigInt(n))],
  ['Date', (n) => new Date(ms + n), (n) => String(ms + n)],
  ['decimal string', (n) => `${'1'.repeat(30)}${String(n).padStart(8, '0')}`, (n) => `${'1'.repeat(30)}${String(n).padStart(8, '0')}`],
])('versions given as a %s', (_kind, version, text) => {
  it('applies the first write to a new item and records its version', async () => {
    const id = newId();

    await expect(write(id, version(1), 'first')).resolves.toEqual({ applied: true });

    expect(await storedVersion(id)).toBe(text(1));
    expect((await stored(id))?.payload).toBe('first');
  });

  it('skips a duplicate of the stored version without writing', async () => {
    const id = newId();
    await write(id, version(2), 'original');

    await expect(write(id, version(2), 'duplicate')).resolves.toEqual({ applied: false, reason: 'duplicate', currentVersion: text(2) });

    expect((await stored(id))?.payload).toBe('original');
  });

  it('skips a stale version without writing', async () => {
    const id = newId();
    await write(id, version(5), 'newer');

    await expect(write(id, version(4), 'older')).resolves.toEqual({ applied: false, reason: 'stale', currentVersion: text(5) });

    expect((await stored(id))?.payload).toBe('newer');
  });

  it('applies a newer version over an older one', async () => {
    const id = newId();
    await write(id, version(5), 'older');

    await expect(write(id, version(6), 'newer')).resolves.toEqual({ applied: true });

    expect(await storedVersion(id)).toBe(text(6));
    expect((await stored(id))?.payload).toBe('newer');
  });

  it('applies only the newest of out-of-order deliveries v3, v1, v2', async () => {
    const id = newId();

    const outcomes = [await write(id, version(3), 'v3'), await write(id, version(1), 'v1'), await write(id, version(2), 'v2')];

    expect(outcomes.map((outcome) => outcome.applied)).toEqual([true, false, false]);
    expect(outcomes.slice(1)).toEqual([
      { applied: false, reason: 'stale', currentVersion: text(3) },
      { applied: false, reason: 'stale', currentVersion: text(3) },
    ]);
    expect((await stored(id))?.payload).toBe('v3');
  });
});

describe('SQS FIFO sequence numbers (20 digits)', () => {
  it('orders a 19-digit "9…" below a 20-digit "18…", numerically', async () => {
    const id = newId();
    await write(id, '18000000000000000000', 'later');

    await expect(write(id, '9000000000000000000', 'earlier')).resolves.toEqual({
      applied: false,
      reason: 'stale',
      currentVersion: '18000000000000000000',
    });
    expect((await stored(id))?.payload).toBe('later');
  });

  it('applies a 20-digit "18…" after a 19-digit "9…"', async () => {
    const id = newId();
    await write(id, '9000000000000000000', 'earlier');

    await expect(write(id, '18000000000000000000', 'later')).resolves.toEqual({ applied: true });
    expect(await storedVersion(id)).toBe('18000000000000000000');
  });

  it('tells apart sequence numbers that differ beyond float precision', async () => {
    const id = newId();
    // As JavaScript numbers both are 18849496460467696000: a float conversion would call the second a duplicate.
    expect(Number('18849496460467696128')).toBe(Number('18849496460467696129'));
    await write(id, '18849496460467696128', 'first');

    await expect(write(id, '18849496460467696129', 'second')).resolves.toEqual({ applied: true });
    await expect(write(id, '18849496460467696128', 'replay')).resolves.toEqual({
      applied: false,
      reason: 'stale',
      currentVersion: '18849496460467696129',
    });
    expect((await stored(id))?.payload).toBe('second');
  });

  it('keeps all 38 digits of the largest version DynamoDB holds', async () => {
    const id = newId();
    const largest = '9'.repeat(38);
    await write(id, `${'9'.repeat(37)}8`, 'one below');

    await expect(write(id, largest, 'largest')).resolves.toEqual({ applied: true });
    expect(await storedVersion(id)).toBe(largest);
  });
});

describe('versions of different spellings', () => {
  it('compares a Date with the number of its epoch milliseconds as the same version', async () => {
    const id = newId();
    await write(id, new Date(ms), 'as a Date');

    await expect(write(id, ms, 'as a number')).resolves.toEqual({ applied: false, reason: 'duplicate', currentVersion: String(ms) });
    await expect(write(id, BigInt(ms) + 1n, 'as a bigint')).resolves.toEqual({ applied: true });
  });

  it('stores a decimal string with leading zeros as its number', async () => {
    const id = newId();
    await write(id, '000042', 'padded');

    expect(await storedVersion(id)).toBe('42');
    await expect(write(id, 42, 'plain')).resolves.toEqual({ applied: false, reason: 'duplicate', currentVersion: '42' });
  });

  it('orders negative versions below zero', async () => {
    const id = newId();
    await write(id, -5, 'negative');

    await expect(write(id, 0, 'zero')).resolves.toEqual({ applied: true });
    await expect(write(id, -1n, 'negative again')).resolves.toEqual({ applied: false, reason: 'stale', currentVersion: '0' });
  });
});

describe('concurrent deliveries', () => {
  it('applies exactly one of ten concurrent duplicates', async () => {
    const id = newId();

    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => write(id, '18000000000000000001', `copy ${i}`)));

    expect(outcomes.filter((outcome) => outcome.applied)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.applied)).toEqual(
      Array.from({ length: 9 }, () => ({ applied: false, reason: 'duplicate', currentVersion: '18000000000000000001' })),
    );
  });

  it('ends at the newest of twenty versions delivered concurrently in shuffled order', async () => {
    const id = newId();
    const versions = [7, 19, 3, 12, 20, 1, 15, 9, 5, 18, 2, 11, 16, 4, 8, 14, 6, 13, 17, 10];

    await Promise.all(versions.map((v) => write(id, v, `v${v}`)));

    expect(await storedVersion(id)).toBe('20');
    expect((await stored(id))?.payload).toBe('v20');
  });
});

describe("the caller's update expression", () => {
  it('applies SET, REMOVE, ADD and DELETE clauses in any order, with the version', async () => {
    const id = newId();
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { id: { S: id }, obsolete: { S: 'x' }, tags: { SS: ['a', 'b'] }, count: { N: '1' } },
      }),
    );

    await expect(
      applyIfNewer(client, {
        TableName: table,
        Key: { id },
        version: 1,
        UpdateExpression: 'DELETE tags :gone ADD #count :one REMOVE obsolete SET #status = :status',
        ExpressionAttributeNames: { '#count': 'count', '#status': 'status' },
        ExpressionAttributeValues: { ':gone': new Set(['a']), ':one': 1, ':status': 'DONE' },
      }),
    ).resolves.toEqual({ applied: true });

    expect(await stored(id)).toEqual({ id, version: 1, tags: new Set(['b']), count: 2, status: 'DONE' });
  });

  it('runs a counter once per version, whatever the number of deliveries', async () => {
    const id = newId();
    const increment = (version: number): Promise<ApplyIfNewerResult> =>
      applyIfNewer(client, {
        TableName: table,
        Key: { id },
        version,
        UpdateExpression: 'ADD hits :one',
        ExpressionAttributeValues: { ':one': 1 },
      });

    for (const version of [1, 1, 2, 1, 2, 3, 3]) await increment(version);

    expect((await stored(id))?.hits).toBe(3);
  });

  it('writes only the version when no expression is given, creating the item', async () => {
    const id = newId();

    await expect(applyIfNewer(client, { TableName: table, Key: { id }, version: 9n })).resolves.toEqual({ applied: true });

    expect(await stored(id)).toEqual({ id, version: 9 });
  });

  it('keeps the version in the attribute named by versionAttribute', async () => {
    const id = newId();
    await applyIfNewer(client, { TableName: table, Key: { id }, version: 3, versionAttribute: 'sequence.number' });

    await expect(applyIfNewer(client, { TableName: table, Key: { id }, version: 2, versionAttribute: 'sequence.number' })).resolves.toEqual(
      {
        applied: false,
        reason: 'stale',
        currentVersion: '3',
      },
    );
    expect(await storedVersion(id, 'sequence.number')).toBe('3');
    expect(await storedVersion(id)).toBeUndefined();
  });

  it('returns the attributes asked for with ReturnValues, the version exact', async () => {
    const id = newId();

    const outcome = await applyIfNewer(client, {
      TableName: table,
      Key: { id },
      version: '18000000000000000001',
      UpdateExpression: 'SET payload = :p',
      ExpressionAttributeValues: { ':p': 'x' },
      ReturnValues: 'ALL_NEW',
    });

    expect(outcome).toEqual({ applied: true, attributes: { id, payload: 'x', version: 18000000000000000001n } });
  });

  it('passes an error of DynamoDB other than the condition through unchanged', async () => {
    const id = newId();

    const error = await rejected(
      applyIfNewer(client, {
        TableName: table,
        Key: { id },
        version: 1,
        // Writing the version attribute is refused before sending (see below); a value of the wrong type is DynamoDB's to refuse.
        UpdateExpression: 'SET payload = payload + :v',
        ExpressionAttributeValues: { ':v': 2 },
      }),
    );

    expect(error).not.toBeInstanceOf(IdempotencyError);
    expect((error as Error).name).toBe('ValidationException');
  });
});

describe("the caller's condition", () => {
  const withdraw = (id: string, version: number, amount: number): Promise<ApplyIfNewerResult> =>
    applyIfNewer(client, {
      TableName: table,
      Key: { id },
      version,
      UpdateExpression: 'SET balance = balance - :amount',
      ConditionExpression: 'balance >= :amount',
      ExpressionAttributeValues: { ':amount': amount },
    });

  async function account(balance: number, version?: number): Promise<string> {
    const id = newId();
    const item: Record<string, { S: string } | { N: string }> = { id: { S: id }, balance: { N: String(balance) } };
    if (version !== undefined) item.version = { N: String(version) };
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
    return id;
  }

  it('applies the write when both the condition and the guard hold', async () => {
    const id = await account(100, 1);

    await expect(withdraw(id, 2, 30)).resolves.toEqual({ applied: true });
    expect(await stored(id)).toEqual({ id, balance: 70, version: 2 });
  });

  it('throws IdempotencyConditionError, with the item, when the condition fails on a newer version', async () => {
    const id = await account(10, 1);

    const error = await rejected(withdraw(id, 2, 30));

    expect(error).toBeInstanceOf(IdempotencyConditionError);
    expect((error as Error).message).toBe(
      `The ConditionExpression of the version-guarded write to "${table}" failed while the version guard passed ` +
        '(the stored version 1 is older than 2), so nothing was written: ' +
        '(attribute_not_exists(#eoVersion) OR #eoVersion < :eoVersion) AND (balance >= :amount)',
    );
    expect((error as IdempotencyConditionError).tableName).toBe(table);
    expect((error as IdempotencyConditionError).item).toEqual({ id, balance: 10, version: 1 });
    expect(await stored(id)).toEqual({ id, balance: 10, version: 1 });
  });

  it('throws IdempotencyConditionError when the condition fails on an item without a version', async () => {
    const id = await account(10);

    const error = await rejected(withdraw(id, 1, 30));

    expect(error).toBeInstanceOf(IdempotencyConditionError);
    expect((error as Error).message).toMatch(/\(the item has no "version" yet\)/);
    expect((error as IdempotencyConditionError).item).toEqual({ id, balance: 10 });
  });

  it('throws IdempotencyConditionError, without an item, when the condition fails on a missing item', async () => {
    const id = newId();

    const error = await rejected(withdraw(id, 1, 30));

    expect(error).toBeInstanceOf(IdempotencyConditionError);
    expect((error as Error).message).toMatch(/\(the item does not exist\)/);
    expect((error as IdempotencyConditionError).item).toBeUndefined();
    expect(await stored(id)).toBeUndefined();
  });

  it('reports a stale version rather than the failed condition when both fail', async () => {
    const id = await account(10, 5);

    await expect(withdraw(id, 4, 30)).resolves.toEqual({ applied: false, reason: 'stale', currentVersion: '5' });
  });

  it('reports a duplicate rather than the failed condition when a retry finds its own write', async () => {
    const id = await account(100, 1);
    await withdraw(id, 2, 80);

    // The retry's condition would fail now (20 < 80): it is the guard that tells it is a duplicate.
    await expect(withdraw(id, 2, 80)).resolves.toEqual({ applied: false, reason: 'duplicate', currentVersion: '2' });
    expect((await stored(id))?.balance).toBe(20);
  });

  it('throws IdempotencyVersionError when the stored version is not a Number', async () => {
    const id = newId();
    await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, version: { S: '5' } } }));

    const error = await rejected(write(id, 6, 'x'));

    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toMatch(/^The item's version attribute "version" holds \{"S":"5"\}, not a Number/);
  });
});

describe('with a DynamoDBDocumentClient', () => {
  it('applies, skips duplicates and keeps 20-digit versions exact', async () => {
    const id = newId();

    await expect(write(id, '18849496460467696128', 'first', documentClient)).resolves.toEqual({ applied: true });
    await expect(write(id, '18849496460467696128', 'again', documentClient)).resolves.toEqual({
      applied: false,
      reason: 'duplicate',
      currentVersion: '18849496460467696128',
    });
    await expect(write(id, '9849496460467696128', 'older', documentClient)).resolves.toEqual({
      applied: false,
      reason: 'stale',
      currentVersion: '18849496460467696128',
    });
    expect(await storedVersion(id)).toBe('18849496460467696128');
    expect((await stored(id))?.payload).toBe('first');
  });

  it("takes the caller's values as plain JavaScript values, maps and sets included", async () => {
    const id = newId();

    await applyIfNewer(documentClient, {
      TableName: table,
      Key: { id },
      version: 1,
      UpdateExpression: 'SET doc = :doc, tags = :tags, big = :big',
      ExpressionAttributeValues: {
        ':doc': { a: [1, 'two', null] },
        ':tags': new Set(['x']),
        ':big': NumberValue.from('123456789012345678901'),
      },
    });

    expect(await stored(id)).toEqual({ id, version: 1, doc: { a: [1, 'two', null] }, tags: new Set(['x']), big: 123456789012345678901n });
  });

  it("throws IdempotencyConditionError when the caller's condition fails", async () => {
    const id = newId();

    const error = await rejected(
      applyIfNewer(documentClient, { TableName: table, Key: { id }, version: 1, ConditionExpression: 'attribute_exists(id)' }),
    );

    expect(error).toBeInstanceOf(IdempotencyConditionError);
    expect((error as Error).message).toMatch(/\(the item does not exist\)/);
  });

  it("applies the DocumentClient's marshalling options", async () => {
    const id = newId();
    const endpoint = process.env.EO_DYNAMODB_ENDPOINT;
    const lenient = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      { marshallOptions: { removeUndefinedValues: true } },
    );

    await applyIfNewer(lenient, {
      TableName: table,
      Key: { id },
      version: 1,
      UpdateExpression: 'SET doc = :doc',
      ExpressionAttributeValues: { ':doc': { kept: 1, dropped: undefined } },
    });
    lenient.destroy();

    expect((await stored(id))?.doc).toEqual({ kept: 1 });
  });
});

describe('newerThan in a TransactWriteItems', () => {
  it('applies the guarded update together with the other writes, once', async () => {
    const id = newId();
    const ledgerId = newId();
    const transaction = (version: GuardVersion, entry: string): TransactWriteCommand =>
      new TransactWriteCommand({
        TransactItems: [
          newerThan({
            TableName: table,
            Key: { id },
            version,
            UpdateExpression: 'SET payload = :p ADD applied :one',
            ExpressionAttributeValues: { ':p': entry, ':one': 1 },
          }),
          { Put: { TableName: table, Item: { id: `${ledgerId}-${entry}`, entry } } },
        ],
      });

    await documentClient.send(transaction('18849496460467696128', 'first'));
    const duplicate = await rejected(documentClient.send(transaction('18849496460467696128', 'duplicate')));

    expect((duplicate as Error).name).toBe('TransactionCanceledException');
    expect(await stored(id)).toEqual({ id, payload: 'first', applied: 1, version: 18849496460467696128n });
    expect(await stored(`${ledgerId}-first`)).toEqual({ id: `${ledgerId}-first`, entry: 'first' });
    expect(await stored(`${ledgerId}-duplicate`)).toBeUndefined();
  });

  it('lets the cancellation reason tell a stale version from a failed condition of the caller', async () => {
    const id = newId();
    await write(id, 5, 'five');
    const stale = newerThan({ TableName: table, Key: { id }, version: 4 });
    const conditioned = newerThan({ TableName: table, Key: { id }, version: 6, ConditionExpression: 'attribute_not_exists(payload)' });

    const staleError = await rejected(documentClient.send(new TransactWriteCommand({ TransactItems: [stale] })));
    const conditionError = await rejected(documentClient.send(new TransactWriteCommand({ TransactItems: [conditioned] })));

    const reasonItem = (error: unknown): Parameters<typeof transactGuardFailure>[1] =>
      (error as { CancellationReasons?: { Item?: Parameters<typeof transactGuardFailure>[1] }[] }).CancellationReasons?.[0]?.Item;
    expect(transactGuardFailure(stale, reasonItem(staleError))).toEqual({ applied: false, reason: 'stale', currentVersion: '5' });
    expect(transactGuardFailure(conditioned, reasonItem(conditionError))).toBeUndefined();
  });

  it('guards later applyIfNewer calls with the version it wrote (client passed first, as to applyIfNewer)', async () => {
    const id = newId();
    await documentClient.send(
      new TransactWriteCommand({ TransactItems: [newerThan(client, { TableName: table, Key: { id }, version: 2 })] }),
    );

    await expect(write(id, 2, 'duplicate')).resolves.toEqual({ applied: false, reason: 'duplicate', currentVersion: '2' });
  });
});

describe('newerThan staged with commitWith', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  let records: string;
  beforeAll(async () => {
    records = await createTestTable('guard-records');
  });

  /** A projection that stages the guarded write and a ledger row, and returns what it staged. */
  function projector(name: string) {
    return makeIdempotent(
      async (event: { eventId: string; id: string; version: number; payload: string }) => {
        commitWith(
          newerThan({
            TableName: table,
            Key: { id: event.id },
            version: event.version,
            UpdateExpression: 'SET payload = :p',
            ExpressionAttributeValues: { ':p': event.payload },
          }),
          { Put: { TableName: table, Item: { id: `${event.id}-ledger-${event.eventId}`, payload: event.payload } } },
        );
        return event.payload;
      },
      { store: new DynamoDBStore({ tableName: records, client }), key: 'eventId', name, logger: quiet },
    );
  }

  it('a stale version is skipped, as applyIfNewer skips it: the rest commits and redeliveries replay', async () => {
    const id = newId();
    const project = projector(`stale-${id}`);
    await expect(project({ eventId: 'e5', id, version: 5, payload: 'five' })).resolves.toBe('five');
    await expect(project({ eventId: 'e4', id, version: 4, payload: 'four' })).resolves.toBe('four');
    await expect(project({ eventId: 'e4', id, version: 4, payload: 'four' })).resolves.toBe('four');
    expect(await storedVersion(id)).toBe('5');
    expect((await stored(id))?.['payload']).toBe('five');
    expect(await stored(`${id}-ledger-e4`)).toEqual({ id: `${id}-ledger-e4`, payload: 'four' });
  });

  it("the caller's own condition failing is still IdempotencyCommitConditionError, naming the write", async () => {
    const id = newId();
    await write(id, 1, 'one');
    const project = makeIdempotent(
      async (event: { eventId: string }) => {
        commitWith(newerThan({ TableName: table, Key: { id }, version: 2, ConditionExpression: 'attribute_not_exists(payload)' }));
        return event.eventId;
      },
      { store: new DynamoDBStore({ tableName: records, client }), key: 'eventId', name: `own-${id}`, logger: quiet },
    );
    const error = await rejected(project({ eventId: 'e2' }));
    expect(error).toBeInstanceOf(IdempotencyCommitConditionError);
    expect(error).toMatchObject({ itemIndex: 0, tableName: table });
  });
});

describe('an UpdateExpression that writes the version attribute itself', () => {
  it.each([
    ['SET of the attribute', 'SET payload = :payload, version = :mine', {}],
    ['SET through a placeholder', 'SET payload = :payload, #v = :mine', { '#v': 'version' }],
    ['ADD to it', 'SET payload = :payload ADD version :mine', {}],
    ['REMOVE of a path under it', 'SET payload = :payload REMOVE version.old', {}],
  ])('%s: IdempotencyConfigError naming it, and nothing is written', async (_label, UpdateExpression, names) => {
    const id = newId();
    const error = await applyIfNewer(client, {
      TableName: table,
      Key: { id },
      version: 2,
      UpdateExpression,
      ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
      ExpressionAttributeValues: { ':payload': 'p', ':mine': 7 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(
      /^`UpdateExpression` writes the version attribute "version" \(".*"\), which applyIfNewer writes itself/,
    );
    expect(await stored(id)).toBeUndefined();
  });

  it('newerThan refuses it when staged, before anything is sent', () => {
    expect(() =>
      newerThan({
        TableName: table,
        Key: { id: newId() },
        version: 2,
        UpdateExpression: 'SET version = :mine',
        ExpressionAttributeValues: { ':mine': 7 },
      }),
    ).toThrow(/writes the version attribute "version" \("version"\), which newerThan writes itself/);
  });

  it('reading the version on the right of a SET is not writing it', async () => {
    const id = newId();
    await expect(
      applyIfNewer(client, {
        TableName: table,
        Key: { id },
        version: 2,
        UpdateExpression: 'SET previous = if_not_exists(version, :zero)',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    ).resolves.toMatchObject({ applied: true });
  });
});
