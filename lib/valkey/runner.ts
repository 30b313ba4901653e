/**
 * Runs the store's scripts: EVALSHA, and EVAL when the server does not have the script yet (NOSCRIPT:
 * after a restart, a failover or SCRIPT FLUSH); then, when asked, WAIT for replicas to acknowledge.
 */
import { IdempotencyStoreError } from '../errors';
import type { Commands } from './client';
import type { Script } from './scripts';

/** Wait for replicas after each write: see `ValkeyStoreOptions.waitForReplicas`. */
export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

function isNoScript(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

export class ScriptRunner {
  readonly #commands: Commands;
  readonly #wait: ReplicaWait | undefined;

  public constructor(commands: Commands, wait: ReplicaWait | undefined) {
    this.#commands = commands;
    this.#wait = wait;
  }

  /** Runs `script` over `keys` with `args`, a write: with `waitForReplicas`, the WAIT follows it. */
  public async write(script: Script, keys: readonly string[], args: readonly string[], label: string): Promise<unknown> {
    const result = await this.#eval(script, keys, args);
    if (this.#wait === undefined) return result;
    // WAIT covers every write this connection made before it: the script's, whatever its reply.
    const replicas = await this.#commands.send(['WAIT', String(this.#wait.replicas), String(this.#wait.timeoutMs)]);
    if (Number(replicas) < this.#wait.replicas) {
      // Applied on the primary, not yet on enough replicas: an ambiguous write, retried fenced like a lost answer.
      throw new IdempotencyStoreError(
        `Valkey applied a write of idempotency record ${label}, but only ${String(replicas)} of the ${this.#wait.replicas} replica(s) asked for acknowledged it within ${this.#wait.timeoutMs} ms (waitForReplicas); retry the invocation`,
        { key: label, retryable: true },
      );
    }
    return result;
  }

  /** Runs a script that writes nothing. */
  public read(command: readonly string[]): Promise<unknown> {
    return this.#commands.send(command);
  }

  async #eval(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#commands.send(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.#commands.send(['EVAL', script.source, ...tail]);
    }
  }
}
