/**
 * Every file of docs/examples runs, not only compiles: each is loaded with no table name set (a store at
 * module level must not throw at import), then run against DynamoDB Local and fauxqs (jest's globalSetup)
 * with the functions it `declare`s as "yours" supplied as fakes on `globalThis`. CDK apps are synthesized,
 * laid out as the user's `bin/app.ts`. The ES module example and those that start their own fauxqs run in a
 * child `tsx` process (fauxqs and @middy/core are ESM-only, which jest's sandbox cannot load).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, GetItemCommand, PutItemCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import fc from 'fast-check';
import { commitWith, DynamoDBStore, InMemoryStore, makeIdempotent, processSqsBatch, type SqsEvent } from '../../lib';
import { createLambdaContext, type LocalSqs } from '../../lib/testing';
import { httpApiEvent } from '../helpers/http-events';
import { createTestTable, dynamoClient, newDynamoClient, newSqsClient } from '../helpers/local';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events';

const root = resolve(__dirname, '../..');
const examples = join(root, 'docs/examples');
const run = promisify(execFile);
const g = globalThis as Record<string, unknown>;

/**
 * Loads an example as jest loads a test's import (ts-jest, `effectively-once` mapped to the sources), with
 * its own copy of the library: each example is a Lambda function of its own, so two examples' unnamed
 * handlers do not meet in one registry of default names.
 */
function load<T>(file: string): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = require(join(examples, file)) as T; // eslint-disable-line @typescript-eslint/no-require-imports -- loaded at run time, once per test
  });
  return loaded as T;
}

/** How each example runs; a file without an entry fails the first test. */
const HOW: Record<string, string> = {
  'quick-start.ts': 'handler called twice: charged once, the result replayed',
  'quick-start-middy.mts': 'tsx child: the middy handler called twice',
  'quick-start-testing.ts': 'chargesOnce() (assertIdempotent on InMemoryStore)',
  'quick-start-constructs.ts': 'synthesized as bin/app.ts',
  'decorator.ts': 'handler called twice',
  'steps.ts': 'handler called twice: each step once',
  'commit-with.ts': 'handler called twice: the transfer committed once',
  'complete-step.ts': 'reconcile() on a record left in progress',
  'durable-functions.ts': 'loaded (the durable execution wrapper needs the Lambda durable runtime)',
  'http-handler.ts': 'handler called twice with one Idempotency-Key',
  'http-scope.ts': 'loaded (same adapter as http-handler.ts, with a scope)',
  'sqs-consumer.ts': 'a batch delivered twice: committed once',
  'sqs-visibility.ts': 'loaded (options only)',
  'kinesis-consumer.ts': 'loaded (a fragment; stream consumers run in test/integration/streams*.test.ts)',
  'sequence-guard.ts': 'loaded (a fragment; the pattern runs in test/integration/streams-patterns.test.ts)',
  'metrics-emf.ts': 'handler called: EMF lines on stdout',
  'metrics-powertools.ts': 'loaded (a fragment of metrics-emf.ts with a Powertools Metrics)',
  'migrate-powertools-before.ts': 'loaded (the Powertools handler migrated from)',
  'migrate-powertools-after.ts': 'loaded (test/integration/powertools-migration.test.ts runs the switch)',
  'migrate-powertools-switch.ts': 'loaded (test/integration/powertools-migration.test.ts runs the switch)',
  'cdk-app.ts': 'synthesized as bin/app.ts',
  'cdk-existing-table.ts': 'existingTables() in a stack',
  'cdk-multi-region.ts': 'synthesized as bin/app.ts',
  'cdk-provisioned-pollers.ts': 'burstyConsumer() in a stack, as a bin/ file',
  'jest-global-setup.ts': 'tsx child: globalSetup() starts both servers, then they are stopped',
  'testing-local-servers.ts': 'tsx child: withLocalServers()',
  'testing-event-source.ts': 'drain() of a queue on the globalSetup fauxqs',
  'testing-with-faults.ts': 'underFaults() around a handler on DynamoDB Local',
  'assert-idempotent.ts': 'handlerIsIdempotent() with a real handler and ledger on DynamoDB Local',
  'assert-idempotent-recover.ts': 'survivesDyingCalls() with an in-memory store',
  'cdk-valkey.ts': 'valkeyFor() in a stack with a VPC',
  'valkey-store.ts': 'not run here: its client connects to VALKEY_HOST when loaded (the Valkey suites run ValkeyStore)',
  'assert-idempotent-sqs.ts': 'consumerIsIdempotent() with processSqsBatch on DynamoDB Local',
  'outbox-publish.ts': 'loaded (the outbox runs end to end in test/integration/outbox*.test.ts)',
  'outbox-consumer.ts': 'loaded (the outbox runs end to end in test/integration/outbox*.test.ts)',
  'outbox-relay-cdk.ts':
    'loaded: it builds its app at load, bundling both handlers (OutboxRelay is synthesized in test/constructs/outbox-relay.test.ts)',
};

