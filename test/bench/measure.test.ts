import {
  billedMilliseconds,
  ContenderMeter,
  interleave,
  meterContext,
  rotation,
  type ContenderDriver,
  type ContenderResult,
} from '../../bench/measure';
import type { Contender } from '../../bench/scenario-types';

/** A driver that records what the interleaving asked of it. */
function recordingDriver(name: string, calls: string[]): ContenderDriver {
  return {
    setup: () => {
      calls.push(`${name} setup`);
      return Promise.resolve();
    },
    iterate: (timed) => {
      calls.push(`${name} ${timed ? 'timed' : 'warm'}`);
      return Promise.resolve();
    },
    result: () => {
      calls.push(`${name} result`);
      return Promise.resolve({ variant: name } as ContenderResult);
    },
  };
}

/** A contender whose iteration is one invocation of no I/O, or `calls` concurrent ones of `ms` each. */
function contender(invocationMs?: number[]): Contender {
  return {
    library: 'ours',
    variant: 'test',
    expect: { executions: 1, failures: 0 },
    prepare: () => () => Promise.resolve({ executions: 1, failures: 0, ...(invocationMs === undefined ? {} : { invocationMs }) }),
  };
}

describe('bench measurement', () => {
  it('bills each invocation its wall time rounded up to the next millisecond, at least 1', () => {
    expect(billedMilliseconds(12.01)).toBe(13);
    expect(billedMilliseconds(12)).toBe(12);
    expect(billedMilliseconds(0.05)).toBe(1);
  });

  it('rotates the contenders by one every iteration', () => {
    expect([0, 1, 2, 3].map((i) => rotation(['A', 'B', 'C'], i).join(''))).toEqual(['ABC', 'BCA', 'CAB', 'ABC']);
  });

  it('sets every driver up, warms up, then times the iterations, rotating the order', async () => {
    const calls: string[] = [];

    const results = await interleave([recordingDriver('A', calls), recordingDriver('B', calls)], 1, 2);

    expect(calls).toEqual(['A setup', 'B setup', 'A warm', 'B warm', 'A timed', 'B timed', 'B timed', 'A timed', 'A result', 'B result']);
    expect(results.map((r) => r.variant)).toEqual(['A', 'B']);
  });

  it('counts a timed iteration as one billed invocation of at least 1 ms', async () => {
    const meter = new ContenderMeter(contender(), 10, meterContext());

    await meter.iterate(false);
    await meter.iterate(true);
    const result = await meter.result();

    expect(result.iterations).toBe(1);
    expect(result.invocationsPerRecord).toBeCloseTo(0.1, 12);
    expect(result.billedMsPerInvocation).toBe(1);
  });

  it('bills each invocation of an iteration that reports them on its own wall time', async () => {
    const meter = new ContenderMeter(contender([2.5, 0.4, 7]), 10, meterContext());

    await meter.iterate(true);
    const result = await meter.result();

    expect(result.invocationsPerRecord).toBeCloseTo(0.3, 12);
    expect(result.billedMsPerInvocation).toBeCloseTo((3 + 1 + 7) / 3, 12);
  });
});
