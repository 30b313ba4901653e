/**
 * The arithmetic of leases and expiries on the invoker's clock, with the margin for other invokers' clocks
 * (`clockSkewMs`): how long a lease is, when one has ended, and when a record may expire.
 */
import { DEFAULT_LEASE_SECONDS, LEASE_SAFETY_MARGIN_MS } from '../defaults';
import type { ResolvedOptions } from '../options';
import type { IdempotencyRecord } from '../persistence/store';
import type { InvocationInfo } from './types';

export class LeaseTime {
  readonly #o: ResolvedOptions<never>;

  public constructor(options: ResolvedOptions<never>) {
    this.#o = options;
  }

  /** The length of a lease: `leaseSeconds`, else the invocation's remaining time less the margin, else the default. */
  public leaseMs(info: InvocationInfo): number {
    const o = this.#o;
    if (o.leaseSeconds !== undefined) return o.leaseSeconds * 1000;
    if (info.remainingMs !== undefined) return Math.max(info.remainingMs - LEASE_SAFETY_MARGIN_MS, 1000);
    return DEFAULT_LEASE_SECONDS * 1000;
  }

  /**
   * How much of its lease the work needs left when it (or a step) starts, asked at each start: half of a fixed
   * lease, the rest of the invocation (to `deadline`) for a lease taken from the Lambda context; nothing for a
   * durable execution, whose lease is its timeout.
   */
  public neededMs(info: InvocationInfo, leaseMs: number, deadline: number): () => number {
    if (info.durableExecutionArn !== undefined) return () => Number.NEGATIVE_INFINITY;
    if (this.#o.leaseSeconds === undefined && info.remainingMs !== undefined) return () => deadline - this.#o.clock();
    return () => leaseMs / 2;
  }

  /** Whether the lease of an in-progress record has ended on every invoker's clock (`clockSkewMs`). */
  public leaseEnded(record: IdempotencyRecord): boolean {
    return record.leaseUntil + this.#o.clockSkewMs < this.#o.clock();
  }

  /** How long until the lease of `record` has ended on every invoker's clock. */
  public retryAfterMs(record: IdempotencyRecord): number {
    return Math.max(0, record.leaseUntil + this.#o.clockSkewMs - this.#o.clock());
  }

  /** A completed record's expiry: `expiresAfterSeconds` from `now` (epoch seconds). */
  public completedExpiresAt(now: number): number {
    return Math.floor(now / 1000) + Math.ceil(this.#o.expiresAfterSeconds);
  }

  /** A new record's expiry: `expiresAfterSeconds` from now, and always beyond its lease on every clock. */
  public claimExpiresAt(now: number, leaseMs: number): number {
    return Math.max(this.completedExpiresAt(now), this.expiresBeyondLease(now + leaseMs));
  }

  /** The first expiry (epoch seconds) that outlives a lease ending at `leaseUntil` on every invoker's clock. */
  public expiresBeyondLease(leaseUntil: number): number {
    return Math.floor((leaseUntil + this.#o.clockSkewMs) / 1000) + 1;
  }
}
