import { IdempotencyConfigError, IdempotencyLeaseLostError } from '../errors';
import { describe } from '../describe';
import { createDefaultLogger } from '../logger';
import type { IdempotencyLogger } from '../logger';
import { leaseLostMessage } from '../persistence/messages';
import { currentWriteBatch, inWriteBatch } from '../persistence/coalesce';
import type {
  CheckpointInput,
  ClaimInput,
  ClaimResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
  LeaseExtension,
} from '../persistence/store';
import { WriteBatches, type ReleaseInput } from './batch';
import {
  STEP_FIELD,
  claimArgs,
  completeArgs,
  extendArgs,
  putCompletedArgs,
  refuseStagedWrites,
  releaseArgs,
  storeError,
  takeOverArgs,
  toRecord,
} from './record';
import { VALKEY_STORE_OPTIONS, type ValkeyStoreOptions } from './options';
import { ScriptRunner } from './runner';
import { SCRIPTS, type Script } from './scripts';

/**
 * The Valkey / Redis OSS persistence layer (ElastiCache, MemoryDB, or any server from 6.2 on). Every
 * conditional write is ONE Lua script (EVALSHA, EVAL when the server lacks it), fenced by the token and the
 * status exactly as `DynamoDBStore`'s conditions are; a record is one hash that the server expires
 * at its `expiresAt` (PEXPIREAT). Inside `processSqsBatch` and `processStreamBatch` the claims, plain
 * completions and releases of a batch go out as one script call per hash slot.
 *
 * What it cannot do is refused with `IdempotencyConfigError`, and never stored as done: `commitWith`
 * (no transaction spans Valkey and DynamoDB), and so the kill switch's `commitWrites`.
 *
 * Durability: an acknowledged write lives on the primary; with asynchronous replication (ElastiCache) a
 * failover can lose it and a duplicate then runs. See docs/valkey.md.
 */
export class ValkeyStore implements IdempotencyStore {
  /** Prefix of the records' keys. */
  public readonly keyPrefix: string;
  /** `commitWith` is refused at the call, with this reason. */
  public readonly stagedWritesRefusal =
    'ValkeyStore cannot commit DynamoDB writes (no transaction spans Valkey and DynamoDB). Use DynamoDBStore for commitWith, or make the writes idempotent steps';
  readonly #runner: ScriptRunner;
  readonly #batches: WriteBatches;
  readonly #logger: IdempotencyLogger;

