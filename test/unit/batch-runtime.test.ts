/**
 * The one batch runtime (`lib/batch/runtime.ts`) that processSqsBatch and processStreamBatch plug into: lanes,
 * failures, in-batch duplicates, claims made ahead and write batching, tested on its own with plain records
 * and an in-memory store.
 */
import type { IdempotencyLogger, IdempotencyOptions } from '../../lib';
import { prepareItem, type BatchEngine, type BatchItem } from '../../lib/batch/items';
import type { FailureWording } from '../../lib/batch/failure-log';
import { runBatch, type BatchRun, type RecordOutcome } from '../../lib/batch/runtime';
import { resolveOptions } from '../../lib/config/idempotency';
import { IdempotencyEngine } from '../../lib/engine';
import { IdempotencyPayloadMismatchError } from '../../lib/errors';
import { InMemoryStore } from '../../lib/persistence/memory';
import type { ClaimInput, ClaimResult, CompleteInput } from '../../lib/persistence/store';
import { scopedCoalescer } from '../../lib/persistence/coalesce';

/** A record of these tests: its id, its lane, its key, and whether its handler throws. */
interface Rec {
  readonly id: string;
  readonly lane?: string;
  readonly key?: string;
  readonly payload?: number;
  readonly fails?: boolean;
  readonly undecodable?: boolean;
}
type Args = [record: Rec, info: { readonly payload: number }];

const DONE: RecordOutcome = { state: 'done' };
const SKIPPED: RecordOutcome = { state: 'skipped' };

/** The store's claims and releases and the handler's runs, in the order they happened, by record id. */
class Journal extends InMemoryStore {
  public readonly events: string[] = [];
  /** Record ids by idempotency key. */
  public readonly ids = new Map<string, string>();

  public override async claim(input: ClaimInput): Promise<ClaimResult> {
    this.events.push(`claim ${this.ids.get(input.key) ?? input.key}`);
    return super.claim(input);
  }

  public override async release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
    this.events.push(`release ${this.ids.get(input.key) ?? input.key}`);
    return super.release(input);
  }

  /** The engine for `records`, whose keys this journal then names by record id. */
  public engine(records: readonly Rec[]): BatchEngine<Args> {
    const engine = engineFor(this) as BatchEngine<Args>;
    for (const record of records) this.ids.set(engine.keyOf([record, { payload: 0 }]) as string, record.key ?? record.id);
    return engine;
  }
}

function capturingLogger(): IdempotencyLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const wording: FailureWording = {
  noun: 'record',
  name: (index) => `record #${index}`,
  then: () => 'reported',
  lane: () => 'its lane',
};

function engineFor(store: InMemoryStore | undefined, options: Partial<IdempotencyOptions<Args>> = {}): BatchEngine<Args> | undefined {
  if (store === undefined) return undefined;
  const given: IdempotencyOptions<Args> = { store, key: (record) => record.key ?? record.id, ...options };
  return new IdempotencyEngine<Args, unknown>(resolveOptions<Args>(given, 'runtime-test', 'the runtime test'));
}

function items(records: readonly Rec[], engine: BatchEngine<Args> | undefined): BatchItem<Args>[] {
  return records.map((record) =>
    prepareItem<Args>({
      lane: record.lane,
      engine,
      decode: () => {
        if (record.undecodable === true) throw new SyntaxError(`record ${record.id} is not JSON`);
        return [record, { payload: record.payload ?? 0 }];
      },
    }),
  );
}

/** Runs `records` with the handler recording what ran (and failing those marked `fails`). */
async function run(
  records: readonly Rec[],
  parts: Partial<BatchRun<Args>> & { readonly engine?: BatchEngine<Args>; readonly ran?: string[] } = {},
): Promise<{ outcomes: RecordOutcome[]; ran: string[]; logger: ReturnType<typeof capturingLogger> }> {
  const ran = parts.ran ?? [];
  const logger = capturingLogger();
  const outcomes = await runBatch<Args>({
    items: items(records, parts.engine),
    handler: async (record) => {
      ran.push(record.id);
      await new Promise((resolve) => setImmediate(resolve));
      if (record.fails === true) throw new Error(`${record.id} refused`);
    },
    context: undefined,
    logger,
    concurrency: 4,
    claimAhead: Number.POSITIVE_INFINITY,
    stopOnFailure: false,
    logsSkipped: true,
    wording,
    ...parts,
  });
  return { outcomes, ran, logger };
}

