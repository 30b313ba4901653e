import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { accessSync, chmodSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  createIdempotencyTable,
  localClientConfig,
  LocalServerError,
  startLocalDynamoDB,
  TestKitConfigError,
  TestKitDependencyError,
} from '../../lib/testing';
import type { LocalDynamoDB } from '../../lib/testing';
import { findFreePort } from '../../lib/testing/local-server';
import { createTestTable, dynamoClient } from '../helpers/local';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The absolute path of the `java` found on the PATH. */
function javaOnPath(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '')) {
    const path = join(dir, 'java');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  throw new Error('no java on the PATH');
}

describe('startLocalDynamoDB', () => {
  let second: LocalDynamoDB | undefined;

  afterEach(async () => {
    await second?.stop();
    second = undefined;
  });

  it('starts a second, separate DynamoDB Local that answers on its own endpoint', async () => {
    second = await startLocalDynamoDB();

    expect(second.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(second.endpoint).not.toBe(process.env.EO_DYNAMODB_ENDPOINT);
    await expect(second.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
  });

  it('listens on the port it picked when it is given a javaPath', async () => {
    const port = await findFreePort();

    second = await startLocalDynamoDB({ javaPath: javaOnPath(), port });

    expect(second.endpoint).toBe(`http://127.0.0.1:${port}`);
    await expect(second.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
  });

  it('picks a free port of its own for a javaPath without a port, and answers there', async () => {
    second = await startLocalDynamoDB({ javaPath: javaOnPath() });

    expect(second.endpoint).not.toBe(process.env.EO_DYNAMODB_ENDPOINT);
    await expect(second.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
  });

  it('stop() ends exactly the process it started, and resolves once it has exited', async () => {
    second = await startLocalDynamoDB();
    const { pid } = second;
    expect(isAlive(pid)).toBe(true);

    await second.stop();

    expect(isAlive(pid)).toBe(false);
    // The server of the global setup is still up.
    await expect(dynamoClient().send(new ListTablesCommand({ Limit: 1 }))).resolves.toBeDefined();
  });

  it('stop() can be called twice', async () => {
    second = await startLocalDynamoDB();
    await second.stop();
    await expect(second.stop()).resolves.toBeUndefined();
  });

  it('fails with one clear error naming Java 17 when Java is missing', async () => {
    const attempt = startLocalDynamoDB({ javaPath: '/nonexistent/java' });

    await expect(attempt).rejects.toThrow(TestKitDependencyError);
    await expect(attempt).rejects.toThrow(
      /^DynamoDB Local needs Java 17 or newer: install a JRE \(e\.g\. `apt-get install openjdk-17-jre-headless`\)/,
    );
    await expect(attempt).rejects.toMatchObject({ dependency: 'java' });
  });

  it('reports the tail of the server output when it exits before answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eo-java-'));
    const fakeJava = join(dir, 'java');
    writeFileSync(
      fakeJava,
      '#!/bin/sh\nif [ "$1" = "-version" ]; then echo \'openjdk version "17.0.15"\' >&2; exit 0; fi\n' +
        'echo "Error: port already in use" >&2\nexit 3\n',
    );
    chmodSync(fakeJava, 0o755);

    const attempt = startLocalDynamoDB({ javaPath: fakeJava });

    await expect(attempt).rejects.toBeInstanceOf(LocalServerError);
    await expect(attempt).rejects.toThrow(
      /^DynamoDB Local exited before answering on http:\/\/127\.0\.0\.1:\d+ \(exit code 3, signal null\)\. Output tail:\nError: port already in use$/,
    );
  });

  it('names Java when the java it is given is too old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eo-java-'));
    const oldJava = join(dir, 'java');
    writeFileSync(
      oldJava,
      '#!/bin/sh\nif [ "$1" = "-version" ]; then echo \'java version "1.8.0_402"\' >&2; exit 0; fi\n' +
        'echo "java.lang.UnsupportedClassVersionError" >&2\nexit 1\n',
    );
    chmodSync(oldJava, 0o755);

    const attempt = startLocalDynamoDB({ javaPath: oldJava });

    await expect(attempt).rejects.toBeInstanceOf(TestKitDependencyError);
    await expect(attempt).rejects.toThrow(/^DynamoDB Local needs Java 17 or newer: .*\(`.*java` is Java 8\)$/);
  });

  it('rejects an unknown option, naming it', async () => {
    await expect(startLocalDynamoDB({ prot: 8000 } as never)).rejects.toThrow(
      new TestKitConfigError(
        'Unknown option `prot` of startLocalDynamoDB: did you mean `port`? (known options: port, javaPath, startTimeoutMs)',
      ),
    );
  });

  it('rejects an invalid port, naming the value', async () => {
    await expect(startLocalDynamoDB({ port: 70000 })).rejects.toThrow(
      new TestKitConfigError('Expected `port` to be an integer from 0 to 65535, got 70000'),
    );
  });
});

