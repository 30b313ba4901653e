import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  COMMIT_MAX_ATTEMPTS,
  DEFAULT_BATCH_WRITES,
  DEFAULT_COMPRESS_ABOVE_BYTES,
  MAX_TRANSACTION_ITEMS,
  RESULT_CHUNK_BYTES,
} from '../defaults';
import {
  IdempotencyCommitConditionError,
  IdempotencyContextError,
  IdempotencyError,
  IdempotencyConfigError,
  IdempotencyLeaseLostError,
  IdempotencyStoreError,
} from '../errors';
import { describe } from '../keys';
import { createDefaultLogger } from '../logger';
import type { IdempotencyLogger } from '../options';
import { coalesce, scopedCoalescer, settle, type Pending } from './coalesce';
import { transactGuardFailure } from '../guards/failure';
import { leaseLostMessage } from './memory';
import { isTransientAwsError } from './transient';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR, IDEMPOTENCY_TABLE_NAME_ENV } from './schema';
import { loadDocumentClient, type DocumentClientModule } from '../lazy-modules';
import {
  RecordStatus,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type IdempotencyRecord,
  type IdempotencyStore,
  type LeaseExtension,
  type StagedWrite,
  type StepCheckpoint,
} from './store';


/** Options of {@link DynamoDBStore}. */
export interface DynamoDBStoreOptions {
  /**
   * Name of the idempotency table (partition key `keyAttr` of type string, TTL on `ttlAttr`).
   * @default - the value of the environment variable `IDEMPOTENCY_TABLE_NAME` (set by the CDK constructs)
   */
  readonly tableName?: string;
  /**
   * The DynamoDB client to use (inject your own to share connections, add middleware or point at
   * DynamoDB Local).
   * @default - a new `DynamoDBClient` with the SDK's default configuration
   */
  readonly client?: DynamoDBClient;
  /**
   * Partition key attribute of the table.
   * @default 'id' (`DEFAULT_KEY_ATTR`)
   */
  readonly keyAttr?: string;
  /**
   * TTL attribute of the table (epoch seconds).
   * @default 'expiration' (`DEFAULT_TTL_ATTR`)
   */
  readonly ttlAttr?: string;
  /**
   * Results whose serialised text is longer than this many bytes are stored gzip-compressed.
   * @default 4096 (`DEFAULT_COMPRESS_ABOVE_BYTES`)
   */
  readonly compressAboveBytes?: number;
  /**
   * Inside `processSqsBatch` and `processStreamBatch`, send the claims (and the plain completions) that
   * the batch's records make in the same turn of the event loop as one PartiQL `BatchExecuteStatement` of
   * conditional INSERTs (UPDATEs) instead of one request each: the same write units, a fraction of the
   * requests and of the SDK's CPU. Claims that meet an existing record read them all with one consistent
   * `BatchGetItem`; any other failed statement (a lost lease, a throttle) is retried alone with the usual
   * single request, which applies every rule; so is the whole group when the request fails. Single calls
   * (`makeIdempotent`, the middleware, HTTP) always send single requests. Needs `dynamodb:PartiQLInsert` and `dynamodb:PartiQLUpdate` (the CDK construct grants
   * them); without them the store logs one warning and sends single requests.
   * @default true (`DEFAULT_BATCH_WRITES`)
   */
  readonly batchWrites?: boolean;
  /**
   * Where the store logs (it warns once if batched writes are refused).
   * @default - JSON lines on stdout at WARN, as the library's default logger
   */
  readonly logger?: IdempotencyLogger;
}

/** lib-dynamodb's document client over the store's client, and its transaction command. */
interface DocumentClient {
  readonly client: DynamoDBDocumentClient;
  readonly TransactWriteCommand: DocumentClientModule['TransactWriteCommand'];
}

const KNOWN_OPTIONS = new Set(['tableName', 'client', 'keyAttr', 'ttlAttr', 'compressAboveBytes', 'batchWrites', 'logger']);

/** Most statements DynamoDB takes in one BatchExecuteStatement. */
const MAX_BATCH_STATEMENTS = 25;