describe('lanes', () => {
  it('runs the records of a lane one at a time, in batch order, and records of other lanes beside them', async () => {
    const running = new Set<string>();
    let overlap = 0;
    const logger = capturingLogger();
    const records: Rec[] = ['a1', 'b1', 'a2', 'b2', 'a3'].map((id) => ({ id, lane: id[0] }));
    const ran: string[] = [];
    await runBatch<Args>({
      ...{ context: undefined, logger, claimAhead: 25, stopOnFailure: false, logsSkipped: true, wording },
      items: items(records, undefined),
      concurrency: 4,
      handler: async (record) => {
        for (const other of running) if (other[0] === record.id[0]) throw new Error('two records of one lane at once');
        running.add(record.id);
        overlap = Math.max(overlap, running.size);
        await new Promise((resolve) => setImmediate(resolve));
        running.delete(record.id);
        ran.push(record.id);
      },
    });
    expect(ran.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(ran.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(overlap).toBe(2);
  });

  it('does not run the rest of a lane after a failure; the other lanes go on', async () => {
    const records: Rec[] = [
      { id: 'a1', lane: 'a', fails: true },
      { id: 'b1', lane: 'b' },
      { id: 'a2', lane: 'a' },
      { id: 'b2', lane: 'b' },
    ];
    const { outcomes, ran } = await run(records);
    expect(ran.sort()).toEqual(['a1', 'b1', 'b2']);
    expect(outcomes).toEqual([{ state: 'failed', error: new Error('a1 refused') }, DONE, SKIPPED, DONE]);
  });

  it('with stopOnFailure, starts nothing after the first failure in a lane', async () => {
    const records: Rec[] = [
      { id: 'a1', lane: 'a', fails: true },
      { id: 'a2', lane: 'a' },
      { id: 'b1', lane: 'b' },
      { id: 'b2', lane: 'b' },
    ];
    const { outcomes, ran, logger } = await run(records, { concurrency: 1, stopOnFailure: true });
    expect(ran).toEqual(['a1']);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['failed', 'skipped', 'skipped', 'skipped']);
    expect(logger.lines).toEqual([
      'error: record #0 failed; reported',
      'warn: record #1 was not processed because an earlier record of its lane failed; reported',
      'warn: record #2 was not processed because an earlier record failed; reported',
      'warn: record #3 was not processed because an earlier record of its lane failed; reported',
    ]);
  });

  it('does not log the records it skips when the source counts them in the failure’s line instead', async () => {
    const records: Rec[] = [
      { id: 'a1', lane: 'a', fails: true },
      { id: 'a2', lane: 'a' },
    ];
    const { logger } = await run(records, { logsSkipped: false });
    expect(logger.lines).toEqual(['error: record #0 failed; reported']);
  });
});

describe('records that cannot run', () => {
  it('fails a record that could not be decoded at its turn, and its lane stops there', async () => {
    const records: Rec[] = [
      { id: 'a1', lane: 'a' },
      { id: 'a2', lane: 'a', undecodable: true },
      { id: 'a3', lane: 'a' },
    ];
    const { outcomes, ran, logger } = await run(records, { logsSkipped: false });
    expect(ran).toEqual(['a1']);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['done', 'failed', 'skipped']);
    expect(logger.lines).toEqual(['error: record #1 could not be parsed; reported']);
  });
});

