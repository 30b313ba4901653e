/** What the engine counts for operators, and the shape a metrics sink receives. */

/**
 * The names of the metrics, stable across releases (docs/metrics.md says when each is counted). Each is a count
 * of events, emitted with value 1 as it happens.
 */
export const IDEMPOTENCY_METRIC_NAMES = [
  'Claims',
  'Replays',
  'InProgressRejections',
  'LeaseTakeovers',
  'DurableResumes',
  'Completions',
  'CompletionRetries',
  'Releases',
  'LeasesLost',
  'StoreErrors',
  'PayloadMismatches',
  'MissingKeys',
  'DisabledInvocations',
] as const;

/** The name of a metric the engine emits. */
export type IdempotencyMetricName = (typeof IDEMPOTENCY_METRIC_NAMES)[number];

/** One data point, as a metrics sink receives it. */
export interface IdempotencyMetric {
  /** What was counted. */
  readonly name: IdempotencyMetricName;
  /** How many: 1 for each event. */
  readonly value: number;
  /** The CloudWatch unit of `value`. */
  readonly unit: 'Count';
  /**
   * `{ Operation: <the option name> }`: the operation whose records were concerned, never a record key (one
   * time series per key would cost a metric each).
   */
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * Receives every metric the engine emits (the `metrics` option): `emfMetrics()`, `powertoolsMetrics(metrics)`,
 * or your own function. It is called synchronously, inside the invocation; what it throws (or a promise it
 * returns rejects with) is logged and never fails the invocation.
 */
export type IdempotencyMetricsSink = (metric: IdempotencyMetric) => void | Promise<void>;
