/**
 * `effectively-once/valkey`: the Valkey / Redis OSS store (ElastiCache, MemoryDB, self-hosted), for teams
 * whose consumers already reach a Valkey or Redis server. See docs/valkey.md.
 * @module effectively-once/valkey
 */
export { ValkeyStore } from './store';
export type { ValkeyStoreOptions } from './options';
export type { ValkeyClient, ValkeyCallClient, ValkeySendCommandClient } from './client';