let table: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  delete process.env.IDEMPOTENCY_TABLE_NAME;
  // Stores made with `new DynamoDBStore()` use the SDK's default client: point it at DynamoDB Local.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.EO_DYNAMODB_ENDPOINT;
  process.env.AWS_ENDPOINT_URL_SQS = process.env.EO_SQS_ENDPOINT;
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:bundling-stacks': [] }); // synth without esbuild
});

afterAll(() => {
  process.env = savedEnv;
});

describe('docs/examples', () => {
  it('each has a way to run here', () => {
    const files = readdirSync(examples).filter((f) => /\.m?ts$/.test(f));
    expect(files.filter((f) => HOW[f] === undefined)).toEqual([]);
    expect(Object.keys(HOW).filter((f) => !files.includes(f))).toEqual([]);
  });

  it('each loads with no table name set: a store at module level never throws at import', () => {
    // What the examples `declare` as yours, some of it referenced at module level (never called on load).
    for (const file of Object.keys(HOW)) {
      for (const [, name] of readFileSync(join(examples, file), 'utf8').matchAll(/^declare (?:function|const) (\w+)/gm)) {
        g[name as string] ??= () => {
          throw new Error(`${name as string}: yours, not called while loading ${file}`);
        };
      }
    }
    for (const file of Object.keys(HOW).filter((f) => f.endsWith('.ts') && !HOW[f]?.startsWith('not run'))) {
      expect(() => load(file)).not.toThrow();
    }
  });
});