describe('in-batch duplicates', () => {
  it('lease mode: a later record with the same key waits for the earlier one and meets its completed record', async () => {
    const engine = engineFor(new InMemoryStore());
    const records: Rec[] = [{ id: 'first', key: 'k' }, { id: 'other' }, { id: 'copy', key: 'k' }];
    const { outcomes, ran } = await run(records, { engine });
    expect(ran).toEqual(['first', 'other']);
    expect(outcomes).toEqual([DONE, DONE, DONE]);
  });

  it('a later record with the same key fails with the earlier one’s error, without running, when that one failed', async () => {
    const engine = engineFor(new InMemoryStore());
    const records: Rec[] = [
      { id: 'first', key: 'k', fails: true },
      { id: 'copy', key: 'k' },
    ];
    const { outcomes, ran, logger } = await run(records, { engine });
    expect(ran).toEqual(['first']);
    expect(outcomes).toEqual([
      { state: 'failed', error: new Error('first refused') },
      { state: 'failed', error: new Error('first refused') },
    ]);
    expect(logger.lines[1]).toBe(
      'warn: record #1 was not processed because an earlier record of this batch with the same idempotency key failed; reported',
    );
  });

  it('a later record with the same key does not run when the earlier one did not run', async () => {
    const engine = engineFor(new InMemoryStore());
    const records: Rec[] = [
      { id: 'a1', lane: 'a', fails: true },
      { id: 'a2', lane: 'a', key: 'k' },
      { id: 'b1', lane: 'b', key: 'k' },
    ];
    const { outcomes, ran } = await run(records, { engine });
    expect(ran).toEqual(['a1']);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['failed', 'skipped', 'skipped']);
  });

  it('optimistic mode: the copy is acknowledged without running, after the fingerprint check', async () => {
    const engine = engineFor(new InMemoryStore(), { mode: 'optimistic', fingerprint: (_record, info) => info.payload });
    const records: Rec[] = [
      { id: 'first', key: 'k', payload: 1 },
      { id: 'same', key: 'k', payload: 1 },
      { id: 'changed', key: 'k', payload: 2 },
    ];
    const { outcomes, ran } = await run(records, { engine });
    expect(ran).toEqual(['first']);
    expect(outcomes[0]).toEqual(DONE);
    expect(outcomes[1]).toEqual(DONE);
    expect((outcomes[2] as { error: unknown }).error).toBeInstanceOf(IdempotencyPayloadMismatchError);
  });
});

describe('claims made ahead (lease mode)', () => {
  it('claims `claimAhead` records of a lane before the first of them runs, the next ones when the lane reaches them', async () => {
    const store = new Journal();
    const records: Rec[] = ['r01', 'r02', 'r03', 'r04', 'r05'].map((id) => ({ id, lane: 'a' }));
    const ran = store.events;
    await run(records, { engine: store.engine(records), claimAhead: 2, ran });
    expect(store.events).toEqual(['claim r01', 'claim r02', 'r01', 'r02', 'claim r03', 'claim r04', 'r03', 'r04', 'claim r05', 'r05']);
  });

  it('claims no record after one that cannot run, nor a copy of an earlier key; releases the claims not taken', async () => {
    const store = new Journal();
    const records: Rec[] = [
      { id: 'r01', lane: 'a', fails: true },
      { id: 'r02', lane: 'a', key: 'r01' },
      { id: 'r03', lane: 'a' },
      { id: 'r04', lane: 'a', undecodable: true },
      { id: 'r05', lane: 'a' },
    ];
    await run(records, { engine: store.engine(records), ran: store.events, logsSkipped: false });
    // r01 fails and is released; the claim r03 never took is released at the end.
    expect(store.events).toEqual(['claim r01', 'claim r03', 'r01', 'release r01', 'release r03']);
  });
});

