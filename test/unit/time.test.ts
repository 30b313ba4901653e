/** The one backoff of the library (lib/time.ts): how the pause between attempts grows, and its jitter. */
import { backoffMs, sleep } from '../../lib/time';

describe('backoffMs', () => {
  it('doubles the first pause per attempt, up to the cap', () => {
    const backoff = { firstMs: 50, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffMs(backoff, attempt))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('with full jitter, pauses between 0 and the capped pause', () => {
    const random = jest.spyOn(Math, 'random');
    try {
      random.mockReturnValueOnce(0).mockReturnValueOnce(0.5).mockReturnValueOnce(0.999);
      const backoff = { firstMs: 100, maxMs: 300, jitter: 'full' as const };
      expect([backoffMs(backoff, 3), backoffMs(backoff, 3), backoffMs(backoff, 1)]).toEqual([0, 150, 99.9]);
    } finally {
      random.mockRestore();
    }
  });

  it('with jitter around the pause, pauses between half and one and a half times it', () => {
    const random = jest.spyOn(Math, 'random');
    try {
      random.mockReturnValueOnce(0).mockReturnValueOnce(1);
      const backoff = { firstMs: 40, maxMs: Number.POSITIVE_INFINITY, jitter: 'around' as const };
      expect([backoffMs(backoff, 2), backoffMs(backoff, 2)]).toEqual([40, 120]);
    } finally {
      random.mockRestore();
    }
  });
});

describe('sleep', () => {
  it('resolves after the given time on the timers in force', async () => {
    jest.useFakeTimers();
    try {
      let done = false;
      const slept = sleep(1000).then(() => (done = true));
      jest.advanceTimersByTime(999);
      await Promise.resolve();
      expect(done).toBe(false);
      jest.advanceTimersByTime(1);
      await slept;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
