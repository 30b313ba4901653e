/** Metrics for operators: what the engine counts, and ready sinks (EMF lines, a Powertools `Metrics` instance). */
export { emfMetrics, type EmfMetricsOptions, type EmfWriter } from './emf';
export { powertoolsMetrics, type PowertoolsMetricsLike } from './powertools';
export { IDEMPOTENCY_METRIC_NAMES, type IdempotencyMetric, type IdempotencyMetricName, type IdempotencyMetricsSink } from './types';
