/**
 * The batch scheduler on its own: tasks wait for the earlier tasks they name, the earliest ready task starts
 * first, at most `limit` run at once, and a task may give its slot back before it settles.
 */
import { runScheduled } from '../../lib/batch/scheduler';

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const DONE = Object.freeze({ ok: true });

describe('runScheduled', () => {
  it('resolves at once with no outcome for an empty batch', async () => {
    await expect(runScheduled({ size: 0, limit: 10, run: () => Promise.resolve(DONE) })).resolves.toEqual([]);
  });

  it('starts at most `limit` tasks at once, the earliest first', async () => {
    const started: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const done = runScheduled({
      size: 4,
      limit: 2,
      run: async (index) => {
        started.push(index);
        await gates[index]?.promise;
        return DONE;
      },
    });
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    gates.forEach((g) => g.open());
    await expect(done).resolves.toHaveLength(4);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('runs a task only after the tasks it waits for settled, and lets `decide` settle it from their outcomes', async () => {
    const order: string[] = [];
    const outcomes = await runScheduled<{ value: string }>({
      size: 3,
      limit: 3,
      waitsFor: (index) => (index === 2 ? [0, undefined] : []),
      decide: (index, before) => (index === 2 && before[0]?.value === 'failed' ? { value: 'skipped' } : undefined),
      run: async (index) => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`ran ${index}`);
        return { value: index === 0 ? 'failed' : 'done' };
      },
    });
    expect(outcomes.map((o) => o.value)).toEqual(['failed', 'done', 'skipped']);
    expect(order).toEqual(['ran 0', 'ran 1']);
  });

  it('lets `beforeStart` settle a ready task without running it', async () => {
    const ran: number[] = [];
    const outcomes = await runScheduled<{ value: string }>({
      size: 2,
      limit: 1,
      beforeStart: (index) => (index === 1 ? { value: 'not started' } : undefined),
      run: (index) => {
        ran.push(index);
        return Promise.resolve({ value: 'done' });
      },
    });
    expect(ran).toEqual([0]);
    expect(outcomes.map((o) => o.value)).toEqual(['done', 'not started']);
  });

  it('starts the next task when a running one frees its slot before it settles, once however often it frees it', async () => {
    const started: number[] = [];
    const finishFirst = gate();
    const finishSecond = gate();
    const done = runScheduled({
      size: 3,
      limit: 1,
      run: async (index, freeSlot) => {
        started.push(index);
        if (index === 0) {
          freeSlot();
          freeSlot();
          await finishFirst.promise;
        }
        if (index === 1) await finishSecond.promise;
        return DONE;
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    finishFirst.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    finishSecond.open();
    await expect(done).resolves.toHaveLength(3);
    expect(started).toEqual([0, 1, 2]);
  });
});