// Attribute names of the record besides the key and TTL attributes.
const A = {
  status: 'status',
  token: 'token',
  lease: 'leaseUntil',
  fingerprint: 'fingerprint',
  result: 'result',
  encoding: 'resultEncoding',
  chunks: 'resultChunks',
  outcome: 'outcome',
  steps: 'steps',
  data: 'data',
} as const;

/** How a stored result is encoded. */
const Encoding = { Text: 'text', Gzip: 'gzip', GzipChunks: 'gzip-chunks' } as const;

/** An encoded result: the attributes of the record plus the chunk items, if any. */
interface EncodedResult {
  readonly attributes: Record<string, AttributeValue>;
  readonly chunks: readonly Uint8Array[];
}

/**
 * The DynamoDB persistence layer. Every write is a single conditional request on the low-level client;
 * a failed condition returns the stored item (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the
 * happy paths need no extra read.
 */
export class DynamoDBStore implements IdempotencyStore {
  /** Name of the table. */
  public readonly tableName: string;
  /** The client in use. */
  public readonly client: DynamoDBClient;
  readonly #keyAttr: string;
  readonly #ttlAttr: string;
  readonly #compressAbove: number;
  #batchWrites: boolean;
  readonly #logger: IdempotencyLogger;
  /** Identities of this store's coalescers in a write-batching scope. */
  readonly #claimsOwner = {};
  readonly #completionsOwner = {};
  #documentClient: Promise<DocumentClient> | undefined;

