/**
 * How a record is stored: the items and attributes the store writes, and the record it reads back.
 *
 * A result is stored as text up to `compressAboveBytes`, gzip-compressed above, and split into chunk items
 * (`<key>#chunk#<n>` of `RESULT_CHUNK_BYTES`, written in the same transaction as the record) when even
 * compressed it is larger than one chunk. A step's result is text or gzip, never chunked.
 *
 * A record in progress never holds a result, its encoding or a chunk count: only a completion writes them,
 * in the same write that sets the status to completed; a completed record is never in progress again (a
 * new claim of an expired one puts a whole new item), and every writer of an in-progress record (take-over,
 * checkpoint, lease extension, release) leaves those attributes alone. So a completion, conditional on the
 * in-progress status, has none of them to remove. Every version of the library has written records so.
 *
 * Defaults are not written: a result stored as text has no `resultEncoding`, and a completed record holding
 * a value has no `outcome` (only `error` is written). Every version reads their absence so; records written
 * with them read the same.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { RESULT_CHUNK_BYTES } from '../../defaults';
import { IdempotencyStoreError } from '../../errors';
import { RecordStatus, type ClaimInput, type CompleteInput, type IdempotencyRecord, type OutcomeKind, type StepCheckpoint } from '../store';
import { A, type Item, type Table } from './table';

/** How a stored result is encoded. */
const Encoding = { Text: 'text', Gzip: 'gzip', GzipChunks: 'gzip-chunks' } as const;

/** An encoded result: the attributes of the record plus the chunk items, if any. */
export interface EncodedResult {
  readonly attributes: Item;
  readonly chunks: readonly Uint8Array[];
}

/** Consistent reads of items by key (the chunks of a result). */
export type ReadItems = (keys: readonly string[]) => Promise<Map<string, Item>>;

export class RecordCodec {
  readonly #table: Table;
  readonly #compressAbove: number;
  readonly #read: ReadItems;

  public constructor(table: Table, compressAbove: number, read: ReadItems) {
    this.#table = table;
    this.#compressAbove = compressAbove;
    this.#read = read;
  }

