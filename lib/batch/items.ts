/**
 * A batch's records, decoded and keyed before any of them runs (once: the handler gets the decoded value, and
 * a handler that changes its input cannot change a key or fingerprint taken here).
 */
import type { IdempotencyEngine } from '../engine';
import { acknowledgesDuplicates, fingerprintOf } from './duplicates';
import type { FailureCause } from './failure-log';

/** The engine a batch record runs through: its arguments are the record and its decoded form. */
export type BatchEngine<TArgs extends unknown[]> = IdempotencyEngine<TArgs, unknown>;

/** Why a record fails at its turn without running (its decoding, key or fingerprint failed, or it was refused). */
export interface Problem {
  readonly cause: Extract<FailureCause, 'parse' | 'key' | 'fingerprint' | 'refused'>;
  readonly error: unknown;
  /** `refused`: what the source found wrong. */
  readonly detail?: string;
}

/** One record of the batch, prepared before anything runs. */
export interface BatchItem<TArgs extends unknown[]> {
  /** The record and its decoded form, as the handler and the engine get them; absent when decoding failed. */
  readonly args: TArgs | undefined;
  /** Absent without a store. */
  readonly engine: BatchEngine<TArgs> | undefined;
  /**
   * The records of one lane run one at a time in batch order, and the rest of a lane does not run after a
   * failure (an SQS FIFO message group, a Kinesis shard, a Kafka partition); `undefined`: no order.
   */
  readonly lane: string | undefined;
  /** The idempotency key, when the engine derives one: records with equal keys run one after another. */
  readonly key: string | undefined;
  /** Optimistic mode, with a key: the fingerprint a later record with the same key is compared with. */
  readonly fingerprint: string | undefined;
  readonly problem: Problem | undefined;
}

/** What a source tells of one record for {@link prepareItem}. */
export interface RecordParts<TArgs extends unknown[]> {
  readonly lane: string | undefined;
  readonly engine: BatchEngine<TArgs> | undefined;
  /** Set when the source refuses the record before decoding it. */
  readonly refused?: { readonly detail: string; readonly error: unknown };
  /** The record and its decoded form; throws when the record cannot be decoded. */
  decode(): TArgs;
}

/** Decodes a record and derives its key (and, in optimistic mode, its fingerprint); failures become a problem. */
export function prepareItem<TArgs extends unknown[]>(parts: RecordParts<TArgs>): BatchItem<TArgs> {
  const { lane, engine, refused } = parts;
  const failed = (args: TArgs | undefined, problem: Problem): BatchItem<TArgs> => ({
    args,
    engine,
    lane,
    key: undefined,
    fingerprint: undefined,
    problem,
  });
  if (refused !== undefined) return failed(undefined, { cause: 'refused', ...refused });
  let args: TArgs;
  try {
    args = parts.decode();
  } catch (error) {
    return failed(undefined, { cause: 'parse', error });
  }
  let key: string | undefined;
  try {
    key = engine?.keyOf(args);
  } catch (error) {
    return failed(args, { cause: 'key', error });
  }
  let fingerprint: string | undefined;
  if (engine !== undefined && key !== undefined && acknowledgesDuplicates(engine)) {
    try {
      fingerprint = fingerprintOf(engine, args);
    } catch (error) {
      return failed(args, { cause: 'fingerprint', error });
    }
  }
  return { args, engine, lane, key, fingerprint, problem: undefined };
}