  public constructor(options: DynamoDBStoreOptions = {}) {
    for (const name of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(name)) {
        throw new IdempotencyConfigError(`Unknown DynamoDBStore option \`${name}\` (known: ${[...KNOWN_OPTIONS].join(', ')})`);
      }
    }
    const tableName = options.tableName ?? process.env[IDEMPOTENCY_TABLE_NAME_ENV];
    if (typeof tableName !== 'string' || tableName.length === 0) {
      throw new IdempotencyConfigError(
        `Expected \`tableName\` to be a non-empty string (or the environment variable ${IDEMPOTENCY_TABLE_NAME_ENV} to be set), got ${describe(options.tableName)}`,
      );
    }
    for (const name of ['keyAttr', 'ttlAttr'] as const) {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
        throw new IdempotencyConfigError(`Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
      }
    }
    const compressAbove = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
    if (!Number.isInteger(compressAbove) || compressAbove < 0) {
      throw new IdempotencyConfigError(
        `Expected \`compressAboveBytes\` to be a whole number of bytes >= 0, got ${describe(options.compressAboveBytes)}`,
      );
    }
    this.tableName = tableName;
    this.client = options.client ?? new DynamoDBClient({});
    this.#keyAttr = options.keyAttr ?? DEFAULT_KEY_ATTR;
    this.#ttlAttr = options.ttlAttr ?? DEFAULT_TTL_ATTR;
    this.#compressAbove = compressAbove;
    if (options.batchWrites !== undefined && typeof options.batchWrites !== 'boolean') {
      throw new IdempotencyConfigError(`Expected \`batchWrites\` to be a boolean, got ${describe(options.batchWrites)}`);
    }
    this.#batchWrites = options.batchWrites ?? DEFAULT_BATCH_WRITES;
    this.#logger = options.logger ?? createDefaultLogger();
  }

  public claim(input: ClaimInput): Promise<ClaimResult> {
    const batched = this.#batchWrites
      ? scopedCoalescer(this.#claimsOwner, () => coalesce<ClaimInput, ClaimResult>((calls) => this.#flushClaims(calls)))
      : undefined;
    return batched ? batched(input) : this.#claimOne(input);
  }

  async #claimOne(input: ClaimInput): Promise<ClaimResult> {
    const item: Record<string, AttributeValue> = {
      [this.#keyAttr]: { S: input.key },
      [this.#ttlAttr]: { N: String(input.expiresAt) },
      [A.status]: { S: RecordStatus.InProgress },
      [A.token]: { S: input.token },
      [A.lease]: { N: String(input.leaseUntil) },
      [A.steps]: { M: {} },
    };
    if (input.fingerprint !== undefined) item[A.fingerprint] = { S: input.fingerprint };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          // Claimable when there is no record, or the record has expired but TTL has not deleted it yet.
          ConditionExpression: 'attribute_not_exists(#key) OR #ttl <= :nowSec',
          ExpressionAttributeNames: { '#key': this.#keyAttr, '#ttl': this.#ttlAttr },
          ExpressionAttributeValues: { ':nowSec': { N: String(nowSeconds(input.now)) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, steps: {} };
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'claim');
      if (existing) return { claimed: false, existing };
      // The condition failed on an item that is gone by now: claim again.
      return this.#claimOne(input);
    }
  }

  public async takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.#key(input.key),
          UpdateExpression: 'SET #token = :token, #lease = :lease, #ttl = :exp',
          // Only the lease holder we saw, only once its lease ended, only while the record is live.
          ConditionExpression: '#token = :previous AND #status = :inProgress AND #lease < :now AND #ttl > :nowSec',
          ExpressionAttributeNames: {
            '#token': A.token,
            '#lease': A.lease,
            '#ttl': this.#ttlAttr,
            '#status': A.status,
          },
          ExpressionAttributeValues: {
            ':token': { S: input.token },
            ':lease': { N: String(input.leaseUntil) },
            ':exp': { N: String(input.expiresAt) },
            ':previous': { S: input.previousToken },
            ':inProgress': { S: RecordStatus.InProgress },
            ':now': { N: String(input.now) },
            ':nowSec': { N: String(nowSeconds(input.now)) },
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const record = await this.#toRecord(output.Attributes ?? {});
      return { claimed: true, steps: record.steps };
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'take over');
      if (existing) return { claimed: false, existing };
      return this.claim(input);
    }
  }

  public async checkpoint(input: {
    readonly key: string;
    readonly token: string;
    readonly step: string;
    readonly checkpoint: StepCheckpoint;
  }): Promise<void> {
    const value: Record<string, AttributeValue> = { s: { S: input.checkpoint.state } };
    if (input.checkpoint.result !== undefined) Object.assign(value, this.#encodeStepResult(input.checkpoint.result));
    if (input.checkpoint.reason !== undefined) value['e'] = { S: input.checkpoint.reason };
    await this.#ownedUpdate(input.key, input.token, `checkpoint step "${input.step}"`, {
      UpdateExpression: 'SET #steps.#step = :checkpoint',
      ExpressionAttributeNames: { '#steps': A.steps, '#step': input.step },
      ExpressionAttributeValues: { ':checkpoint': { M: value } },
    });
  }

  public async extendLease(input: LeaseExtension): Promise<void> {
    await this.#ownedUpdate(input.key, input.token, 'extend the lease', {
      UpdateExpression: 'SET #lease = :lease, #ttl = :exp',
      ExpressionAttributeNames: { '#lease': A.lease, '#ttl': this.#ttlAttr },
      ExpressionAttributeValues: { ':lease': { N: String(input.leaseUntil) }, ':exp': { N: String(input.expiresAt) } },
    });
  }

  public complete(input: CompleteInput): Promise<void> {
    const batched =
      this.#batchWrites && input.writes.length === 0
        ? scopedCoalescer(this.#completionsOwner, () => coalesce<CompleteInput, void>((calls) => this.#flushCompletions(calls)))
        : undefined;
    return batched ? batched(input) : this.#completeOne(input);
  }

  async #completeOne(input: CompleteInput): Promise<void> {
    const encoded = this.#encodeResult(input.result);
    const set: string[] = ['#status = :completed', '#ttl = :exp', '#outcome = :outcome', '#lease = :zero'];
    const names: Record<string, string> = {
      '#status': A.status,
      '#ttl': this.#ttlAttr,
      '#outcome': A.outcome,
      '#lease': A.lease,
      '#steps': A.steps,
    };
    const values: Record<string, AttributeValue> = {
      ':completed': { S: RecordStatus.Completed },
      ':exp': { N: String(input.expiresAt) },
      ':outcome': { S: input.outcome },
      ':zero': { N: '0' },
    };
    const removed = ['#steps'];
    for (const [attr, value] of Object.entries(encoded.attributes)) {
      set.push(`#${attr} = :${attr}`);
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
    }
    // Attributes of another encoding, left from nothing in practice, are removed for a clean record.
    for (const attr of [A.result, A.encoding, A.chunks]) {
      if (!(attr in encoded.attributes)) {
        removed.push(`#${attr}`);
        names[`#${attr}`] = attr;
      }
    }
    const update = {
      TableName: this.tableName,
      Key: this.#key(input.key),
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${removed.join(', ')}`,
      // Only our own record, only while in progress: a retry after a lost response finds it completed by
      // this very write (see below) and never applies the staged writes a second time.
      ConditionExpression: '#token = :token AND #status = :inProgress',
      ExpressionAttributeNames: { ...names, '#token': A.token },
      ExpressionAttributeValues: { ...values, ':token': { S: input.token }, ':inProgress': { S: RecordStatus.InProgress } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    if (input.writes.length === 0 && encoded.chunks.length === 0) {
      try {
        await this.client.send(new UpdateItemCommand(update));
        return;
      } catch (error) {
        const existing = await this.#conditionFailedItem(error, input.key, 'store the result');
        if (completedBy(existing, input.token)) return;
        throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'store the result'), { key: input.key });
      }
    }
    await this.#transact(input, { Update: unmarshallRequest(update) }, encoded.chunks, 'store the result');
  }

  /** Claims of one event-loop turn: one conditional INSERT each, in as few requests as possible. */
  async #flushClaims(calls: Pending<ClaimInput, ClaimResult>[]): Promise<void> {
    await this.#flushStatements(
      calls,
      (input) => {
        const parameters: AttributeValue[] = [
          { S: input.key },
          { N: String(input.expiresAt) },
          { S: RecordStatus.InProgress },
          { S: input.token },
          { N: String(input.leaseUntil) },
          { M: {} },
        ];
        const names = [this.#keyAttr, this.#ttlAttr, A.status, A.token, A.lease, A.steps];
        if (input.fingerprint !== undefined) {
          names.push(A.fingerprint);
          parameters.push({ S: input.fingerprint });
        }
        // INSERT fails on any existing item, expired or not: those fall back to the single claim.
        const fields = names.map((name) => `${partiqlString(name)}: ?`).join(', ');
        return { Statement: `INSERT INTO ${partiqlName(this.tableName)} VALUE {${fields}}`, Parameters: parameters };
      },
      (): ClaimResult => ({ claimed: true, steps: {} }),
      async (failures) => {
        // Records that exist already: read them all at once and hand them to the engine, as a failed
        // single claim would (its own token after a retried request, a completed record to replay, a lease
        // to take over). Absent or expired ones, and other failures, take the single claim.
        const existing = failures.filter((failure) => failure.code === 'DuplicateItem');
        const found = await this.#batchGet(existing.map((failure) => failure.call.input.key)).catch(() => new Map<string, Record<string, AttributeValue>>());
        await Promise.all(
          failures.map(async ({ call, code }) => {
            const item = code === 'DuplicateItem' ? found.get(call.input.key) : undefined;
            const record = item ? await this.#toRecord(item).catch(() => undefined) : undefined;
            if (record && record.expiresAt > nowSeconds(call.input.now)) call.resolve({ claimed: false, existing: record });
            else await settle(call, this.#claimOne(call.input));
          }),
        );
      },
    );
  }

  /** Plain completions of one event-loop turn: one UPDATE each, conditional on the token. */
  async #flushCompletions(calls: Pending<CompleteInput, void>[]): Promise<void> {
    const simple: Pending<CompleteInput, void>[] = [];
    const encodings = new Map<CompleteInput, EncodedResult>();
    for (const call of calls) {
      const encoded = this.#encodeResult(call.input.result);
      if (encoded.chunks.length > 0) void settle(call, this.#completeOne(call.input));
      else {
        encodings.set(call.input, encoded);
        simple.push(call);
      }
    }
    await this.#flushStatements(
      simple,
      (input) => {
        const set: [string, AttributeValue][] = [
          [A.status, { S: RecordStatus.Completed }],
          [this.#ttlAttr, { N: String(input.expiresAt) }],
          [A.outcome, { S: input.outcome }],
          [A.lease, { N: '0' }],
          ...Object.entries(encodings.get(input)?.attributes ?? {}),
        ];
        const clauses = set.map(([name]) => `SET ${partiqlName(name)}=?`).join(' ');
        const removed = [A.steps, A.chunks, ...[A.result, A.encoding].filter((name) => !set.some(([n]) => n === name))];
        return {
          Statement: `UPDATE ${partiqlName(this.tableName)} ${clauses} ${removed.map((name) => `REMOVE ${partiqlName(name)}`).join(' ')} WHERE ${partiqlName(this.#keyAttr)}=? AND ${partiqlName(A.token)}=? AND ${partiqlName(A.status)}=?`,
          Parameters: [...set.map(([, value]) => value), { S: input.key }, { S: input.token }, { S: RecordStatus.InProgress }],
        };
      },
      () => undefined,
      async (failures) => {
        // A lost lease (or a throttle): the single request tells which, with the right error.
        await Promise.all(failures.map(({ call }) => settle(call, this.#completeOne(call.input))));
      },
    );
  }

  /**
   * Sends the calls' statements in groups of at most 25. A call whose statement succeeded gets `applied`;
   * those whose statement failed go to `failed` with the error code; a call that shares its key with an
   * earlier one, or whose request failed, goes to `failed` too, with no code.
   */
  async #flushStatements<I extends { readonly key: string }, O>(
    calls: Pending<I, O>[],
    statement: (input: I) => { Statement: string; Parameters: AttributeValue[] },
    applied: (input: I) => O,
    failed: (failures: { call: Pending<I, O>; code: string | undefined }[]) => Promise<void>,
  ): Promise<void> {
    const keys = new Set<string>();
    const grouped: Pending<I, O>[] = [];
    const alone: { call: Pending<I, O>; code: string | undefined }[] = [];
    for (const call of calls) {
      if (!this.#batchWrites || keys.has(call.input.key)) alone.push({ call, code: undefined });
      else {
        keys.add(call.input.key);
        grouped.push(call);
      }
    }
    const groups: Pending<I, O>[][] = [];
    for (let i = 0; i < grouped.length; i += MAX_BATCH_STATEMENTS) groups.push(grouped.slice(i, i + MAX_BATCH_STATEMENTS));
    const sent = groups.map(async (group) => {
        if (group.length === 1) return failed(group.map((call) => ({ call, code: undefined })));
        let responses;
        try {
          const output = await this.client.send(
            new BatchExecuteStatementCommand({ Statements: group.map((call) => statement(call.input)) }),
          );
          responses = output.Responses ?? [];
        } catch (error) {
          // Only a refused permission turns batching off: any other failure (a throttle, a statement
          // DynamoDB refuses for its values) is this group's alone, and the single requests tell which.
          const name = (error as { name?: string }).name;
          if (name === 'AccessDeniedException') {
            this.#batchWrites = false;
            this.#logger.warn(
              `DynamoDBStore: BatchExecuteStatement on ${this.tableName} was refused (${name}); sending single requests from now on. Grant dynamodb:PartiQLInsert and dynamodb:PartiQLUpdate, or set batchWrites: false`,
            );
          }
          return failed(group.map((call) => ({ call, code: undefined })));
        }
        const failures: { call: Pending<I, O>; code: string | undefined }[] = [];
        group.forEach((call, index) => {
          const response = responses[index];
          if (response && !response.Error) call.resolve(applied(call.input));
          else failures.push({ call, code: response?.Error?.Code });
        });
        return failures.length > 0 ? failed(failures) : undefined;
      });
    await Promise.all([...sent, alone.length > 0 ? failed(alone) : undefined]);
  }

  /** Consistent reads of up to any number of keys, 100 per BatchGetItem, unprocessed keys retried. */
  async #batchGet(keys: readonly string[]): Promise<Map<string, Record<string, AttributeValue>>> {
    const found = new Map<string, Record<string, AttributeValue>>();
    let pending = keys.map((key) => this.#key(key));
    while (pending.length > 0) {
      const output = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending.slice(0, 100), ConsistentRead: true } } }),
      );
      for (const item of output.Responses?.[this.tableName] ?? []) {
        const id = item[this.#keyAttr]?.S;
        if (id !== undefined) found.set(id, item);
      }
      pending = [...(output.UnprocessedKeys?.[this.tableName]?.Keys ?? []), ...pending.slice(100)];
    }
    return found;
  }

  public async putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    const encoded = this.#encodeResult(input.result);
    const item: Record<string, AttributeValue> = {
      [this.#keyAttr]: { S: input.key },
      [this.#ttlAttr]: { N: String(input.expiresAt) },
      [A.status]: { S: RecordStatus.Completed },
      [A.token]: { S: input.token },
      [A.lease]: { N: '0' },
      [A.outcome]: { S: input.outcome },
      ...encoded.attributes,
    };
    if (input.fingerprint !== undefined) item[A.fingerprint] = { S: input.fingerprint };
    const put = {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#key) OR #ttl <= :nowSec',
      ExpressionAttributeNames: { '#key': this.#keyAttr, '#ttl': this.#ttlAttr },
      ExpressionAttributeValues: { ':nowSec': { N: String(nowSeconds(input.now)) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      if (input.writes.length === 0 && encoded.chunks.length === 0) {
        await this.client.send(new PutItemCommand(put));
      } else {
        await this.#transact(input, { Put: unmarshallRequest(put) }, encoded.chunks, 'store the result');
      }
      return { written: true };
    } catch (error) {
      if (error instanceof ExistingRecord) return { written: false, existing: error.record };
      const existing = await this.#conditionFailedItem(error, input.key, 'store the result');
      if (existing) return { written: false, existing };
      return this.putCompleted(input);
    }
  }

  public async release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    // Only our own record, and only while in progress: a completed record is never released.
    const condition = {
      ConditionExpression: '#token = :token AND #status = :inProgress',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      if (input.keepCheckpoints) {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.#key(input.key),
            UpdateExpression: 'SET #lease = :zero',
            ExpressionAttributeNames: { '#token': A.token, '#lease': A.lease, '#status': A.status },
            ExpressionAttributeValues: { ':token': { S: input.token }, ':zero': { N: '0' }, ':inProgress': { S: RecordStatus.InProgress } },
            ...condition,
          }),
        );
      } else {
        await this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: this.#key(input.key),
            ExpressionAttributeNames: { '#token': A.token, '#status': A.status },
            ExpressionAttributeValues: { ':token': { S: input.token }, ':inProgress': { S: RecordStatus.InProgress } },
            ...condition,
          }),
        );
      }
    } catch (error) {
      const existing = await this.#conditionFailedItem(error, input.key, 'release the lease');
      // Gone already (our own retried delete, or TTL), or completed by this execution: nothing to release.
      if (!existing || existing.token === input.token) return;
      throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'release the lease'), { key: input.key });
    }
  }

  public async get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    let output;
    try {
      output = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: this.#key(key), ConsistentRead: true }),
      );
    } catch (error) {
      throw storeError(error, key, 'read');
    }
    if (!output.Item) return undefined;
    const record = await this.#toRecord(output.Item);
    return record.expiresAt <= nowSeconds(now) ? undefined : record;
  }

  #key(key: string): Record<string, AttributeValue> {
    return { [this.#keyAttr]: { S: key } };
  }

  async #ownedUpdate(
    key: string,
    token: string,
    action: string,
    update: {
      UpdateExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, AttributeValue>;
    },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.#key(key),
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#token': A.token },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':token': { S: token } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new IdempotencyLeaseLostError(leaseLostMessage(key, action), { key, cause: error });
      }
      throw storeError(error, key, action);
    }
  }

  /**
   * Commits the record write, its result chunks and the staged business writes in ONE TransactWriteItems.
   * The SDK gives the request a ClientRequestToken that its retries reuse, so a lost response is not
   * applied twice. Transaction conflicts are retried with backoff.
   */
  async #transact(
    input: CompleteInput,
    record: StagedWrite,
    chunks: readonly Uint8Array[],
    action: string,
  ): Promise<void> {
    const chunkItems: StagedWrite[] = chunks.map((data, index) => ({
      Put: {
        TableName: this.tableName,
        Item: { [this.#keyAttr]: chunkKey(input.key, index), [this.#ttlAttr]: input.expiresAt, [A.data]: data },
      },
    }));
    let writes = [...input.writes];
    const items = (): StagedWrite[] => [record, ...chunkItems, ...writes];
    if (items().length > MAX_TRANSACTION_ITEMS) {
      // The staged writes were counted when staged; the result's chunks are known only now.
      throw new IdempotencyContextError(
        `The result of ${input.key} needs ${chunkItems.length} chunk item(s), which with the record and ${input.writes.length} staged write(s) exceed the ${MAX_TRANSACTION_ITEMS} items of one DynamoDB transaction; nothing was sent. Stage fewer writes or return a smaller result`,
        { key: input.key },
      );
    }
    const firstWrite = 1 + chunkItems.length;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { client, TransactWriteCommand } = await this.#documents();
        await client.send(new TransactWriteCommand({ TransactItems: items() as never }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw storeError(error, input.key, action);
        const reasons = error.CancellationReasons ?? [];
        const own = reasons[0];
        if (own?.Code === 'ConditionalCheckFailed') {
          const existing = own.Item ? await this.#toRecord(own.Item) : undefined;
          if ('Put' in record && existing) throw new ExistingRecord(existing);
          // An earlier attempt of this completion was applied and its answer lost: done, exactly once.
          if (completedBy(existing, input.token)) return;
          throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, action), { key: input.key, cause: error });
        }
        const failed = reasons.flatMap((reason, index) =>
          index >= firstWrite && reason.Code === 'ConditionalCheckFailed' ? [{ write: writes[index - firstWrite], item: reason.Item }] : [],
        );
        // A newerThan write whose version is a duplicate or stale resolves as skipped, as applyIfNewer's
        // does: it is left out and the rest is committed (never a failure on every redelivery).
        const skipped = failed.filter(({ write, item }) => transactGuardFailure(write, item) !== undefined);
        if (failed.length > 0 && skipped.length === failed.length) {
          const dropped = new Set(skipped.map(({ write }) => write));
          this.#logger.info(`Skipped ${dropped.size} newerThan write(s) of ${input.key} whose version is not newer than the stored one`);
          writes = writes.filter((write) => !dropped.has(write));
          attempt -= 1;
          continue;
        }
        const refused = failed.find(({ write, item }) => transactGuardFailure(write, item) === undefined);
        if (refused !== undefined) {
          const writeIndex = input.writes.indexOf(refused.write as StagedWrite);
          const tableName = tableOf(refused.write);
          throw new IdempotencyCommitConditionError(
            `The condition of staged write #${writeIndex} (table ${tableName ?? 'unknown'}) failed, so neither the business writes nor the result of ${input.key} were committed`,
            { key: input.key, cause: error, itemIndex: writeIndex, tableName },
          );
        }
        const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (conflict && attempt < COMMIT_MAX_ATTEMPTS) {
          await delay(20 * 2 ** attempt * (0.5 + Math.random()));
          continue;
        }
        throw storeError(error, input.key, action);
      }
    }
  }

  /**
   * The document client for transactions, and its command, made once: `@aws-sdk/lib-dynamodb` is loaded on the
   * first commit. A failed load is not kept, so the next commit tries again.
   */
  #documents(): Promise<DocumentClient> {
    this.#documentClient ??= loadDocumentClient().then(
      (module) => ({ client: module.DynamoDBDocumentClient.from(this.client), TransactWriteCommand: module.TransactWriteCommand }),
      (error: unknown) => {
        this.#documentClient = undefined;
        throw error;
      },
    );
    return this.#documentClient;
  }

  #encodeResult(text: string): EncodedResult {
    if (Buffer.byteLength(text) <= this.#compressAbove) {
      return { attributes: { [A.result]: { S: text }, [A.encoding]: { S: Encoding.Text } }, chunks: [] };
    }
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

  #encodeStepResult(text: string): Record<string, AttributeValue> {
    return Buffer.byteLength(text) <= this.#compressAbove ? { r: { S: text } } : { z: { B: gzipSync(text) } };
  }

  async #toRecord(item: Record<string, AttributeValue>): Promise<IdempotencyRecord> {
    const key = item[this.#keyAttr]?.S ?? '';
    const steps: Record<string, StepCheckpoint> = {};
    for (const [name, value] of Object.entries(item[A.steps]?.M ?? {})) {
      const m = value.M ?? {};
      const state = m['s']?.S === 'started' ? 'started' : m['s']?.S === 'unstorable' ? 'unstorable' : 'done';
      const result = m['r']?.S ?? (m['z']?.B ? gunzipSync(m['z'].B).toString('utf8') : undefined);
      const reason = m['e']?.S;
      steps[name] = { state, ...(result === undefined ? {} : { result }), ...(reason === undefined ? {} : { reason }) };
    }
    const fingerprint = item[A.fingerprint]?.S;
    const outcome = item[A.outcome]?.S;
    const status = item[A.status]?.S === RecordStatus.Completed ? RecordStatus.Completed : RecordStatus.InProgress;
    const record: IdempotencyRecord = {
      key,
      status,
      token: item[A.token]?.S ?? '',
      expiresAt: Number(item[this.#ttlAttr]?.N ?? '0'),
      leaseUntil: Number(item[A.lease]?.N ?? '0'),
      steps,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      ...(outcome === undefined ? {} : { outcome: outcome === 'error' ? 'error' : 'value' }),
    };
    if (status !== RecordStatus.Completed) return record;
    return { ...record, result: await this.#decodeResult(key, item) };
  }

  async #decodeResult(key: string, item: Record<string, AttributeValue>): Promise<string | undefined> {
    const encoding = item[A.encoding]?.S;
    const binary = item[A.result]?.B;
    if (encoding === Encoding.Gzip && binary) return gunzipSync(binary).toString('utf8');
    if (encoding === Encoding.GzipChunks) {
      const count = Number(item[A.chunks]?.N ?? '0');
      const items = await this.#batchGet(Array.from({ length: count }, (_, index) => chunkKey(key, index)));
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

  /** The item a failed condition returned, or undefined when there was none; rethrows other errors. */
  async #conditionFailedItem(error: unknown, key: string, action: string): Promise<IdempotencyRecord | undefined> {
    if (error instanceof ConditionalCheckFailedException) {
      return error.Item ? this.#toRecord(error.Item) : undefined;
    }
    throw storeError(error, key, action);
  }
}

/** Signals, inside the optimistic transaction path, that a live record already exists. */
class ExistingRecord extends Error {
  public constructor(public readonly record: IdempotencyRecord) {
    super('existing record');
  }
}

/** Whether `record` is the completed record of the execution holding `token` (its own write, applied). */
function completedBy(record: IdempotencyRecord | undefined, token: string): boolean {
  return record !== undefined && record.token === token && record.status === RecordStatus.Completed;
}

function chunkKey(key: string, index: number): string {
  return `${key}#chunk#${index}`;
}

function nowSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

function tableOf(write: StagedWrite | undefined): string | undefined {
  if (!write) return undefined;
  for (const part of Object.values(write)) {
    const table = (part as { TableName?: unknown } | undefined)?.TableName;
    if (typeof table === 'string') return table;
  }
  return undefined;
}

/** Turns a low-level request of our own into the document-client shape used inside transactions. */
function unmarshallRequest(request: {
  TableName: string;
  Key?: Record<string, AttributeValue>;
  Item?: Record<string, AttributeValue>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  [other: string]: unknown;
}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...request };
  if (request.Key) out['Key'] = unmarshall(request.Key);
  if (request.Item) out['Item'] = unmarshall(request.Item);
  if (request.ExpressionAttributeValues) out['ExpressionAttributeValues'] = unmarshall(request.ExpressionAttributeValues);
  return out;
}

function storeError(error: unknown, key: string, action: string): IdempotencyError {
  // Our own errors (a lost lease, a refused transaction) pass through; only the SDK's are wrapped.
  if (error instanceof IdempotencyError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new IdempotencyStoreError(
    `DynamoDB failed to ${action} for idempotency record ${key} (${detail}); retry the invocation`,
    { key, cause: error, retryable: isTransientAwsError(error) },
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A PartiQL quoted identifier (table or attribute name). */
function partiqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PartiQL string literal (a tuple key). */
function partiqlString(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}