  /**
   * The attributes of a new claim, in order (a list rather than an item: the batched claim's INSERT
   * names each one).
   */
  public claimAttributes(input: ClaimInput): [string, AttributeValue][] {
    const attributes: [string, AttributeValue][] = [
      [this.#table.keyAttr, { S: input.key }],
      [this.#table.ttlAttr, { N: String(input.expiresAt) }],
      [A.status, { S: RecordStatus.InProgress }],
      [A.token, { S: input.token }],
      [A.lease, { N: String(input.leaseUntil) }],
      [A.steps, { M: {} }],
    ];
    if (input.fingerprint !== undefined) attributes.push([A.fingerprint, { S: input.fingerprint }]);
    if (input.owner !== undefined) attributes.push([A.owner, { S: input.owner }]);
    return attributes;
  }

  /** The item of a new claim. */
  public claimItem(input: ClaimInput): Item {
    return Object.fromEntries(this.claimAttributes(input));
  }

  /** The item of a record completed without a claim (`putCompleted`). */
  public completedItem(input: CompleteInput, encoded: EncodedResult): Item {
    const item: Item = {
      [this.#table.keyAttr]: { S: input.key },
      [this.#table.ttlAttr]: { N: String(input.expiresAt) },
      [A.status]: { S: RecordStatus.Completed },
      [A.token]: { S: input.token },
      [A.lease]: { N: '0' },
      ...outcomeAttributes(input.outcome),
      ...encoded.attributes,
    };
    if (input.fingerprint !== undefined) item[A.fingerprint] = { S: input.fingerprint };
    return item;
  }

  /** The stored map of a step checkpoint. */
  public checkpointValue(checkpoint: StepCheckpoint): Item {
    const value: Item = { s: { S: checkpoint.state } };
    if (checkpoint.result !== undefined) Object.assign(value, this.#encodeStepResult(checkpoint.result));
    if (checkpoint.reason !== undefined) value['e'] = { S: checkpoint.reason };
    return value;
  }

  /** Chunk item `index` of the result of `key`, in the document client's shape (inside a transaction). */
  public chunkItem(key: string, expiresAt: number, index: number, data: Uint8Array): Record<string, unknown> {
    return { [this.#table.keyAttr]: chunkKey(key, index), [this.#table.ttlAttr]: expiresAt, [A.data]: data };
  }

  /** The result's attributes (a result stored as text has no encoding: its absence reads as text). */
  public encodeResult(text: string): EncodedResult {
    if (Buffer.byteLength(text) <= this.#compressAbove) return { attributes: { [A.result]: { S: text } }, chunks: [] };
    const zipped = gzipSync(text);
    if (zipped.byteLength <= RESULT_CHUNK_BYTES) {
      return { attributes: { [A.result]: { B: zipped }, [A.encoding]: { S: Encoding.Gzip } }, chunks: [] };
    }
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < zipped.byteLength; offset += RESULT_CHUNK_BYTES) {
      chunks.push(zipped.subarray(offset, offset + RESULT_CHUNK_BYTES));
    }
    return {
      attributes: { [A.encoding]: { S: Encoding.GzipChunks }, [A.chunks]: { N: String(chunks.length) } },
      chunks,
    };
  }

  #encodeStepResult(text: string): Item {
    return Buffer.byteLength(text) <= this.#compressAbove ? { r: { S: text } } : { z: { B: gzipSync(text) } };
  }

  /** The record a stored item holds; the result of a completed one is decoded (its chunks read). */
  public async toRecord(item: Item): Promise<IdempotencyRecord> {
    const key = item[this.#table.keyAttr]?.S ?? '';
    const status = item[A.status]?.S === RecordStatus.Completed ? RecordStatus.Completed : RecordStatus.InProgress;
    const record: IdempotencyRecord = {
      key,
      status,
      token: item[A.token]?.S ?? '',
      expiresAt: Number(item[this.#table.ttlAttr]?.N ?? '0'),
      leaseUntil: Number(item[A.lease]?.N ?? '0'),
      steps: decodeSteps(item),
      ...optionalAttributes(item),
    };
    if (status !== RecordStatus.Completed) return record;
    // A completed record without an outcome holds a value (see outcomeAttributes).
    return { ...record, outcome: record.outcome ?? 'value', result: await this.#decodeResult(key, item) };
  }

  async #decodeResult(key: string, item: Item): Promise<string | undefined> {
    const encoding = item[A.encoding]?.S;
    const binary = item[A.result]?.B;
    if (encoding === Encoding.Gzip && binary) return gunzipSync(binary).toString('utf8');
    if (encoding === Encoding.GzipChunks) {
      const count = Number(item[A.chunks]?.N ?? '0');
      const items = await this.#read(Array.from({ length: count }, (_, index) => chunkKey(key, index)));
      const buffers = Array.from({ length: count }, (_, index) => {
        const part = items.get(chunkKey(key, index))?.[A.data]?.B;
        if (!part) {
          throw new IdempotencyStoreError(`Result chunk ${index} of ${count} of idempotency record ${key} is missing`, { key });
        }
        return part;
      });
      return gunzipSync(Buffer.concat(buffers)).toString('utf8');
    }
    return item[A.result]?.S;
  }
}

/** The step checkpoints a stored item holds (a result stored as text, or gzipped above the threshold). */
function decodeSteps(item: Item): Record<string, StepCheckpoint> {
  const steps: Record<string, StepCheckpoint> = {};
  for (const [name, value] of Object.entries(item[A.steps]?.M ?? {})) {
    const m = value.M ?? {};
    const state = m['s']?.S === 'started' ? 'started' : m['s']?.S === 'unstorable' ? 'unstorable' : 'done';
    const result = m['r']?.S ?? (m['z']?.B ? gunzipSync(m['z'].B).toString('utf8') : undefined);
    const reason = m['e']?.S;
    steps[name] = { state, ...(result === undefined ? {} : { result }), ...(reason === undefined ? {} : { reason }) };
  }
  return steps;
}

/** The record's attributes that a stored item may lack: the fingerprint, the outcome's kind, the owner. */
function optionalAttributes(item: Item): Pick<IdempotencyRecord, 'fingerprint' | 'outcome' | 'owner'> {
  const fingerprint = item[A.fingerprint]?.S;
  const outcome = item[A.outcome]?.S;
  const owner = item[A.owner]?.S;
  return {
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(outcome === undefined ? {} : { outcome: outcome === 'error' ? 'error' : 'value' }),
    ...(owner === undefined ? {} : { owner }),
  };
}

/**
 * The outcome's attribute of a completed record: `error` for a cached error, none for a value (the common
 * case: one SET less per completion). Every version of the library reads a completed record without an
 * outcome as a value; records written with `outcome: 'value'` read the same.
 */
export function outcomeAttributes(outcome: OutcomeKind): Item {
  return outcome === 'error' ? { [A.outcome]: { S: outcome } } : {};
}

function chunkKey(key: string, index: number): string {
  return `${key}#chunk#${index}`;
}
