/**
 * The item a completion leaves: a completion no longer removes the result, its encoding and its chunk count
 * (a record in progress never holds them), and no longer writes the defaults (`outcome: 'value'`,
 * `resultEncoding: 'text'`). The item it leaves is the one the previous version's completion left less
 * those defaults, and the record a reader sees is the same, whether the completion goes alone or in a batch,
 * and whatever the result's encoding (text, gzip, chunks).
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore } from '../../lib';
import { withWriteBatching } from '../../lib/persistence/coalesce';
import type { CompleteInput } from '../../lib/persistence/store';
import { createTestTable, dynamoClient } from '../helpers/local';

type Item = Record<string, AttributeValue>;

const COMPRESS_ABOVE = 100;
const NOW = Date.now();
const EXPIRES_AT = Math.floor(NOW / 1000) + 3_600;

let tableName: string;
let store: DynamoDBStore;
let sequence = 0;

beforeAll(async () => {
  tableName = await createTestTable('completion-item');
  store = new DynamoDBStore({ tableName, client: dynamoClient(), compressAboveBytes: COMPRESS_ABOVE });
});

/** A claimed record of a fresh key, with a step checkpoint when asked. */
async function claimed(withStep: boolean): Promise<{ key: string; token: string }> {
  sequence += 1;
  const key = `completion-item-${sequence}`;
  const token = `token-${sequence}`;
  await store.claim({ key, token, now: NOW, leaseUntil: NOW + 30_000, expiresAt: EXPIRES_AT });
  if (withStep) await store.checkpoint({ key, token, step: 'charge', checkpoint: { state: 'done', result: '"ok"' } });
  return { key, token };
}

function completion(key: string, token: string, result: string, outcome: 'value' | 'error' = 'value'): CompleteInput {
  return { key, token, result, outcome, expiresAt: EXPIRES_AT, writes: [], now: NOW };
}

/**
 * The previous version's completion, as it was sent: the new attributes set, and the steps removed with
 * every attribute of a result that the new encoding does not set (the result, its encoding, its chunk count).
 */
