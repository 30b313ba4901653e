/**
 * Order statistics of the benchmark's samples. Pure functions: test/bench/stats.test.ts checks them.
 */

/** Summary of a set of samples (all in the unit of the samples). */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of `sorted` (ascending), by linear interpolation between the two closest
 * ranks (the definition most tools use: R's type 7, NumPy's default).
 * @throws RangeError for an empty sample or a `q` outside [0, 1]
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('Expected at least one sample, got none');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected the quantile to be within [0, 1], got ${q}`);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (position - below);
}

/** The `q`-quantile of `values` (in any order). */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** n, min, median, p99, max and mean of `values`. @throws RangeError for an empty sample */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    min: quantileSorted(sorted, 0),
    median: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
    max: quantileSorted(sorted, 1),
    mean: sum / sorted.length,
  };
}

/**
 * `ours / theirs`, or `undefined` when it means nothing (a zero or missing denominator with a non-zero
 * numerator). Two zeros give 1: equal cost.
 */
export function ratio(ours: number | undefined, theirs: number | undefined): number | undefined {
  if (ours === undefined || theirs === undefined || !Number.isFinite(ours) || !Number.isFinite(theirs)) return undefined;
  if (theirs === 0) return ours === 0 ? 1 : undefined;
  return ours / theirs;
}