describe('createIdempotencyTable', () => {
  it('creates an ACTIVE on-demand table keyed by the string attribute `id`', async () => {
    const client = dynamoClient();
    const name = `kit-schema-${Date.now()}`;

    await expect(createIdempotencyTable(client, name)).resolves.toBe(name);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('enables Time To Live on `expiration`', async () => {
    const client = dynamoClient();
    const name = `kit-ttl-${Date.now()}`;

    await createIdempotencyTable(client, name);

    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiration' });
  });

  it('accepts a table that already exists with TTL on', async () => {
    const client = dynamoClient();
    const name = `kit-twice-${Date.now()}`;
    await createIdempotencyTable(client, name);

    await expect(createIdempotencyTable(client, name)).resolves.toBe(name);
  });

  it('uses the key and TTL attribute names it is given', async () => {
    const client = dynamoClient();
    const name = `kit-custom-${Date.now()}`;

    await createIdempotencyTable(client, name, { keyAttr: 'pk', ttlAttr: 'ttl' });

    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('rejects an invalid table name, naming it', async () => {
    await expect(createIdempotencyTable(dynamoClient(), 'a b')).rejects.toThrow(
      new TestKitConfigError('Expected `name` to be a DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ . -), got `a b`'),
    );
  });
});

describe("clients of your own for the kit's DynamoDB Local", () => {
  it('localClientConfig(endpoint) gives a client that reaches it with no AWS variables set', async () => {
    const table = await createTestTable('own-client');
    const client = new DynamoDBClient(localClientConfig(process.env.EO_DYNAMODB_ENDPOINT));
    try {
      expect(localClientConfig('http://127.0.0.1:8000')).toEqual({
        endpoint: 'http://127.0.0.1:8000',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      await expect(client.send(new DescribeTableCommand({ TableName: table }))).resolves.toMatchObject({
        Table: { TableStatus: 'ACTIVE' },
      });
    } finally {
      client.destroy();
    }
  });

  it('a client with any credentials and region sees the same tables (the server runs with -sharedDb)', async () => {
    const table = await createTestTable('shared-db');
    const client = new DynamoDBClient({
      endpoint: process.env.EO_DYNAMODB_ENDPOINT,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'AKIAEXAMPLEUSERKEY', secretAccessKey: 'someone-elses-secret' },
    });
    try {
      await expect(client.send(new DescribeTableCommand({ TableName: table }))).resolves.toMatchObject({
        Table: { TableName: table },
      });
    } finally {
      client.destroy();
    }
  });

  it('localClientConfig rejects a missing endpoint, naming the globalSetup', () => {
    expect(() => localClientConfig(undefined)).toThrow(TestKitConfigError);
    expect(() => localClientConfig(undefined)).toThrow(/did the jest globalSetup set it\?\), got `undefined`/);
  });
});