  public constructor(options: ValkeyStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new IdempotencyConfigError(`Expected ValkeyStore options to be an object with a \`client\`, got ${describe(options)}`);
    }
    const { client: commands, keyPrefix, logger, waitForReplicas: wait } = VALKEY_STORE_OPTIONS.resolve(options);
    if (wait !== undefined && commands.cluster) {
      throw new IdempotencyConfigError(
        '`waitForReplicas` cannot be used with a cluster client: WAIT must reach the shard of each key, which a keyless command cannot name. Use MemoryDB for durable writes in cluster mode',
      );
    }
    this.keyPrefix = keyPrefix;
    this.#logger = logger ?? createDefaultLogger();
    this.#runner = new ScriptRunner(commands, wait);
    this.#batches = new WriteBatches(
      this.#runner,
      {
        claim: (input) => this.#claim(input),
        complete: (input) => this.#complete(input),
        release: (input) => this.#release(input),
        claimResult: (input, reply) => this.#claimResult(input, reply),
        completeResult: (input, reply) => completed(input, reply),
        releaseResult: (input, reply) => released(input, reply),
      },
      (key) => this.#recordKey(key),
      commands.cluster,
    );
  }

  public claim(input: ClaimInput): Promise<ClaimResult> {
    return this.#batches.claim(input) ?? this.#claim(input);
  }

  public async takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult> {
    // A claim made afresh goes in the caller's write-batching scope, as the call began in.
    const scope = currentWriteBatch();
    const reply = await this.#write(SCRIPTS.takeOver, input.key, takeOverArgs(input), 'take over');
    const [verdict, fields] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [reply, undefined];
    // Gone or expired: claim it anew.
    if (verdict === 'gone') return inWriteBatch(scope, () => this.claim(input));
    const record = toRecord(input.key, fields);
    if (verdict === 'claimed') return { claimed: true, steps: record?.steps ?? {} };
    if (record === undefined) return inWriteBatch(scope, () => this.claim(input));
    return { claimed: false, existing: record };
  }

  public async checkpoint(input: CheckpointInput): Promise<void> {
    const action = `checkpoint step "${input.step}"`;
    const reply = await this.#write(
      SCRIPTS.checkpoint,
      input.key,
      [input.token, `${STEP_FIELD}${input.step}`, JSON.stringify(input.checkpoint)],
      action,
    );
    if (reply !== 'ok') throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, action), { key: input.key });
  }

  public async extendLease(input: LeaseExtension): Promise<void> {
    const reply = await this.#write(SCRIPTS.extendLease, input.key, extendArgs(input), 'extend the lease');
    if (reply !== 'ok') throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'extend the lease'), { key: input.key });
  }

  public async complete(input: CompleteInput): Promise<void> {
    refuseStagedWrites(input);
    await (this.#batches.complete(input) ?? this.#complete(input));
  }

  public async putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    refuseStagedWrites(input);
    const reply = await this.#write(SCRIPTS.putCompleted, input.key, putCompletedArgs(input), 'store the result');
    const [verdict, fields] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [reply, undefined];
    const existing = verdict === 'existing' ? toRecord(input.key, fields) : undefined;
    return existing === undefined ? { written: true } : { written: false, existing };
  }

  public release(input: ReleaseInput): Promise<void> {
    return this.#batches.release(input) ?? this.#release(input);
  }

  public async get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    let reply: unknown;
    try {
      reply = await this.#runner.read(['HGETALL', this.#recordKey(key)]);
    } catch (error) {
      throw storeError(error, key, 'read');
    }
    const record = toRecord(key, reply);
    return record !== undefined && record.expiresAt > Math.floor(now / 1000) ? record : undefined;
  }

  async #claim(input: ClaimInput): Promise<ClaimResult> {
    return this.#claimResult(input, await this.#write(SCRIPTS.claim, input.key, claimArgs(input), 'claim'));
  }

  async #claimResult(input: ClaimInput, reply: unknown): Promise<ClaimResult> {
    const [verdict, fields] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [reply, undefined];
    if (verdict === 'claimed') return { claimed: true, steps: {} };
    const existing = toRecord(input.key, fields);
    if (existing !== undefined) return { claimed: false, existing };
    this.#logger.warn(`Unexpected reply of the claim script for ${input.key}: ${describe(reply)}; claiming again`);
    return this.#claim(input);
  }

  async #complete(input: CompleteInput): Promise<void> {
    completed(input, await this.#write(SCRIPTS.complete, input.key, completeArgs(input), 'store the result'));
  }

  async #release(input: ReleaseInput): Promise<void> {
    released(input, await this.#write(SCRIPTS.release, input.key, releaseArgs(input), 'release the lease'));
  }

  async #write(script: Script, key: string, args: string[], action: string): Promise<unknown> {
    try {
      return await this.#runner.write(script, [this.#recordKey(key)], args, key);
    } catch (error) {
      throw storeError(error, key, action);
    }
  }

  #recordKey(key: string): string {
    return `${this.keyPrefix}${key}`;
  }
}

/** A completion's reply: done, or done before by this token (its answer lost); otherwise the lease is lost. */
function completed(input: CompleteInput, reply: unknown): void {
  if (reply === 'done' || reply === 'already') return;
  throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'store the result'), { key: input.key });
}

function released(input: ReleaseInput, reply: unknown): void {
  if (reply === 'ok') return;
  throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'release the lease'), { key: input.key });
}
