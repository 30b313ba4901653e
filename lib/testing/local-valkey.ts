/**
 * A local Valkey (or Redis OSS) server for tests: `valkey-server` or `redis-server` from the PATH, on a
 * free port, without persistence, stopped by its pid.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { boolean, integerIn, nonEmptyString, positiveNumber } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { LocalServerError, TestKitConfigError, TestKitDependencyError } from './errors';
import { findFreePort, startServerProcess, type EarlyExit, type ServerProcess } from './local-server';

/** The server executables looked up on the PATH, in this order. */
const SERVERS = ['valkey-server', 'redis-server'] as const;
const MISSING_MESSAGE =
  'startLocalValkey needs `valkey-server` or `redis-server` on the PATH: install one (on Debian/Ubuntu ' +
  '`apt-get install redis-server`, or `apt-get install valkey-server`; on macOS `brew install valkey`) or pass `serverPath`.';

/** Options of {@link startLocalValkey}. */
export interface StartLocalValkeyOptions {
  /**
   * TCP port to listen on.
   * @default 0 (a free port chosen by the operating system)
   */
  readonly port?: number;
  /**
   * The server executable.
   * @default - `valkey-server`, else `redis-server`, looked up on the `PATH`
   */
  readonly serverPath?: string;
  /**
   * Milliseconds to wait for the server to answer PING before giving up (the process is then killed).
   * @default 10000
   */
  readonly startTimeoutMs?: number;
  /**
   * Keep the data across {@link LocalValkey.restart}: an append-only file synced on every write, in a
   * temporary directory removed by `stop()`. Without it the server keeps nothing on disk.
   * @default false
   */
  readonly appendOnly?: boolean;
}

/** A running local server, returned by {@link startLocalValkey}. */
export interface LocalValkey {
  /** `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, for `createClient({ url })` or `new Redis(url)`. */
  readonly url: string;
  /** The server executable that runs. */
  readonly serverPath: string;
  /** The process id of the server now running (the one `stop()` ends); a restart changes it. */
  readonly pid: number;
  /**
   * Stops the server (SIGTERM) and starts it again on the same port; resolves once it answers. Clients see
   * their connection reset. With `appendOnly`, the data survives; without, the server starts empty.
   */
  restart(): Promise<void>;
  /** Kills exactly the process this kit started and resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first server executable on the PATH, or undefined. */
function findServer(): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const name of SERVERS) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return undefined;
}

/** Resolves when the server at `port` answers PING with PONG; rejects on any other outcome. */
function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('PING timed out')));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (!reply.includes('\r\n')) return;
      socket.end();
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`PING answered ${reply.trim()}`));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** Every option of `startLocalValkey`, declared once. */
const LOCAL_VALKEY_OPTIONS = /* @__PURE__ */ defineOptions(
  'startLocalValkey',
  {
    port: { check: integerIn(0, 65535), default: 0, doc: 'the port (0: a free one)' },
    serverPath: { check: nonEmptyString(), doc: 'the server executable' },
    startTimeoutMs: { check: positiveNumber, default: 10_000, doc: 'how long the server may take to answer' },
    appendOnly: { check: boolean, default: false, doc: 'persist every write (append-only file, fsync always)' },
  },
  TestKitConfigError,
);
const _localValkeyKeys: SameKeys<StartLocalValkeyOptions, typeof LOCAL_VALKEY_OPTIONS.spec> = true;

/** The error for a server that exited before answering: not installed there, else its own output. */
function exitedEarly(serverPath: string, port: number, exit: EarlyExit): Error {
  const failure = exit.spawnError;
  if (failure?.code === 'ENOENT' || failure?.code === 'EACCES') {
    return new TestKitDependencyError(`${MISSING_MESSAGE} (\`${serverPath}\`: ${failure.code})`, {
      dependency: 'redis-server',
      cause: failure,
    });
  }
  return new LocalServerError(
    `${serverPath} exited before answering on port ${port} (exit code ${String(exit.exitCode)}). Output tail:\n${exit.output}`,
    { cause: failure },
  );
}

/**
 * Starts `valkey-server` (or `redis-server`) from the PATH on a free port of 127.0.0.1, without
 * persistence (`--save '' --appendonly no`, unless `appendOnly`), and resolves once it answers PING.
 *
 * @throws TestKitDependencyError when neither server is installed (the message names the package).
 * @throws LocalServerError when the server exits early or does not answer within `startTimeoutMs`.
 */
export async function startLocalValkey(options: StartLocalValkeyOptions = {}): Promise<LocalValkey> {
  const resolved = LOCAL_VALKEY_OPTIONS.resolve(options);
  const serverPath = resolved.serverPath ?? findServer();
  if (serverPath === undefined) throw new TestKitDependencyError(MISSING_MESSAGE, { dependency: 'redis-server' });
  const port = resolved.port === 0 ? await findFreePort() : resolved.port;
  const { startTimeoutMs } = resolved;
  const dir = mkdtempSync(join(tmpdir(), 'effectively-once-valkey-'));
  const persistence = resolved.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no'];

  const launch = (): Promise<ServerProcess> =>
    startServerProcess({
      command: serverPath,
      args,
      probe: () => ping(port),
      startTimeoutMs,
      poll: { firstMs: 20, maxMs: 200 },
      exitedEarly: (exit) => exitedEarly(serverPath, port, exit),
      timedOut: (lastError, output) =>
        new LocalServerError(`${serverPath} did not answer PING on port ${port} within ${startTimeoutMs} ms. Output tail:\n${output}`, {
          cause: lastError,
        }),
    });

  let server: ServerProcess;
  try {
    server = await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    serverPath,
    get pid(): number {
      return server.pid;
    },
    restart: async () => {
      if (stopped !== undefined) throw new LocalServerError('startLocalValkey: restart() after stop()');
      await server.stop();
      server = await launch();
    },
    stop,
  };
}
