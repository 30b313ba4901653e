import { median, quantile, quantileSorted, ratio, summarize } from '../../bench/stats';

describe('bench statistics', () => {
  describe('quantiles', () => {
    it('interpolates linearly between the two closest ranks', () => {
      expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
      expect(quantileSorted([10, 20, 30, 40, 50], 0.25)).toBe(20);
      expect(quantileSorted([10, 20], 0.75)).toBe(17.5);
    });

    it('takes the 99th percentile of 1..100 between the 99th and 100th values', () => {
      const values = Array.from({ length: 100 }, (_, i) => i + 1);
      expect(quantile(values, 0.99)).toBeCloseTo(99.01, 10);
    });

    it('sorts the samples itself when they come in any order', () => {
      expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
      expect(median([9, 1, 5])).toBe(5);
    });

    it('returns the only sample for any quantile of a single sample', () => {
      expect(quantileSorted([7], 0)).toBe(7);
      expect(quantileSorted([7], 0.99)).toBe(7);
    });

    it('refuses an empty sample with a RangeError', () => {
      expect(() => quantileSorted([], 0.5)).toThrow(RangeError);
      expect(() => quantileSorted([], 0.5)).toThrow('Expected at least one sample, got none');
    });

    it('refuses a quantile outside [0, 1] with a RangeError naming it', () => {
      expect(() => quantileSorted([1, 2], 1.5)).toThrow(RangeError);
      expect(() => quantileSorted([1, 2], 1.5)).toThrow('Expected the quantile to be within [0, 1], got 1.5');
      expect(() => quantileSorted([1, 2], Number.NaN)).toThrow('Expected the quantile to be within [0, 1], got NaN');
    });
  });

  describe('summarize', () => {
    it('gives n, min, median, p99, max and mean', () => {
      const summary = summarize([4, 1, 3, 2]);
      expect(summary).toMatchObject({ n: 4, min: 1, median: 2.5, max: 4, mean: 2.5 });
      expect(summary.p99).toBeCloseTo(3.97, 10);
    });

    it('does not reorder the caller’s array', () => {
      const samples = [3, 1, 2];
      summarize(samples);
      expect(samples).toEqual([3, 1, 2]);
    });
  });

  describe('ratio', () => {
    it('divides ours by theirs', () => {
      expect(ratio(3, 2)).toBe(1.5);
    });

    it('calls two zeros equal', () => {
      expect(ratio(0, 0)).toBe(1);
    });

    it('has no value for a non-zero over zero, a missing side or a non-finite side', () => {
      expect(ratio(1, 0)).toBeUndefined();
      expect(ratio(undefined, 2)).toBeUndefined();
      expect(ratio(2, undefined)).toBeUndefined();
      expect(ratio(Number.POSITIVE_INFINITY, 2)).toBeUndefined();
    });
  });
});
