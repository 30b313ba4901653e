/**
 * The switch from Powertools idempotency (docs/migrating-from-powertools.md), against DynamoDB Local: the
 * Powertools version (the real `@aws-lambda-powertools/idempotency`) and the new version of the guide's
 * example (docs/examples/migrate-powertools-switch.ts, imported as it is) share one table.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent as makePowertoolsIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import ts from 'typescript';
import * as library from '../../lib';
import { hashValue } from '../../lib/keys/hash';
import { createLambdaContext } from '../../lib/testing';
import { createTestTable, dynamoClient } from '../helpers/local';

type OrderEvent = { orderId: string; customerId: string; amountCents: number };
type Example = typeof import('../../docs/examples/migrate-powertools-switch');

const FUNCTION_NAME = 'orders';
let tableName: string;
let example: Example;
const newCharges: string[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  tableName = await createTestTable('powertools');
  // What the Lambda environment gives both versions: the function name (Powertools' key prefix), the table,
  // and here the local endpoint and credentials for the clients both libraries create by default.
  Object.assign(process.env, {
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
    IDEMPOTENCY_TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: process.env['EO_DYNAMODB_ENDPOINT'],
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  // The example's `declare function chargeOrder`: the new version's own work.
  Object.assign(globalThis, {
    chargeOrder: async (order: OrderEvent) => {
      newCharges.push(order.orderId);
      return { chargeId: `new-${order.orderId}` };
    },
  });
  example = loadExample();
});

afterAll(() => {
  process.env = savedEnv;
  delete (globalThis as { chargeOrder?: unknown }).chargeOrder;
});

/**
 * The guide's example as a user's build would run it: transpiled to CommonJS, with `effectively-once` (which
 * it imports by name, as users do) resolved to the sources under test and every other import to the
 * installed package.
 */
function loadExample(): Example {
  const path = resolve(__dirname, '../../docs/examples/migrate-powertools-switch.ts');
  const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: path,
  });
  const module = { exports: {} as Example };
  const requireFromExample = (id: string): unknown => (id === 'effectively-once' ? library : jest.requireActual(id));
  // Compiled in this test's realm, so that it sees this test's `process.env` and `chargeOrder`.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiles the guide's example, as said above
  new Function('exports', 'require', 'module', outputText)(module.exports, requireFromExample, module);
  return module.exports;
}

/** The Powertools version of the handler, as it ran before the switch; `work` is its charge. */
function powertoolsVersion(work: (order: OrderEvent) => Promise<{ chargeId: string }>) {
  return makePowertoolsIdempotent(async (order: OrderEvent, _context: Context) => work(order), {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoClient() }),
    config: new IdempotencyConfig({ eventKeyJmesPath: 'orderId' }),
  });
}

const order = (orderId: string): OrderEvent => ({ orderId, customerId: 'c-1', amountCents: 1200 });

/** The status of the new version's record of `orderId` (its default name: `<function>.anonymous`). */
async function newRecordStatus(orderId: string): Promise<string | undefined> {
  const out = await dynamoClient().send(
    new GetItemCommand({
      TableName: tableName,
      Key: { id: { S: `${FUNCTION_NAME}.anonymous#${hashValue(orderId)}` } },
      ConsistentRead: true,
    }),
  );
  return out.Item?.['status']?.S;
}

describe('switching a live function from Powertools, both versions on one table', () => {
  it('replays to a duplicate the response the Powertools version stored, without running the work again', async () => {
    await powertoolsVersion(async ({ orderId }) => ({ chargeId: `old-${orderId}` }))(order('o-old'), createLambdaContext());

    await expect(example.handler(order('o-old'), createLambdaContext())).resolves.toEqual({ chargeId: 'old-o-old' });

    expect(newCharges).not.toContain('o-old');
    await expect(newRecordStatus('o-old')).resolves.toBe('COMPLETED'); // the next duplicate needs no Powertools read
  });

  it('refuses an order the Powertools version is still running, and keeps no record of its own', async () => {
    let finish!: () => void;
    const running = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const inProgress = new Promise<void>((resolve) => (started = resolve));
    const old = powertoolsVersion(async ({ orderId }) => {
      started();
      await running;
      return { chargeId: `old-${orderId}` };
    })(order('o-busy'), createLambdaContext({ timeoutMs: 60_000 }));
    await inProgress;

    await expect(example.handler(order('o-busy'), createLambdaContext())).rejects.toThrow(
      'The previous version is still processing order o-busy; retry later',
    );
    finish();
    await old;

    expect(newCharges).not.toContain('o-busy');
    await expect(newRecordStatus('o-busy')).resolves.toBeUndefined();
  });

  it('runs an order the Powertools version never saw through the new version once', async () => {
    const first = await example.handler(order('o-new'), createLambdaContext());
    const duplicate = await example.handler(order('o-new'), createLambdaContext());

    expect([first, duplicate]).toEqual([{ chargeId: 'new-o-new' }, { chargeId: 'new-o-new' }]);
    expect(newCharges.filter((id) => id === 'o-new')).toHaveLength(1);
  });

  it('keeps the two libraries apart in one table: one order has a record of each, under keys that never meet', async () => {
    await powertoolsVersion(async ({ orderId }) => ({ chargeId: `old-${orderId}` }))(order('o-both'), createLambdaContext());
    await example.handler(order('o-both'), createLambdaContext());

    const out = await dynamoClient().send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    const ids = (out.Items ?? []).map((item) => String(item['id']?.S));
    // Powertools: `<function name>#<base64 MD5 of the JSON key>`; ours: `<name>#<hex SHA-256>`.
    const powertoolsId = `${FUNCTION_NAME}#${createHash('md5').update(JSON.stringify('o-both')).digest('base64')}`;
    expect(ids).toEqual(expect.arrayContaining([powertoolsId, `${FUNCTION_NAME}.anonymous#${hashValue('o-both')}`]));
    expect(ids.filter((id) => !/^orders#[A-Za-z0-9+/]{22}==$/.test(id) && !/^orders\.anonymous#[0-9a-f]{64}$/.test(id))).toEqual([]);
  });
});

describe('what the guide says of a missing key', () => {
  type Partial = { orderId?: string; customerId?: string; n: number };
  let ownTable: string;
  beforeAll(async () => {
    ownTable = await createTestTable('missing-key');
  });

  it('Powertools (throwOnNoIdempotencyKey: false, its default) hashes a list of missing fields as it is: two different events share one record', async () => {
    let runs = 0;
    const handler = makePowertoolsIdempotent(async (event: Partial, _context: Context) => ({ run: (runs += 1), n: event.n }), {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: ownTable, awsSdkV3Client: dynamoClient() }),
      config: new IdempotencyConfig({ eventKeyJmesPath: '[orderId, customerId]' }),
      keyPrefix: 'missing-key',
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const first = await handler({ n: 1 }, createLambdaContext());
    const second = await handler({ n: 2 }, createLambdaContext());
    warn.mockRestore();

    expect([first, second]).toEqual([
      { run: 1, n: 1 },
      { run: 1, n: 1 },
    ]);
  });

  it('effectively-once refuses it by default with IdempotencyKeyError', async () => {
    const handler = library.makeIdempotent(async (event: Partial) => event.n, {
      store: new library.DynamoDBStore({ tableName: ownTable, client: dynamoClient() }),
      key: '[orderId, customerId]',
      name: 'missing-key',
    });

    await expect(handler({ n: 1 })).rejects.toThrow(library.IdempotencyKeyError);
  });
});
