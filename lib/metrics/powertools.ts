/** A metrics sink that forwards to a Powertools for AWS Lambda `Metrics` instance, typed by its shape only. */
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import type { IdempotencyMetricsSink } from './types';

/**
 * The part of `@aws-lambda-powertools/metrics`' `Metrics` the sink uses (so the library does not depend on it):
 * `singleMetric()`, whose metrics carry their own dimensions and are flushed at once, with the instance's
 * namespace, service and default dimensions.
 */
export interface PowertoolsMetricsLike {
  singleMetric(): {
    addDimension(name: string, value: string): unknown;
    addMetric(name: string, unit: 'Count', value: number): unknown;
  };
}

/**
 * A metrics sink that forwards each metric to your Powertools `Metrics` instance, as a single metric with the
 * `Operation` dimension (your instance's namespace, service and default dimensions apply; the metrics you
 * buffer yourself are left alone).
 *
 * ```ts
 * const metrics = new Metrics({ namespace: 'Orders', serviceName: 'orders' });
 * makeIdempotent(handler, { store, key: 'orderId', metrics: powertoolsMetrics(metrics) });
 * ```
 */
export function powertoolsMetrics(metrics: PowertoolsMetricsLike): IdempotencyMetricsSink {
  if (metrics === null || typeof metrics !== 'object' || typeof metrics.singleMetric !== 'function') {
    throw new IdempotencyConfigError(`Expected a Powertools Metrics instance (with singleMetric()), got ${describe(metrics)}`);
  }
  return (metric) => {
    const single = metrics.singleMetric();
    for (const [name, value] of Object.entries(metric.dimensions)) single.addDimension(name, value);
    single.addMetric(metric.name, metric.unit, metric.value);
  };
}
