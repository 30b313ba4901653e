import * as crypto from 'node:crypto';
import { canonicalize } from './canonical';

/** Node's one-shot hash (Node 20.12 and later): no Hash object per key. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 of the canonical text, hex encoded. */
export function hashValue(value: unknown): string {
  const text = canonicalize(value);
  return oneShot === undefined ? crypto.createHash('sha256').update(text).digest('hex') : oneShot('sha256', text, 'hex');
}