describe('docs/examples, run against the local servers', () => {
  beforeAll(async () => {
    table = await createTestTable('examples');
    process.env.IDEMPOTENCY_TABLE_NAME = table; // read on first use by the stores the examples made at import
  });

  it('quick-start.ts: a duplicate is charged once and gets the stored result', async () => {
    const charges: string[] = [];
    g.chargeCard = async (event: { orderId: string }) => void charges.push(event.orderId);
    const { handler } = load<{ handler: (e: { orderId: string; amount: number }) => Promise<unknown> }>('quick-start.ts');
    const event = { orderId: `qs-${Date.now()}`, amount: 42 };
    expect(await handler(event)).toEqual({ charged: 42 });
    expect(await handler(event)).toEqual({ charged: 42 });
    expect(charges).toEqual([event.orderId]);
  });

  it('decorator.ts: the decorated method charges once', async () => {
    const charged: string[] = [];
    g.provider = { charge: async (e: { paymentId: string }) => (charged.push(e.paymentId), { chargeId: `ch-${e.paymentId}` }) };
    const { handler } = load<{ handler: (e: unknown, c: unknown) => Promise<unknown> }>('decorator.ts');
    const event = { paymentId: `dec-${Date.now()}`, amountCents: 5 };
    await expect(handler(event, createLambdaContext())).resolves.toEqual({ chargeId: `ch-${event.paymentId}` });
    await expect(handler(event, createLambdaContext())).resolves.toEqual({ chargeId: `ch-${event.paymentId}` });
    expect(charged).toEqual([event.paymentId]);
  });

  it('steps.ts: each step runs once, the charge with a stable downstream key', async () => {
    const keys: string[] = [];
    const receipts: string[] = [];
    g.payments = {
      charge: async (_o: unknown, { idempotencyKey }: { idempotencyKey: string }) => (keys.push(idempotencyKey), { id: 'ch-1' }),
    };
    g.mailer = { sendReceipt: async (o: { orderId: string }) => void receipts.push(o.orderId) };
    const { handler } = load<{ handler: (o: { orderId: string; amountCents: number }) => Promise<unknown> }>('steps.ts');
    const order = { orderId: `steps-${Date.now()}`, amountCents: 100 };
    expect(await handler(order)).toEqual({ chargeId: 'ch-1' });
    expect(await handler(order)).toEqual({ chargeId: 'ch-1' });
    expect([keys.length, receipts]).toEqual([1, [order.orderId]]);
  });

  it('commit-with.ts: the transfer is committed once with the record', async () => {
    await createTable('accounts');
    const { handler } = load<{ handler: (t: { transferId: string; from: string; to: string; amount: number }) => Promise<unknown> }>(
      'commit-with.ts',
    );
    const from = `acct-${Date.now()}-a`;
    const to = `acct-${Date.now()}-b`;
    await dynamoClient().send(new PutItemCommand({ TableName: 'accounts', Item: { id: { S: from }, balance: { N: '100' } } }));
    const transfer = { transferId: `tr-${Date.now()}`, from, to, amount: 30 };
    expect(await handler(transfer)).toEqual({ ok: true });
    expect(await handler(transfer)).toEqual({ ok: true });
    expect(await balance('accounts', from)).toBe('70');
    expect(await balance('accounts', to)).toBe('30');
  });

  it('complete-step.ts: reconcile() completes the step, then releases the record', async () => {
    g.sendMoney = async () => ({ receipt: 'never called' });
    const { reconcile } = load<{ reconcile: () => Promise<void> }>('complete-step.ts');
    await expect(reconcile()).resolves.toBeUndefined();
  });

  it('http-handler.ts: a retried POST with the same Idempotency-Key creates one order', async () => {
    let created = 0;
    g.createOrder = async () => ({ statusCode: 201, body: JSON.stringify({ order: (created += 1) }) });
    const { handler } = load<{ handler: (e: unknown, c: unknown) => Promise<{ statusCode?: number; body?: string }> }>('http-handler.ts');
    const event = httpPost(`key-${Date.now()}`);
    const first = await handler(event, createLambdaContext());
    const second = await handler(event, createLambdaContext());
    expect([first.statusCode, second.statusCode, second.body, created]).toEqual([201, 201, first.body, 1]);
  });

  it('sqs-consumer.ts: a batch delivered twice adds to the customer once', async () => {
    process.env.ORDERS_TABLE_NAME = await createTestTable('orders');
    const { handler } = load<{ handler: (e: SqsEvent, c: unknown) => Promise<{ batchItemFailures: unknown[] }> }>('sqs-consumer.ts');
    const customer = `c-${Date.now()}`;
    const event = sqsEvent([sqsRecord({ body: JSON.stringify({ orderId: `o-${Date.now()}`, customerId: customer, amountCents: 250 }) })]);
    expect(await handler(event, createLambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await handler(event, createLambdaContext())).toEqual({ batchItemFailures: [] });
    const item = await dynamoClient().send(
      new GetItemCommand({ TableName: process.env.ORDERS_TABLE_NAME, Key: { id: { S: `customer#${customer}` } } }),
    );
    expect(item.Item).toMatchObject({ orderCount: { N: '1' }, totalCents: { N: '250' } });
  });

  it('metrics-emf.ts: the handler runs and writes EMF lines', async () => {
    g.chargeCard = async () => undefined;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { handler } = load<{ handler: (e: { orderId: string; amount: number }) => Promise<unknown> }>('metrics-emf.ts');
      const event = { orderId: `emf-${Date.now()}`, amount: 3 };
      await handler(event);
      await handler(event);
      expect(write.mock.calls.map(([line]) => String(line)).join('')).toContain('"Namespace":"Orders"');
    } finally {
      write.mockRestore();
    }
  });

  it('testing-with-faults.ts: underFaults() injects faults into a handler on DynamoDB Local', async () => {
    const { underFaults } = load<{ underFaults: typeof import('../../docs/examples/testing-with-faults').underFaults }>(
      'testing-with-faults.ts',
    );
    const injected = await underFaults(process.env.EO_DYNAMODB_ENDPOINT as string, async (client) => {
      const handler = makeIdempotent(async (e: { id: string }) => e.id, {
        store: new DynamoDBStore({ client }),
        key: 'id',
        name: 'faults',
      });
      for (let i = 0; i < 20; i += 1) await expect(handler({ id: `f-${Date.now()}-${i}` })).resolves.toMatch(/^f-/);
    });
    expect(injected.requests).toBeGreaterThanOrEqual(40);
  });

  it('quick-start-testing.ts: chargesOnce() passes', async () => {
    await expect(load<{ chargesOnce: () => Promise<void> }>('quick-start-testing.ts').chargesOnce()).resolves.toBeUndefined();
  });

  it('assert-idempotent.ts: handlerIsIdempotent() passes for a handler whose ledger row is a commitWith write', async () => {
    const ledger = await createTestTable('ledger');
    const charges = new Map<string, number>();
    g.dynamoClient = dynamoClient();
    g.handler = makeIdempotent(
      async (p: { paymentId: string; amountCents: number }) => {
        charges.set(p.paymentId, (charges.get(p.paymentId) ?? 0) + 0); // the fake PSP below is keyed: see fakePsp
        commitWith({ Put: { TableName: ledger, Item: { id: p.paymentId, amountCents: p.amountCents } } });
        return { ok: true };
      },
      { store: new DynamoDBStore({ client: dynamoClient(), tableName: table }), key: 'paymentId', name: `ai-${Date.now()}` },
    );
    g.readLedgerEntries = async (id: string) => {
      const item = await dynamoClient().send(new GetItemCommand({ TableName: ledger, Key: { id: { S: id } } }));
      return item.Item === undefined ? [] : [item.Item];
    };
    g.emptyTables = async () => undefined; // each input is a new paymentId, and its rows are read by id
    g.fakePsp = { chargesFor: () => [], clear: async () => undefined };
    const { handlerIsIdempotent } = load<{ handlerIsIdempotent: () => Promise<void> }>('assert-idempotent.ts');
    await expect(handlerIsIdempotent()).resolves.toBeUndefined();
  }, 120_000);

  it('assert-idempotent-recover.ts: survivesDyingCalls() passes when recover advances the clock', async () => {
    const ledger = new Map<string, number>();
    let current = new InMemoryStore();
    // The example builds its handler once on `store`: a store that `reset` empties.
    g.store = new Proxy(current, { get: (_target, name) => Reflect.get(current, name, current) as unknown });
    g.client = dynamoClient();
    g.work = async (o: { orderId: string }) => (ledger.set(o.orderId, 1), 'done');
    g.inputs = fc.record({ orderId: fc.uuid() });
    g.snapshot = async (o: { orderId: string }) => ledger.get(o.orderId) ?? 0;
    g.reset = async () => {
      ledger.clear();
      current = new InMemoryStore();
    };
    const { survivesDyingCalls } = load<{ survivesDyingCalls: () => Promise<void> }>('assert-idempotent-recover.ts');
    await expect(survivesDyingCalls()).resolves.toBeUndefined();
  });

  it('assert-idempotent-sqs.ts: consumerIsIdempotent() passes for a processSqsBatch consumer', async () => {
    const client = newDynamoClient(); // its own: the kit's crash points are a middleware on it
    const seen = new Map<string, number>();
    const store = new DynamoDBStore({ client, tableName: table });
    let now = Date.now();
    g.consumer = (event: SqsEvent) =>
      // An upsert keyed by the event (repeating it changes nothing): a plain counter here would be caught
      // repeating after a crash before the completion, as it should.
      processSqsBatch<{ eventId: string }>(event, async (_r, { body }) => void seen.set(body.eventId, 1), {
        store,
        key: (_r, { body }) => body.eventId,
        name: 'examples-sqs',
        clock: () => now,
      });
    g.sqsEventOf = (e: unknown) => sqsEvent([sqsRecord({ body: JSON.stringify(e) })]);
    g.client = client;
    g.inputs = fc.record({ eventId: fc.uuid(), amountCents: fc.integer({ min: 1, max: 100 }) });
    g.snapshot = async (e: { eventId: string }, { namespace }: { namespace: string }) => seen.get(`${namespace}-${e.eventId}`) ?? 0;
    g.recover = () => {
      now += 61_000; // past the lease (60 s) and the clock skew allowance: a crashed delivery's lease ends
    };
    try {
      const { consumerIsIdempotent } = load<{ consumerIsIdempotent: () => Promise<void> }>('assert-idempotent-sqs.ts');
      await expect(consumerIsIdempotent()).resolves.toBeUndefined();
    } finally {
      client.destroy();
    }
  }, 120_000);

  it('testing-event-source.ts: drain() delivers every message of a queue to the handler', async () => {
    const client = newSqsClient();
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `examples-${Date.now()}` }));
    for (let i = 0; i < 5; i += 1) await client.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    const bodies: string[] = [];
    const sqs = { endpoint: process.env.EO_SQS_ENDPOINT, client, stop: async () => undefined } as unknown as LocalSqs;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { drain } = load<{ drain: typeof import('../../docs/examples/testing-event-source').drain }>('testing-event-source.ts');
      await drain(sqs, QueueUrl as string, async (event) => void bodies.push(...event.Records.map((r) => r.body)));
    } finally {
      log.mockRestore();
    }
    client.destroy();
    expect(bodies.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('docs/examples: CDK apps synthesize, laid out as your bin/app.ts', () => {
  const app = join(root, '.tmp/examples-run');

  beforeAll(() => {
    rmSync(app, { recursive: true, force: true });
    for (const entry of ['handlers/order-consumer.ts', 'src/shipments-consumer.ts']) {
      mkdirSync(dirname(join(app, entry)), { recursive: true });
      writeFileSync(join(app, entry), 'export const handler = async (): Promise<void> => undefined;\n');
    }
    mkdirSync(join(app, 'bin'), { recursive: true });
  });

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const asBinFile = <T>(file: string): T => {
    cpSync(join(examples, file), join(app, 'bin', file));
    return require(join(app, 'bin', file)) as T; // eslint-disable-line @typescript-eslint/no-require-imports -- the copy made just above
  };

  it.each(['quick-start-constructs.ts', 'cdk-app.ts', 'cdk-multi-region.ts'])('%s: createApp().synth()', (file) => {
    const assembly = asBinFile<{ createApp: () => App }>(file).createApp().synth();
    expect(assembly.stacks.length).toBeGreaterThan(0);
  });

  it('cdk-provisioned-pollers.ts: burstyConsumer(stack) synthesizes', () => {
    const stack = new Stack(new App(), 'Bursty');
    asBinFile<{ burstyConsumer: (s: Stack) => unknown }>('cdk-provisioned-pollers.ts').burstyConsumer(stack);
    expect(JSON.stringify(App.of(stack)?.synth().getStackByName('Bursty').template)).toContain('"MinimumPollers":5');
  });

  it('cdk-valkey.ts: valkeyFor() wires a serverless Valkey cache to a function in a VPC', () => {
    const stack = new Stack(new App(), 'Valkey', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const functionSg = new ec2.SecurityGroup(stack, 'FnSg', { vpc });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('x'),
      vpc,
      securityGroups: [functionSg],
    });
    load<{ valkeyFor: (s: Stack, v: ec2.IVpc, f: lambda.Function, g: ec2.ISecurityGroup) => void }>('cdk-valkey.ts').valkeyFor(
      stack,
      vpc,
      fn,
      functionSg,
    );
    expect(JSON.stringify(App.of(stack)?.synth().getStackByName('Valkey').template)).toContain('"Engine":"valkey"');
  });

  it('cdk-existing-table.ts: existingTables() imports three tables and configures a function', () => {
    const stack = new Stack(new App(), 'Existing', { env: { account: '123456789012', region: 'eu-west-1' } });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('x'),
    });
    const tables = load<{ existingTables: (s: Stack, f: lambda.Function, k: kms.IKey) => unknown[] }>(
      'cdk-existing-table.ts',
    ).existingTables(stack, fn, new kms.Key(stack, 'Key'));
    expect(tables).toHaveLength(3);
  });
});

