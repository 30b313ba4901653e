/**
 * A local server process for tests, the way every server of the kit runs: started on a port the caller
 * picked (see {@link findFreePort}), polled until it answers, and stopped by its pid — never by name — and
 * killed if the test process ends first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { backoffMs, sleep, type Backoff } from '../time';

/** Milliseconds `stop()` waits after SIGTERM before it sends SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** Characters of the server's output kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;

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

/** How a server process ended before it answered. */
export interface EarlyExit {
  /** Why the process could not be started (`ENOENT`, `EACCES`...), if it could not. */
  readonly spawnError: NodeJS.ErrnoException | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** The tail of its output (stdout and stderr), trimmed. */
  readonly output: string;
}

/** What to start and how to tell that it answers. */
export interface ServerLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** One attempt to reach the server: resolves when it answers, rejects otherwise. */
  probe(): Promise<void>;
  /** Milliseconds the server gets to answer its first probe. */
  readonly startTimeoutMs: number;
  /** The pauses between probes. */
  readonly poll: Backoff;
  /** The error for a server that exited (or could not be started) before answering; asked after it was stopped. */
  exitedEarly(exit: EarlyExit): Error | Promise<Error>;
  /** The error for a server that did not answer within `startTimeoutMs` (it has been stopped). */
  timedOut(lastError: unknown, output: string): Error;
}

/** A running server process. */
export interface ServerProcess {
  /** The process id (the one `stop()` ends). */
  readonly pid: number;
  /** Kills exactly this process (SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `launch.command` and resolves once `launch.probe` succeeds. When the process exits first, or does
 * not answer in time, it is stopped and the launch's error thrown.
 */
export async function startServerProcess(launch: ServerLaunch): Promise<ServerProcess> {
  const child = spawn(launch.command, [...launch.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(launch.cwd === undefined ? {} : { cwd: launch.cwd }),
  });
  // Keep draining the pipes (a full pipe would block the server) but only keep the tail.
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: NodeJS.ErrnoException | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
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
  const stop = stopper(child, () => exited, exit);

  const deadline = Date.now() + launch.startTimeoutMs;
  let lastError: unknown;
  for (let polls = 1; ; polls += 1) {
    if (exited) {
      await stop();
      const { exitCode, signalCode } = child;
      throw await launch.exitedEarly({ spawnError, exitCode, signalCode, output: output.trim() });
    }
    try {
      await launch.probe();
      return { pid: child.pid as number, stop };
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      await stop();
      throw launch.timedOut(lastError, output.trim());
    }
    await Promise.race([sleep(backoffMs(launch.poll, polls)), exit]);
  }
}

/**
 * The idempotent `stop()` of `child`, which also kills it if the test process ends first (never leave a
 * server behind when the tests end without calling `stop()`).
 */
function stopper(child: ChildProcess, exited: () => boolean, exit: Promise<void>): () => Promise<void> {
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
  return () => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      const pid = child.pid;
      if (pid === undefined || exited()) return;
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
}