describe('records in no lane (an SQS standard queue)', () => {
  it('are claimed together before the first runs when more of them wait than run at once', async () => {
    const store = new Journal();
    const records: Rec[] = ['r1', 'r2', 'r3'].map((id) => ({ id }));
    await run(records, { engine: store.engine(records), concurrency: 2, ran: store.events });
    expect(store.events.slice(0, 3)).toEqual(['claim r1', 'claim r2', 'claim r3']);
    expect(store.events.slice(3).sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('are claimed as they start when all of them run at once', async () => {
    const store = new Journal();
    const records: Rec[] = ['r1', 'r2'].map((id) => ({ id }));
    await run(records, { engine: store.engine(records), concurrency: 2, ran: store.events });
    expect(store.events).toEqual(['claim r1', 'claim r2', 'r1', 'r2']);
  });

  it('free their slot when the handler returns: the next handler starts while the completion is being stored', async () => {
    let completing = 0;
    const startedWhileCompleting: string[] = [];
    class SlowCompletions extends InMemoryStore {
      public override async complete(input: Parameters<InMemoryStore['complete']>[0]): Promise<void> {
        completing += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        completing -= 1;
        return super.complete(input);
      }
    }
    let running = 0;
    let most = 0;
    await run(
      ['r1', 'r2', 'r3'].map((id) => ({ id })),
      {
        engine: engineFor(new SlowCompletions()),
        concurrency: 1,
        handler: async (record) => {
          if (completing > 0) startedWhileCompleting.push(record.id);
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
        },
      },
    );
    expect(most).toBe(1);
    expect(startedWhileCompleting).toEqual(['r2', 'r3']);
  });

  it('in a lane keep their slot until their outcome is stored', async () => {
    let completing = 0;
    const startedWhileCompleting: string[] = [];
    class SlowCompletions extends InMemoryStore {
      public override async complete(input: Parameters<InMemoryStore['complete']>[0]): Promise<void> {
        completing += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        completing -= 1;
        return super.complete(input);
      }
    }
    await run(
      ['a1', 'b1'].map((id) => ({ id, lane: id[0] })),
      {
        engine: engineFor(new SlowCompletions()),
        concurrency: 1,
        handler: () => {
          if (completing > 0) startedWhileCompleting.push('started during a completion');
        },
      },
    );
    expect(startedWhileCompleting).toEqual([]);
  });
});

describe('write batching', () => {
  it("makes every record's claim, completion and release in one write-batching scope, so they may share requests", async () => {
    const owner = {};
    const scopes: { readonly write: string; readonly scope: unknown }[] = [];
    /** A store that notes the write-batching scope each write is made in, as a batching store reads it. */
    class ScopeJournal extends Journal {
      public override claim(input: ClaimInput): Promise<ClaimResult> {
        scopes.push({ write: 'claim', scope: scopedCoalescer(owner, () => ({})) });
        return super.claim(input);
      }

      public override complete(input: CompleteInput): Promise<void> {
        scopes.push({ write: 'complete', scope: scopedCoalescer(owner, () => ({})) });
        return super.complete(input);
      }

      public override release(input: { readonly key: string; readonly token: string; readonly keepCheckpoints: boolean }): Promise<void> {
        scopes.push({ write: 'release', scope: scopedCoalescer(owner, () => ({})) });
        return super.release(input);
      }
    }
    const store = new ScopeJournal();
    const records: Rec[] = [{ id: 'a' }, { id: 'b' }, { id: 'c', fails: true }];
    await run(records, { engine: store.engine(records), concurrency: 3 });
    expect(scopes.map(({ write }) => write).sort()).toEqual(['claim', 'claim', 'claim', 'complete', 'complete', 'release']);
    expect(scopes[0]?.scope).toBeDefined();
    expect(new Set(scopes.map(({ scope }) => scope)).size).toBe(1);
    // Outside the batch there is no scope: a write there goes alone.
    expect(scopedCoalescer(owner, () => ({}))).toBeUndefined();
  });

  it("makes an idempotent call inside a record's handler write in the batch's scope too", async () => {
    const owner = {};
    const scopes: unknown[] = [];
    class ScopeJournal extends Journal {
      public override claim(input: ClaimInput): Promise<ClaimResult> {
        scopes.push(scopedCoalescer(owner, () => ({})));
        return super.claim(input);
      }
    }
    const store = new ScopeJournal();
    const records: Rec[] = [{ id: 'a' }, { id: 'b' }];
    const inner = engineFor(store, { key: (record) => `inner ${record.id}` }) as BatchEngine<Args>;
    await run(records, {
      engine: store.engine(records),
      handler: async (record) => inner.run([record, { payload: 0 }], {}, () => `charged ${record.id}`),
    });
    expect(scopes).toHaveLength(4);
    expect(scopes[0]).toBeDefined();
    expect(new Set(scopes).size).toBe(1);
  });

  it('gives each batch its own write-batching scope: two batches at once never share a request', async () => {
    const owner = {};
    const seen = new Map<string, unknown>();
    class ScopeJournal extends Journal {
      public override claim(input: ClaimInput): Promise<ClaimResult> {
        seen.set(
          this.ids.get(input.key) ?? input.key,
          scopedCoalescer(owner, () => ({})),
        );
        return super.claim(input);
      }
    }
    const store = new ScopeJournal();
    const first: Rec[] = [{ id: 'a' }, { id: 'b' }];
    const second: Rec[] = [{ id: 'c' }, { id: 'd' }];
    const engine = store.engine([...first, ...second]);
    await Promise.all([run(first, { engine }), run(second, { engine })]);
    expect(seen.get('a')).toBe(seen.get('b'));
    expect(seen.get('c')).toBe(seen.get('d'));
    expect(seen.get('a')).not.toBe(seen.get('c'));
  });
});