describe('docs/examples that need a real Node process (ES modules), run with tsx', () => {
  const scripts = join(root, '.tmp/examples-tsx');
  beforeAll(() => mkdirSync(scripts, { recursive: true }));
  afterAll(() => rmSync(scripts, { recursive: true, force: true }));

  /** Runs `code` as an ES module in a child tsx process (`effectively-once` resolved by tsconfig.json's paths). */
  const tsx = async (name: string, code: string): Promise<{ stdout: string }> => {
    const file = join(scripts, `${name}.mts`);
    writeFileSync(file, code);
    return run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), '--tsconfig', join(root, 'tsconfig.json'), file], {
      cwd: root,
      env: process.env,
      timeout: 90_000,
    });
  };

  it('quick-start-middy.mts: the middy handler runs once per order', async () => {
    const { stdout } = await tsx(
      'example-1',
      `
      let calls = 0;
      globalThis.processOrder = async (e) => { calls += 1; return { charged: e.amount }; };
      const { handler } = await import('../../docs/examples/quick-start-middy.mts');
      const event = { orderId: 'middy-' + Date.now(), amount: 7 };
      const context = { getRemainingTimeInMillis: () => 30000 };
      const results = [await handler(event, context), await handler(event, context)];
      console.log(JSON.stringify({ results, calls }));
    `,
    );
    expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({ results: [{ charged: 7 }, { charged: 7 }], calls: 1 });
  }, 120_000);

  it('jest-global-setup.ts: globalSetup() starts DynamoDB Local and fauxqs and publishes their endpoints', async () => {
    const { stdout } = await tsx(
      'example-2',
      `
      const { default: globalSetup } = await import('../../docs/examples/jest-global-setup.ts');
      await globalSetup();
      console.log(JSON.stringify({ dynamodb: process.env.DYNAMODB_ENDPOINT, sqs: process.env.SQS_ENDPOINT }));
      await Promise.all([globalThis.__LOCAL_SERVERS__.dynamodb.stop(), globalThis.__LOCAL_SERVERS__.sqs.stop()]);
    `,
    );
    expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({
      dynamodb: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      sqs: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  }, 120_000);

  it('testing-local-servers.ts: withLocalServers() starts both servers, creates a table and stops them', async () => {
    const { stdout } = await tsx(
      'example-3',
      `
      const { withLocalServers } = await import('../../docs/examples/testing-local-servers.ts');
      await withLocalServers();
    `,
    );
    expect(stdout).toMatch(/^table idempotency on http:\/\/127\.0\.0\.1:\d+, SQS on http:\/\/127\.0\.0\.1:\d+$/m);
  }, 120_000);
});

async function createTable(name: string): Promise<void> {
  try {
    await dynamoClient().send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

async function balance(tableName: string, id: string): Promise<string | undefined> {
  const item = await dynamoClient().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
  return item.Item?.['balance']?.N;
}

function httpPost(key: string): unknown {
  return httpApiEvent({ headers: { 'idempotency-key': key, 'content-type': 'application/json' }, body: '{"sku":"a"}' });
}
