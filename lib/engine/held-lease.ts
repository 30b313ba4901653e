/**
 * The lease one execution holds, as last written: its end on the invoker's clock and the record's expiry.
 * It is extended fenced by the token, and renewed before the work (or a step) starts when less of it is
 * left than the work needs.
 */
import { IdempotencyStoreError } from '../errors';
import type { ResolvedOptions } from '../options';

/** A lease as written in the store: its end on the invoker's clock, and the record's expiry (epoch seconds). */
export interface Lease {
  readonly leaseUntil: number;
  readonly expiresAt: number;
}

/** What a held lease needs from its execution. */
export interface LeaseIo {
  readonly key: string;
  readonly token: string;
  /** Length of the lease, in milliseconds. */
  readonly leaseMs: number;
  readonly options: ResolvedOptions<never>;
  /** The first expiry (epoch seconds) that outlives a lease ending at `leaseUntil` on every invoker's clock. */
  expiresBeyondLease(leaseUntil: number): number;
  /** How many milliseconds of the lease the work needs left when it (or a step) starts, asked at each start. */
  neededMs(): number;
  /** A store write of the execution, retried on transient failures until its deadline. */
  write(action: string, call: () => Promise<void>): Promise<void>;
}

/**
 * Renewals in a row that {@link HeldLease.keep} tries when each lands with less than the work needs: a store
 * that slow cannot protect the work, and the record is given back.
 */
const MAX_RENEWALS = 2;

export class HeldLease {
  readonly #io: LeaseIo;
  #leaseUntil: number;
  #expiresAt: number;

  public constructor(io: LeaseIo, written: Lease) {
    this.#io = io;
    this.#leaseUntil = written.leaseUntil;
    this.#expiresAt = written.expiresAt;
  }

  /** Milliseconds left of the lease as last written, on the invoker's clock. */
  public leftMs(): number {
    return this.#leaseUntil - this.#io.options.clock();
  }

  /** Whether less of the lease is left than the work needs when it (or a step) starts: {@link keep} renews it. */
  public short(): boolean {
    return this.leftMs() < this.#io.neededMs();
  }

  /** Milliseconds until the lease as last written ends on every invoker's clock (`clockSkewMs` included); never negative. */
  public heldForMs(): number {
    const o = this.#io.options;
    return Math.max(0, this.#leaseUntil + o.clockSkewMs - o.clock());
  }

  /** Extends the lease to `ms` from now, and the record's expiry beyond it; fenced by the token. */
  public async extend(ms: number): Promise<void> {
    const { options: o, key, token } = this.#io;
    let written: Lease | undefined;
    await this.#io.write('extend the lease', () => {
      // Measured from this attempt: an extension retried after a throttle extends from when it is sent.
      const leaseUntil = o.clock() + ms;
      const expiresAt = Math.max(this.#expiresAt, this.#io.expiresBeyondLease(leaseUntil));
      written = { leaseUntil, expiresAt };
      return o.store.extendLease({ key, token, leaseUntil, expiresAt });
    });
    if (written === undefined) return;
    this.#leaseUntil = written.leaseUntil;
    this.#expiresAt = written.expiresAt;
  }

  /**
   * Renews the lease (with `extend`, the execution's extension) until it has what the work needs left. When a
   * renewal fails, or {@link MAX_RENEWALS} in a row each land short, the record is given back (`giveBack`) and
   * the error thrown.
   */
  public async keep(extend: (ms: number) => Promise<void>, giveBack: () => Promise<unknown>): Promise<void> {
    const { key, leaseMs } = this.#io;
    for (let renewals = 0; this.leftMs() < this.#io.neededMs(); renewals += 1) {
      if (renewals === MAX_RENEWALS) {
        await giveBack();
        throw new IdempotencyStoreError(
          `The lease on idempotency record ${key} was renewed ${MAX_RENEWALS} times and each renewal landed with less than the work needs (${Math.round(this.leftMs())} ms of ${leaseMs} ms left): the store answers too slowly to protect the work, so the record was given back and the work did not run; retry the invocation`,
          { key, retryable: true },
        );
      }
      try {
        await extend(leaseMs);
      } catch (error) {
        // Taken over meanwhile (the lease ended before the renewal landed), or the store is down: not ours to run.
        await giveBack();
        throw error;
      }
    }
  }
}
