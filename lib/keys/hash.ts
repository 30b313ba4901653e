import { createHash } from 'node:crypto';
import { canonicalize } from './canonical';

/** SHA-256 of the canonical text, hex encoded. */
export function hashValue(value: unknown): string {
  return createHash('sha256').update(canonicalize(value)).digest('hex');
}
