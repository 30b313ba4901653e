/** A metrics sink that writes CloudWatch Embedded Metric Format lines (Lambda sends stdout to CloudWatch Logs). */
import { DEFAULT_EMF_NAMESPACE } from '../defaults';
import { IdempotencyConfigError } from '../errors';
import { satisfies, withMethods } from '../config/checks';
import { defineOptions, type At, type SameKeys } from '../config/spec';
import { describe } from '../describe';
import type { IdempotencyMetricsSink } from './types';

/** Longest CloudWatch namespace. */
const MAX_NAMESPACE_LENGTH = 255;
/** Most dimensions of one EMF dimension set; the sink adds `Operation` to yours. */
const MAX_DIMENSIONS = 30;

/** Where the lines go: a writable stream, or anything with `write(text)`. */
export interface EmfWriter {
  write(text: string): unknown;
}

/** Options of {@link emfMetrics}. */
export interface EmfMetricsOptions {
  /**
   * The CloudWatch namespace of the metrics (at most 255 characters).
   * @default 'effectively-once'
   */
  readonly namespace?: string;
  /**
   * Where each line goes, newline included.
   * @default - `process.stdout` (in Lambda, CloudWatch Logs extracts the metrics from the function's log)
   */
  readonly writer?: EmfWriter;
  /**
   * Dimensions added to every metric, besides `Operation` (a service or stage name): a few values each, never
   * per request.
   * @default - none
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

export const EMF_OPTIONS = /* @__PURE__ */ defineOptions(
  'emfMetrics',
  {
    namespace: {
      check: satisfies<string>(
        `to be a non-empty string of at most ${MAX_NAMESPACE_LENGTH} characters`,
        (value) => typeof value === 'string' && value.trim().length > 0 && value.length <= MAX_NAMESPACE_LENGTH,
      ),
      default: DEFAULT_EMF_NAMESPACE,
      doc: 'the CloudWatch namespace of the metrics',
    },
    writer: { check: withMethods<EmfWriter>(['write'], 'to have a write(text) method'), doc: 'where each line goes' },
    dimensions: { check: checkedDimensions, doc: 'dimensions added to every metric, besides `Operation`' },
  },
  IdempotencyConfigError,
);
const _emfKeys: SameKeys<EmfMetricsOptions, typeof EMF_OPTIONS.spec> = true;

/**
 * A metrics sink that writes each metric as one line of CloudWatch Embedded Metric Format JSON: in Lambda,
 * CloudWatch turns the function's log lines into metrics, with no request and no agent.
 *
 * ```ts
 * makeIdempotent(handler, { store, key: 'orderId', metrics: emfMetrics({ namespace: 'Orders' }) });
 * ```
 */
export function emfMetrics(options: EmfMetricsOptions = {}): IdempotencyMetricsSink {
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected emfMetrics' options to be an object, got ${describe(options)}`);
  }
  const { namespace, writer = process.stdout, dimensions } = EMF_OPTIONS.resolve(options);
  const extra = dimensions ?? {};
  return (metric) => {
    const dimensions = { ...extra, ...metric.dimensions };
    const line = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: metric.name, Unit: metric.unit }] },
        ],
      },
      ...dimensions,
      [metric.name]: metric.value,
    };
    writer.write(`${JSON.stringify(line)}\n`);
  };
}

function checkedDimensions(dimensions: unknown, at: At): Readonly<Record<string, string>> {
  if (dimensions === null || typeof dimensions !== 'object' || Array.isArray(dimensions))
    return at.refuse('to be an object of strings', dimensions);
  const entries = Object.entries(dimensions);
  if (entries.length > MAX_DIMENSIONS - 1) {
    throw new IdempotencyConfigError(
      `Expected at most ${MAX_DIMENSIONS - 1} \`dimensions\` (EMF allows ${MAX_DIMENSIONS}, and the sink adds Operation), got ${entries.length}`,
    );
  }
  for (const [name, value] of entries) {
    if (name === 'Operation' || name === '_aws' || name.length === 0) {
      throw new IdempotencyConfigError(
        `Expected dimension names other than "", "_aws" and "Operation" (the sink's own), got ${describe(name)}`,
      );
    }
    if (typeof value !== 'string' || value.length === 0) {
      throw new IdempotencyConfigError(`Expected dimension \`${name}\` to be a non-empty string, got ${describe(value)}`);
    }
  }
  return Object.freeze({ ...(dimensions as Record<string, string>) });
}
