import { createHash } from 'node:crypto';
import { canonicalize } from './canonical';

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;

/**
 * Node's one-shot hash (Node 20.12 and later): no Hash object per key. Read from the module object
 * `process.getBuiltinModule` returns (Node 20.16 and later) rather than through `import * as crypto`, whose
 * namespace a user's CommonJS bundle builds by copying every export of `node:crypto` at cold start (about 37 KB
 * of young-generation allocation per load); before 20.16, `createHash`.
 */
const oneShot = (process as { getBuiltinModule?: (name: string) => { readonly hash?: OneShotHash } | undefined }).getBuiltinModule?.(
  'node:crypto',
)?.hash;

/** SHA-256 of the canonical text, hex encoded. */
export function hashValue(value: unknown): string {
  const text = canonicalize(value);
  return oneShot === undefined ? createHash('sha256').update(text).digest('hex') : oneShot('sha256', text, 'hex');
}
