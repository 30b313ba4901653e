/** The engine's local cache of completed outcomes: least recently used first out, each until its record expires. */
import type { IdempotencyRecord, OutcomeKind } from '../persistence/store';

/** A completed outcome as the cache keeps it. */
export interface CachedOutcome {
  readonly result: string;
  readonly outcome: OutcomeKind;
  readonly fingerprint: string | undefined;
  readonly expiresAtMs: number;
}

export class LocalCache {
  readonly #entries = new Map<string, CachedOutcome>();
  readonly #maxItems: number;
  readonly #clock: () => number;

  /** @param maxItems how many outcomes are kept (0: none) */
  public constructor(maxItems: number, clock: () => number) {
    this.#maxItems = maxItems;
    this.#clock = clock;
  }

  /** The outcome kept for `key` while its record has not expired. */
  public get(key: string): CachedOutcome | undefined {
    if (this.#maxItems === 0) return undefined;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAtMs <= this.#clock()) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry;
  }

  public remember(key: string, result: string, outcome: OutcomeKind, fingerprint: string | undefined, expiresAt: number): void {
    const max = this.#maxItems;
    if (max === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { result, outcome, fingerprint, expiresAtMs: expiresAt * 1000 });
    while (this.#entries.size > max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Keeps a completed record found in the store (one without a result has nothing to keep). */
  public rememberRecord(key: string, record: IdempotencyRecord, fingerprint: string | undefined): void {
    if (record.result !== undefined) {
      this.remember(key, record.result, record.outcome ?? 'value', record.fingerprint ?? fingerprint, record.expiresAt);
    }
  }

  public delete(key: string): void {
    this.#entries.delete(key);
  }
}
