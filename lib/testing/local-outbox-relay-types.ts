/**
 * What {@link startLocalOutboxRelay} hands back, and what its handler answers. Apart from the poller that
 * implements them, so that the kit's declarations name none of the optional SDK packages the poller uses.
 */

/** What the relay's handler answers Lambda: the stream records it could not publish. */
export interface LocalRelayResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** Where {@link startLocalOutboxRelay} keeps each shard's position. */
export interface LocalOutboxRelayCheckpoints {
  get(shardId: string): string | undefined;
  set(shardId: string, sequenceNumber: string): void;
}

/** Counts of a {@link LocalOutboxRelay}. */
export interface LocalOutboxRelayStats {
  /** Handler invocations. */
  readonly invocations: number;
  /** Stream records given to the handler (redeliveries included). */
  readonly records: number;
  /** Invocations that threw or reported failed records (and were given again). */
  readonly failedInvocations: number;
}

/** A running local relay, returned by {@link startLocalOutboxRelay}. */
export interface LocalOutboxRelay {
  /** The table's stream. */
  readonly streamArn: string;
  /** What it did so far. */
  stats(): LocalOutboxRelayStats;
  /** Resolves when every stream record written so far has been handled without failure. */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops polling (the batch in hand finishes first). Idempotent. */
  stop(): Promise<void>;
}
