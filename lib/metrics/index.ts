/**
 * `effectively-once/metrics`: what the engine counts for operators, and ready sinks for the `metrics` option
 * (CloudWatch EMF lines, a Powertools `Metrics` instance).
 * @module effectively-once/metrics
 */
export { emfMetrics, type EmfMetricsOptions, type EmfWriter } from './emf';
export { powertoolsMetrics, type PowertoolsMetricsLike } from './powertools';
export { IDEMPOTENCY_METRIC_NAMES, type IdempotencyMetric, type IdempotencyMetricName, type IdempotencyMetricsSink } from './types';
