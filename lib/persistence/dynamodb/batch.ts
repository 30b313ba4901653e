/**
 * Batched writes: inside a write-batching scope (`processSqsBatch`, `processStreamBatch`), the claims,
 * plain completions, plain releases and plain completed records of optimistic mode (`putCompleted`) of one
 * event-loop turn go out as PartiQL `BatchExecuteStatement`s of up to 25 statements; a statement that fails
 * is retried alone with the single request, which applies every rule.
 * Also the batched read of the store (`BatchGetItem`).
 */
import { BatchExecuteStatementCommand, BatchGetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { IdempotencyLogger } from '../../options';
import { coalesce, scopedCoalescer, settle, type Pending } from '../coalesce';
import { RecordStatus, type ClaimInput, type ClaimResult, type CompleteInput, type IdempotencyRecord } from '../store';
import { outcomeAttributes, type EncodedResult, type RecordCodec } from './codec';
import { partiqlOwnedInProgress } from './conditions';
import { partiqlName, partiqlParts, partiqlString } from './partiql';
import { A, keyOf, nowSeconds, type Item, type Table } from './table';

/** Most statements DynamoDB takes in one BatchExecuteStatement. */
const MAX_BATCH_STATEMENTS = 25;

/** What `putCompleted` returns: written, or the live record that was there. */
export type PutCompletedResult = { readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord };

/** The single requests that a call whose statement failed falls back to. */
export interface SingleWrites {
  claim(input: ClaimInput): Promise<ClaimResult>;
  complete(input: CompleteInput): Promise<void>;
  release(input: ReleaseInput): Promise<void>;
  /** Undefined when a record met was gone by the time its condition failed (then it is put again). */
  putCompleted(input: CompleteInput): Promise<PutCompletedResult | undefined>;
}

/** A release, as the store takes it. */
export interface ReleaseInput {
  readonly key: string;
  readonly token: string;
  readonly keepCheckpoints: boolean;
}

/** The kinds of batched statement; each is turned off on its own when its permission is refused. */
/** The PartiQL statements of batched writes: claims insert, completions update, releases delete. */
export type StatementKind = 'insert' | 'update' | 'delete';

/** Every statement that can be batched. */
export const BATCHED_STATEMENTS: readonly StatementKind[] = ['insert', 'update', 'delete'];

/**
 * The kinds of statement turned off together when their permission is refused, and the IAM actions to grant:
 * claims and completions have always needed both PartiQL inserts and updates; releases need deletes.
 */
const PERMISSIONS: Readonly<Record<StatementKind, { readonly kinds: readonly StatementKind[]; readonly grant: string }>> = {
  insert: { kinds: ['insert', 'update'], grant: 'dynamodb:PartiQLInsert and dynamodb:PartiQLUpdate' },
  update: { kinds: ['insert', 'update'], grant: 'dynamodb:PartiQLInsert and dynamodb:PartiQLUpdate' },
  delete: { kinds: ['delete'], grant: 'dynamodb:PartiQLDelete' },
};

/** A call whose statement failed, with the statement's error code (none when it was not sent in a batch). */
interface Failure<I, O> {
  readonly call: Pending<I, O>;
  readonly code: string | undefined;
}

export class WriteBatches {
  readonly #table: Table;
  readonly #codec: RecordCodec;
  readonly #single: SingleWrites;
  readonly #logger: IdempotencyLogger;
  /** The kinds of statement still sent in batches (all, or none with `batchWrites: false`). */
  readonly #enabled: Set<StatementKind>;
  /** Identities of this store's coalescers in a write-batching scope. */
  readonly #claimsOwner = {};
  readonly #completionsOwner = {};
  readonly #releasesOwner = {};
  readonly #putsOwner = {};

  /** @param batched the statements that may be sent together (none: every write goes alone) */
  public constructor(table: Table, codec: RecordCodec, single: SingleWrites, logger: IdempotencyLogger, batched: readonly StatementKind[]) {
    this.#table = table;
    this.#codec = codec;
    this.#single = single;
    this.#logger = logger;
    this.#enabled = new Set(batched);
  }

  /** The claim, sent with the others of this turn; undefined when it goes alone (no scope, or batching off). */
  public claim(input: ClaimInput): Promise<ClaimResult> | undefined {
    const batched = this.#enabled.has('insert')
      ? scopedCoalescer(this.#claimsOwner, () => coalesce<ClaimInput, ClaimResult>((calls) => this.#flushClaims(calls)))
      : undefined;
    return batched ? batched(input) : undefined;
  }

  /** The completion, sent with the others of this turn; undefined when it goes alone (also: staged writes). */
  public complete(input: CompleteInput): Promise<void> | undefined {
    const batched =
      this.#enabled.has('update') && input.writes.length === 0 && (input.messages?.length ?? 0) === 0
        ? scopedCoalescer(this.#completionsOwner, () => coalesce<CompleteInput, void>((calls) => this.#flushCompletions(calls)))
        : undefined;
    return batched ? batched(input) : undefined;
  }

  /**
   * The release, sent with the others of this turn (the unrun claims of an ordered batch that stopped);
   * undefined when it goes alone (no scope, batching off, or checkpoints to keep: that is an update).
   */
  public release(input: ReleaseInput): Promise<void> | undefined {
    const batched =
      this.#enabled.has('delete') && !input.keepCheckpoints
        ? scopedCoalescer(this.#releasesOwner, () => coalesce<ReleaseInput, void>((calls) => this.#flushReleases(calls)))
        : undefined;
    return batched ? batched(input) : undefined;
  }

  /**
   * Optimistic mode's completed record, sent with the others of this turn; undefined when it goes alone (no
   * scope, batching off, or staged writes: a transaction).
   */
  public putCompleted(input: CompleteInput): Promise<PutCompletedResult> | undefined {
    const batched =
      this.#enabled.has('insert') && input.writes.length === 0
        ? scopedCoalescer(this.#putsOwner, () => coalesce<CompleteInput, PutCompletedResult>((calls) => this.#flushPuts(calls)))
        : undefined;
    return batched ? batched(input) : undefined;
  }

  /** Claims of one event-loop turn: one conditional INSERT each, in as few requests as possible. */
  async #flushClaims(calls: Pending<ClaimInput, ClaimResult>[]): Promise<void> {
    await this.#flushStatements(
      'insert',
      calls,
      // INSERT fails on any existing item, expired or not: those fall back to the single claim.
      (input) => this.#insert(this.#codec.claimAttributes(input)),
      (): ClaimResult => ({ claimed: true, steps: {} }),
      // Records that exist already go to the engine as a failed single claim would give them (its own token
      // after a retried request, a completed record to replay, a lease to take over).
      (failures) =>
        this.#existingOrAlone(
          failures,
          (existing): ClaimResult => ({ claimed: false, existing }),
          (input) => this.#single.claim(input),
        ),
    );
  }

  /**
   * Completed records of one event-loop turn (optimistic mode): one INSERT each, which fails on any existing
   * item. A live record there is returned as a failed single put would return it; an expired one, a result
   * in chunks and any other failure take the single put.
   */
  async #flushPuts(calls: Pending<CompleteInput, PutCompletedResult>[]): Promise<void> {
    const simple: Pending<CompleteInput, PutCompletedResult>[] = [];
    const items = new Map<CompleteInput, Item>();
    for (const call of calls) {
      const encoded = this.#codec.encodeResult(call.input.result);
      if (encoded.chunks.length > 0) void settle(call, this.#putAlone(call.input));
      else {
        items.set(call.input, this.#codec.completedItem(call.input, encoded));
        simple.push(call);
      }
    }
    await this.#flushStatements(
      'insert',
      simple,
      (input) => this.#insert(Object.entries(items.get(input) ?? {})),
      (): PutCompletedResult => ({ written: true }),
      (failures) =>
        this.#existingOrAlone(
          failures,
          (existing): PutCompletedResult => ({ written: false, existing }),
          (input) => this.#putAlone(input),
        ),
    );
  }

  /** A PartiQL INSERT of one item's attributes: it fails on any existing item, expired or not. */
  #insert(attributes: readonly [string, AttributeValue][]): { Statement: string; Parameters: AttributeValue[] } {
    const { parts, parameters } = partiqlParts(attributes, (name, value) => `${partiqlString(name)}: ${value}`);
    return { Statement: `INSERT INTO ${partiqlName(this.#table.tableName)} VALUE {${parts.join(', ')}}`, Parameters: parameters };
  }

  /**
   * The INSERTs of a batch that failed: a live record found there (all read at once) is answered with `found`,
   * as the single write would answer; an absent or expired one, and every other failure, takes the single write.
   */
  async #existingOrAlone<TInput extends { readonly key: string; readonly now: number }, TOutput>(
    failures: readonly { readonly call: Pending<TInput, TOutput>; readonly code: string | undefined }[],
    found: (existing: IdempotencyRecord) => TOutput,
    alone: (input: TInput) => Promise<TOutput>,
  ): Promise<void> {
    const duplicates = failures.filter((failure) => failure.code === 'DuplicateItem');
    const items = await batchGet(
      this.#table,
      duplicates.map((failure) => failure.call.input.key),
    ).catch(() => new Map<string, Item>());
    await Promise.all(
      failures.map(async ({ call, code }) => {
        const item = code === 'DuplicateItem' ? items.get(call.input.key) : undefined;
        const record = item ? await this.#codec.toRecord(item).catch(() => undefined) : undefined;
        if (record && record.expiresAt > nowSeconds(call.input.now)) call.resolve(found(record));
        else await settle(call, alone(call.input));
      }),
    );
  }

  /** The single put, again while a record it met is gone by the time its condition failed. */
  async #putAlone(input: CompleteInput): Promise<PutCompletedResult> {
    for (;;) {
      const result = await this.#single.putCompleted(input);
      if (result) return result;
    }
  }

  /** Plain completions of one event-loop turn: one UPDATE each, conditional on the token. */
  async #flushCompletions(calls: Pending<CompleteInput, void>[]): Promise<void> {
    const simple: Pending<CompleteInput, void>[] = [];
    const encodings = new Map<CompleteInput, EncodedResult>();
    for (const call of calls) {
      const encoded = this.#codec.encodeResult(call.input.result);
      if (encoded.chunks.length > 0) void settle(call, this.#single.complete(call.input));
      else {
        encodings.set(call.input, encoded);
        simple.push(call);
      }
    }
    await this.#flushStatements(
      'update',
      simple,
      (input) => {
        const set: [string, AttributeValue][] = [
          [A.status, { S: RecordStatus.Completed }],
          [this.#table.ttlAttr, { N: String(input.expiresAt) }],
          [A.lease, { N: '0' }],
          ...Object.entries({ ...outcomeAttributes(input.outcome), ...encodings.get(input)?.attributes }),
        ];
        const clauses = partiqlParts(set, (name, value) => `SET ${partiqlName(name)}=${value}`);
        // Only the steps can be there to remove: the condition holds the record in progress, and a record in
        // progress never holds a result, its encoding or a chunk count (see codec.ts).
        const condition = partiqlOwnedInProgress(this.#table, input.key, input.token);
        return {
          Statement: `UPDATE ${partiqlName(this.#table.tableName)} ${clauses.parts.join(' ')} REMOVE ${partiqlName(A.steps)} WHERE ${condition.where}`,
          Parameters: [...clauses.parameters, ...condition.parameters],
        };
      },
      () => undefined,
      async (failures) => {
        // A lost lease (or a throttle): the single request tells which, with the right error.
        await Promise.all(failures.map(({ call }) => settle(call, this.#single.complete(call.input))));
      },
    );
  }

  /** Plain releases of one event-loop turn: one DELETE each, conditional on the token and the status. */
  async #flushReleases(calls: Pending<ReleaseInput, void>[]): Promise<void> {
    await this.#flushStatements(
      'delete',
      calls,
      (input) => {
        const condition = partiqlOwnedInProgress(this.#table, input.key, input.token);
        return {
          Statement: `DELETE FROM ${partiqlName(this.#table.tableName)} WHERE ${condition.where}`,
          Parameters: condition.parameters,
        };
      },
      () => undefined,
      async (failures) => {
        // Gone already, completed, or taken over: the single request tells which, with the right error.
        await Promise.all(failures.map(({ call }) => settle(call, this.#single.release(call.input))));
      },
    );
  }

  /**
   * Sends the calls' statements in groups of at most 25. A call whose statement succeeded gets `applied`;
   * those whose statement failed go to `failed` with the error code; a call that shares its key with an
   * earlier one, or whose request failed, goes to `failed` too, with no code.
   */
  async #flushStatements<I extends { readonly key: string }, O>(
    kind: StatementKind,
    calls: Pending<I, O>[],
    statement: (input: I) => { Statement: string; Parameters: AttributeValue[] },
    applied: (input: I) => O,
    failed: (failures: Failure<I, O>[]) => Promise<void>,
  ): Promise<void> {
    const keys = new Set<string>();
    const grouped: Pending<I, O>[] = [];
    const alone: Failure<I, O>[] = [];
    for (const call of calls) {
      if (!this.#enabled.has(kind) || keys.has(call.input.key)) alone.push({ call, code: undefined });
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
        const output = await this.#table.client.send(
          new BatchExecuteStatementCommand({ Statements: group.map((call) => statement(call.input)) }),
        );
        responses = output.Responses ?? [];
      } catch (error) {
        // Only a refused permission turns this kind of statement off: any other failure (a throttle, a
        // statement DynamoDB refuses for its values) is this group's alone, and the single requests tell which.
        const name = (error as { name?: string }).name;
        if (name === 'AccessDeniedException' && this.#enabled.has(kind)) {
          const { kinds, grant } = PERMISSIONS[kind];
          kinds.forEach((off) => this.#enabled.delete(off));
          this.#logger.warn(
            `DynamoDBStore: BatchExecuteStatement on ${this.#table.tableName} was refused (${name}); sending single requests for ${kinds.map((k) => k.toUpperCase()).join(' and ')} statements from now on. Grant ${grant}, or set batchWrites: false`,
          );
        }
        return failed(group.map((call) => ({ call, code: undefined })));
      }
      const failures: Failure<I, O>[] = [];
      group.forEach((call, index) => {
        const response = responses[index];
        if (response && !response.Error) call.resolve(applied(call.input));
        else failures.push({ call, code: response?.Error?.Code });
      });
      return failures.length > 0 ? failed(failures) : undefined;
    });
    await Promise.all([...sent, alone.length > 0 ? failed(alone) : undefined]);
  }
}

/** Consistent reads of up to any number of keys, 100 per BatchGetItem, unprocessed keys retried. */
export async function batchGet(table: Table, keys: readonly string[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  let pending = keys.map((key) => keyOf(table, key));
  while (pending.length > 0) {
    const output = await table.client.send(
      new BatchGetItemCommand({ RequestItems: { [table.tableName]: { Keys: pending.slice(0, 100), ConsistentRead: true } } }),
    );
    for (const item of output.Responses?.[table.tableName] ?? []) {
      const id = item[table.keyAttr]?.S;
      if (id !== undefined) found.set(id, item);
    }
    pending = [...(output.UnprocessedKeys?.[table.tableName]?.Keys ?? []), ...pending.slice(100)];
  }
  return found;
}
