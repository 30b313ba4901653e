/**
 * What DynamoDB can write, and what the store therefore declares (`DynamoDBStore.limits`).
 *
 * A completion writes the record, the chunk items of a large result (gzip, `RESULT_CHUNK_BYTES` each) and
 * the staged writes in one TransactWriteItems, whose items together hold at most 4 MB. The largest result
 * the store can always write is what fits there however badly it compresses (gzip's worst case is a little
 * larger than its input), with room for the record and the chunk items' keys.
 */
import { MAX_CHECKPOINT_BYTES, MAX_NAME_BYTES, RESULT_CHUNK_BYTES } from '../../defaults';
import type { StoreLimits } from '../store';

/** Largest DynamoDB item: 400 KB. */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;
/** Largest total size of the items of one DynamoDB transaction: 4 MB. */
export const DYNAMODB_MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
/** Room kept in a completion's transaction for the record's own attributes (key, status, fingerprint...). */
const RECORD_ROOM_BYTES = 8 * 1024;
/** Room per chunk item for its key (`<key>#chunk#<n>`, the key at most MAX_NAME_BYTES + 65) and attribute names. */
const CHUNK_ITEM_ROOM_BYTES = MAX_NAME_BYTES + 128;

/** zlib's deflateBound for gzip: the largest output of `gzipSync` for `n` bytes of input. */
export function gzipBound(n: number): number {
  return n + (n >>> 12) + (n >>> 14) + (n >>> 25) + 13 - 6 + 18;
}

/** Bytes a completion's transaction needs for a result of `n` bytes that does not compress at all. */
export function worstCaseResultBytes(n: number): number {
  const zipped = gzipBound(n);
  return zipped + Math.ceil(zipped / RESULT_CHUNK_BYTES) * CHUNK_ITEM_ROOM_BYTES + RECORD_ROOM_BYTES;
}

/** The largest `n` whose worst case fits a transaction. */
function largestResult(): number {
  let low = 0;
  let high = DYNAMODB_MAX_TRANSACTION_BYTES;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (worstCaseResultBytes(mid) <= DYNAMODB_MAX_TRANSACTION_BYTES) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** What a DynamoDB idempotency table can hold. */
export const DYNAMODB_LIMITS: StoreLimits = Object.freeze({
  maxResultBytes: largestResult(),
  maxCheckpointBytes: MAX_CHECKPOINT_BYTES,
  maxStagedWriteBytes: DYNAMODB_MAX_ITEM_BYTES,
  maxCommitBytes: DYNAMODB_MAX_TRANSACTION_BYTES,
});