async function previousVersionComplete(key: string, token: string, encoded: Item, outcome = 'value'): Promise<void> {
  const names: Record<string, string> = { '#status': 'status', '#ttl': 'expiration', '#outcome': 'outcome', '#lease': 'leaseUntil' };
  const values: Item = {
    ':completed': { S: 'COMPLETED' },
    ':exp': { N: String(EXPIRES_AT) },
    ':outcome': { S: outcome },
    ':zero': { N: '0' },
    ':token': { S: token },
    ':inProgress': { S: 'INPROGRESS' },
  };
  const set = ['#status = :completed', '#ttl = :exp', '#outcome = :outcome', '#lease = :zero'];
  for (const [name, value] of Object.entries(encoded)) {
    set.push(`#${name} = :${name}`);
    names[`#${name}`] = name;
    values[`:${name}`] = value;
  }
  const removed = ['steps', ...['result', 'resultEncoding', 'resultChunks'].filter((name) => !(name in encoded))];
  for (const name of removed) names[`#${name}`] = name;
  names['#token'] = 'token';
  await dynamoClient().send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { id: { S: key } },
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${removed.map((name) => `#${name}`).join(', ')}`,
      ConditionExpression: '#token = :token AND #status = :inProgress',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

async function storedItem(key: string): Promise<Item> {
  const output = await dynamoClient().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }));
  return output.Item ?? {};
}

/** The item without what differs from key to key (the key and the token). */
function shape(item: Item): Item {
  const { id: _id, token: _token, ...rest } = item;
  return rest;
}

/** The previous version's result attributes for what the new one stored (it wrote `resultEncoding: 'text'`). */
function previousEncoding(item: Item): Item {
  const { result, resultEncoding, resultChunks } = item;
  return {
    ...(result ? { result } : {}),
    resultEncoding: resultEncoding ?? { S: 'text' },
    ...(resultChunks ? { resultChunks } : {}),
  };
}

/** The previous version's item less the defaults the new one leaves out. */
function withoutDefaults(item: Item): Item {
  const copy = { ...item };
  if (copy['outcome']?.S === 'value') delete copy['outcome'];
  if (copy['resultEncoding']?.S === 'text') delete copy['resultEncoding'];
  return copy;
}

/** What a reader sees of `key`, less the key and the token. */
async function record(key: string): Promise<object | undefined> {
  const found = await store.get(key, NOW);
  if (!found) return undefined;
  const { key: _key, token: _token, ...rest } = found;
  return rest;
}

const RESULTS: readonly [string, string][] = [
  ['a text result', JSON.stringify({ order: 'o-1', total: 12 })],
  ['a gzipped result', JSON.stringify({ lines: 'x'.repeat(5_000) })],
];

describe('a completion leaves the item the previous version left, less the defaults, and reads the same', () => {
  it.each(RESULTS)('alone, %s, with a step checkpoint', async (_name, result) => {
    const ours = await claimed(true);
    const previous = await claimed(true);
    await store.complete(completion(ours.key, ours.token, result));
    const item = shape(await storedItem(ours.key));
    await previousVersionComplete(previous.key, previous.token, previousEncoding(item));
    expect(item).toEqual(withoutDefaults(shape(await storedItem(previous.key))));
    expect(item['steps']).toBeUndefined();
    expect(await record(ours.key)).toEqual(await record(previous.key));
    await expect(store.get(ours.key, NOW)).resolves.toMatchObject({ status: 'COMPLETED', outcome: 'value', result, steps: {} });
  });

  it.each(RESULTS)('in a batch, %s', async (_name, result) => {
    const ours = await Promise.all([claimed(false), claimed(true)]);
    const previous = await claimed(false);
    await withWriteBatching(() => Promise.all(ours.map(({ key, token }) => store.complete(completion(key, token, result)))));
    const item = shape(await storedItem(ours[0]?.key ?? ''));
    await previousVersionComplete(previous.key, previous.token, previousEncoding(item));
    expect(item).toEqual(withoutDefaults(shape(await storedItem(previous.key))));
    expect(shape(await storedItem(ours[1]?.key ?? ''))).toEqual(item);
    for (const { key } of ours) expect(await record(key)).toEqual(await record(previous.key));
  });

  it('alone, a result in chunks', async () => {
    // Random bytes compress badly: the gzipped result is larger than one chunk (350 KB).
    const result = JSON.stringify(randomBytes(450_000).toString('base64'));
    const ours = await claimed(true);
    const previous = await claimed(true);
    await store.complete(completion(ours.key, ours.token, result));
    const item = shape(await storedItem(ours.key));
    expect(item['resultEncoding']).toEqual({ S: 'gzip-chunks' });
    await previousVersionComplete(previous.key, previous.token, previousEncoding(item));
    expect(item).toEqual(withoutDefaults(shape(await storedItem(previous.key))));
    await expect(store.get(ours.key, NOW)).resolves.toMatchObject({ status: 'COMPLETED', outcome: 'value', result, steps: {} });
  });

  it.each([false, true])('a cached error keeps its outcome (in a batch: %s)', async (batched) => {
    const ours = await Promise.all([claimed(false), claimed(false)]);
    const previous = await claimed(false);
    const error = JSON.stringify({ name: 'Error', message: 'declined' });
    const complete = (): Promise<unknown> =>
      Promise.all(ours.map(({ key, token }) => store.complete(completion(key, token, error, 'error'))));
    await (batched ? withWriteBatching(complete) : complete());
    const item = shape(await storedItem(ours[0]?.key ?? ''));
    expect(item['outcome']).toEqual({ S: 'error' });
    await previousVersionComplete(previous.key, previous.token, previousEncoding(item), 'error');
    expect(item).toEqual(withoutDefaults(shape(await storedItem(previous.key))));
    expect(await record(ours[0]?.key ?? '')).toEqual(await record(previous.key));
  });
});

describe('a completed record put without a claim (optimistic mode) reads as before', () => {
  it.each([false, true])('in a batch: %s', async (batched) => {
    const keys = [`put-${(sequence += 1)}`, `put-${(sequence += 1)}`];
    const put = (): Promise<unknown> => Promise.all(keys.map((key) => store.putCompleted(completion(key, `token-${key}`, '{"ok":true}'))));
    await (batched ? withWriteBatching(put) : put());
    for (const key of keys) {
      expect(shape(await storedItem(key))).toEqual({
        status: { S: 'COMPLETED' },
        expiration: { N: String(EXPIRES_AT) },
        leaseUntil: { N: '0' },
        result: { S: '{"ok":true}' },
      });
      await expect(store.get(key, NOW)).resolves.toMatchObject({ status: 'COMPLETED', outcome: 'value', result: '{"ok":true}', steps: {} });
    }
  });
});
