/** The options of `ValkeyStore`, declared once. */
import { satisfies, withMethods } from '../config/checks';
import { defineOptions, type At, type SameKeys } from '../config/spec';
import { IdempotencyConfigError } from '../errors';
import type { IdempotencyLogger } from '../logger';
import { commandsOf, type ValkeyClient } from './client';
import type { ReplicaWait } from './runner';

/** Options of {@link ValkeyStore}. */
export interface ValkeyStoreOptions {
  /**
   * A connected Valkey or Redis OSS client: `iovalkey` or `ioredis` (`Redis`, or `Cluster` for cluster
   * mode), or `redis` (node-redis, a client made by `createClient`). The store never connects, closes or
   * configures it. See {@link ValkeyClient}.
   */
  readonly client: ValkeyClient;
  /**
   * Prefix of every record's key on the server (each record is one hash at `keyPrefix + key`).
   * @default 'idempotency:'
   */
  readonly keyPrefix?: string;
  /**
   * Where the store logs.
   * @default - JSON lines on stdout at WARN, as the library's default logger
   */
  readonly logger?: IdempotencyLogger;
  /**
   * After each write, send `WAIT replicas timeoutMs` and treat a write that fewer replicas acknowledged as
   * failed and retryable (the engine retries it fenced, as after a lost answer). It narrows, and does not
   * close, the window in which a failover of an asynchronously replicated primary (ElastiCache) loses an
   * acknowledged claim or completion; MemoryDB gives the strict guarantee. Costs one round trip per write.
   * Not available with a cluster client (WAIT goes to the key's shard, which a keyless command cannot name).
   * @default undefined (no WAIT)
   */
  readonly waitForReplicas?: { readonly replicas: number; readonly timeoutMs: number };
}

const whole = (n: unknown, min: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min;

/** Every option of `ValkeyStore`: its check, its default, one line of docs. */
export const VALKEY_STORE_OPTIONS = /* @__PURE__ */ defineOptions(
  'ValkeyStore',
  {
    client: { check: (value: unknown, _at: At) => commandsOf(value), required: true, doc: 'a connected Valkey or Redis OSS client' },
    keyPrefix: {
      check: satisfies<string>('to be a string', (value) => typeof value === 'string'),
      default: 'idempotency:',
      doc: "prefix of every record's key on the server",
    },
    logger: {
      check: withMethods<IdempotencyLogger>(['debug', 'info', 'warn', 'error'], 'to have debug, info, warn and error methods'),
      doc: 'where the store logs',
    },
    waitForReplicas: {
      check: (value: unknown, at: At): ReplicaWait => {
        const wait = value as Partial<ReplicaWait> | null;
        if (wait === null || typeof wait !== 'object' || !whole(wait.replicas, 1) || !whole(wait.timeoutMs, 1)) {
          at.refuse('to be { replicas: a whole number >= 1, timeoutMs: a whole number of milliseconds >= 1 }', value);
        }
        return { replicas: wait.replicas as number, timeoutMs: wait.timeoutMs as number };
      },
      doc: '`WAIT replicas timeoutMs` after each write',
    },
  },
  IdempotencyConfigError,
);
const _valkeyStoreKeys: SameKeys<ValkeyStoreOptions, typeof VALKEY_STORE_OPTIONS.spec> = true;
