import { IdempotencyConfigError, IdempotencyLeaseLostError } from '../errors';
import { leaseLostMessage } from './messages';
import {
  RecordStatus,
  type ClaimInput,
  type ClaimResult,
  type CompleteInput,
  type IdempotencyRecord,
  type IdempotencyStore,
  type LeaseExtension,
  type CheckpointInput,
} from './store';

/**
 * An in-process store with the same semantics as {@link DynamoDBStore} (conditional claims, tokens,
 * expiry), for unit tests and local runs. Records live in this instance only: never use it in Lambda,
 * where each execution environment would have its own.
 *
 * Staged business writes (`commitWith`) need DynamoDB and are refused with `IdempotencyConfigError`.
 */
export class InMemoryStore implements IdempotencyStore {
  readonly #records = new Map<string, IdempotencyRecord>();

  public async claim(input: ClaimInput): Promise<ClaimResult> {
    const existing = this.#live(input.key, input.now);
    if (existing) return { claimed: false, existing: clone(existing) };
    this.#records.set(input.key, {
      key: input.key,
      status: RecordStatus.InProgress,
      token: input.token,
      expiresAt: input.expiresAt,
      leaseUntil: input.leaseUntil,
      ...(input.fingerprint === undefined ? {} : { fingerprint: input.fingerprint }),
      ...(input.owner === undefined ? {} : { owner: input.owner }),
      steps: {},
    });
    return { claimed: true, steps: {} };
  }

  public async takeOver(input: ClaimInput & { readonly previousToken: string }): Promise<ClaimResult> {
    const existing = this.#live(input.key, input.now);
    const sameOwner = input.owner !== undefined && existing?.owner === input.owner;
    if (
      !existing ||
      existing.status !== RecordStatus.InProgress ||
      existing.token !== input.previousToken ||
      (existing.leaseUntil >= input.now && !sameOwner)
    ) {
      return existing ? { claimed: false, existing: clone(existing) } : this.claim(input);
    }
    const { owner: _previousOwner, ...rest } = existing;
    this.#records.set(input.key, {
      ...rest,
      token: input.token,
      leaseUntil: input.leaseUntil,
      expiresAt: Math.max(existing.expiresAt, input.expiresAt),
      ...(input.owner === undefined ? {} : { owner: input.owner }),
    });
    return { claimed: true, steps: { ...existing.steps } };
  }

  public async checkpoint(input: CheckpointInput): Promise<void> {
    const record = this.#owned(input.key, input.token, `checkpoint step "${input.step}"`);
    this.#records.set(input.key, { ...record, steps: { ...record.steps, [input.step]: { ...input.checkpoint } } });
  }

  public async extendLease(input: LeaseExtension): Promise<void> {
    const record = this.#owned(input.key, input.token, 'extend the lease');
    this.#records.set(input.key, { ...record, leaseUntil: input.leaseUntil, expiresAt: input.expiresAt });
  }

  public async complete(input: CompleteInput): Promise<void> {
    refuseWrites(input);
    const record = this.#owned(input.key, input.token, 'store the result');
    // Completed already by this execution (a retried completion): done, as DynamoDBStore does.
    if (record.status === RecordStatus.Completed) return;
    this.#records.set(input.key, completed(input, record.fingerprint, record.owner));
  }

  public async putCompleted(
    input: CompleteInput,
  ): Promise<{ readonly written: true } | { readonly written: false; readonly existing: IdempotencyRecord }> {
    refuseWrites(input);
    const existing = this.#live(input.key, input.now);
    if (existing) return { written: false, existing: clone(existing) };
    this.#records.set(input.key, completed(input, input.fingerprint));
    return { written: true };
  }

  public async release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    const record = this.#records.get(input.key);
    if (!record) return;
    if (record.token !== input.token) {
      throw new IdempotencyLeaseLostError(leaseLostMessage(input.key, 'release the lease'), { key: input.key });
    }
    // A completed record is never released.
    if (record.status === RecordStatus.Completed) return;
    if (input.keepCheckpoints) {
      this.#records.set(input.key, { ...record, leaseUntil: 0 });
    } else {
      this.#records.delete(input.key);
    }
  }

  public async get(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const record = this.#live(key, now);
    return record ? clone(record) : undefined;
  }

  /** Removes every record (for tests). */
  public clear(): void {
    this.#records.clear();
  }

  #live(key: string, now: number): IdempotencyRecord | undefined {
    const record = this.#records.get(key);
    if (record && record.expiresAt * 1000 <= now) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  #owned(key: string, token: string, action: string): IdempotencyRecord {
    const record = this.#records.get(key);
    if (!record || record.token !== token) {
      throw new IdempotencyLeaseLostError(leaseLostMessage(key, action), { key });
    }
    return record;
  }
}

function completed(input: CompleteInput, fingerprint: string | undefined, owner?: string): IdempotencyRecord {
  return {
    key: input.key,
    status: RecordStatus.Completed,
    token: input.token,
    expiresAt: input.expiresAt,
    leaseUntil: 0,
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(owner === undefined ? {} : { owner }),
    result: input.result,
    outcome: input.outcome,
    steps: {},
  };
}

function refuseWrites(input: CompleteInput): void {
  if (input.writes.length > 0) {
    throw new IdempotencyConfigError(
      `commitWith staged ${input.writes.length} DynamoDB write(s), but InMemoryStore cannot commit DynamoDB writes: use DynamoDBStore`,
      { key: input.key },
    );
  }
}

function clone(record: IdempotencyRecord): IdempotencyRecord {
  return { ...record, steps: { ...record.steps } };
}
