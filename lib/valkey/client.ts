/**
 * The small client interface `ValkeyStore` needs: send one command, get its reply. Both shapes of the
 * common Node clients satisfy it as they are; the store adapts them to one `send(args)`.
 */
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';

/**
 * A client with `call(command, ...args)`: `iovalkey` and `ioredis` (their `Redis` and `Cluster`).
 * Bulk-string replies must come back as strings (the default).
 */
export interface ValkeyCallClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  /** `true` on a cluster client (`Cluster` of iovalkey / ioredis). */
  readonly isCluster?: boolean;
}

/**
 * A client with `sendCommand([command, ...args])`: `redis` (node-redis 4 to 6, a standalone client
 * made by `createClient`). Bulk-string replies must come back as strings (the default).
 */
export interface ValkeySendCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * What `ValkeyStore` takes as its client: any connected client of Valkey or Redis OSS with either of the
 * two usual ways to send a raw command. Tested with `iovalkey` 0.4, `ioredis` 5 and `redis` (node-redis) 6.
 */
export type ValkeyClient = ValkeyCallClient | ValkeySendCommandClient;

/** A command as the store sends it, and its reply. */
export interface Commands {
  send(args: readonly string[]): Promise<unknown>;
  /** Whether the client spreads keys over a cluster's shards (then a multi-key script needs one slot). */
  readonly cluster: boolean;
}

/** Adapts either client shape to {@link Commands}. */
export function commandsOf(client: unknown): Commands {
  const candidate = client as Partial<ValkeyCallClient & ValkeySendCommandClient> | null | undefined;
  // iovalkey / ioredis also have a sendCommand of their own (taking a Command object): call comes first.
  if (typeof candidate?.call === 'function') {
    const target = candidate as ValkeyCallClient;
    return {
      send: ([command, ...args]) => target.call(command as string, ...args),
      cluster: target.isCluster === true,
    };
  }
  if (typeof candidate?.sendCommand === 'function') {
    const target = candidate as ValkeySendCommandClient;
    return { send: (args) => target.sendCommand([...args]), cluster: false };
  }
  throw new IdempotencyConfigError(
    `Expected \`client\` to be a Valkey / Redis client with call(command, ...args) (iovalkey, ioredis) or sendCommand(args) (redis), got ${describe(client)}`,
  );
}
