/**
 * The part of a batch processor's default operation name that names where the records come from (a queue, a
 * stream, a table, a Kafka cluster). It is taken from the event, so it is bounded here: the record key is
 * `<name>#<64 hex digits>` and DynamoDB refuses a partition key above 2048 bytes.
 */
import { createHash } from 'node:crypto';

/**
 * Longest source kept as it is, in UTF-8 bytes. Every real queue, stream and table name, and every MSK cluster
 * ARN, is shorter (DynamoDB table names, the longest, have at most 255 characters), so only an unusual or
 * hostile event is hashed; the record key then stays under 500 bytes.
 */
export const MAX_SOURCE_BYTES = 256;

/** Bytes of the readable prefix kept in front of the hash of a source that is too long. */
const KEPT_PREFIX_BYTES = 64;

/**
 * `source` as it is when it has at most {@link MAX_SOURCE_BYTES} UTF-8 bytes; otherwise its first characters
 * (for a human reading the table) followed by `~` and the SHA-256 of all of it (what tells two sources apart).
 */
export function boundedSource(source: string): string {
  if (Buffer.byteLength(source, 'utf8') <= MAX_SOURCE_BYTES) return source;
  let prefix = '';
  for (const char of source) {
    if (Buffer.byteLength(prefix + char, 'utf8') > KEPT_PREFIX_BYTES) break;
    prefix += char;
  }
  return `${prefix}~${createHash('sha256').update(source, 'utf8').digest('hex')}`;
}
