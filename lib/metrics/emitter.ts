/** How the engine hands metrics to the configured sink: never failing the invocation, whatever the sink does. */
import type { IdempotencyLogger } from '../options';
import type { IdempotencyMetric, IdempotencyMetricName, IdempotencyMetricsSink } from './types';

/** The metrics of one operation (one engine): its sink, its dimensions, its logger. */
export class MetricsEmitter {
  readonly #sink: IdempotencyMetricsSink | undefined;
  readonly #dimensions: Readonly<Record<string, string>>;
  readonly #logger: IdempotencyLogger;
  #warned = false;

  public constructor(sink: IdempotencyMetricsSink | undefined, operation: string, logger: IdempotencyLogger) {
    this.#sink = sink;
    this.#dimensions = Object.freeze({ Operation: operation });
    this.#logger = logger;
  }

  /** Counts one `name` event: hands `{ name, value: 1, unit: 'Count', dimensions }` to the sink, if any. */
  public count(name: IdempotencyMetricName): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    const metric: IdempotencyMetric = Object.freeze({ name, value: 1, unit: 'Count', dimensions: this.#dimensions });
    try {
      const returned: unknown = sink(metric);
      if (isThenable(returned)) returned.then(undefined, (error: unknown) => this.#failed(name, error));
    } catch (error) {
      this.#failed(name, error);
    }
  }

  /** A sink that failed is logged (a warning the first time, then at debug level) and the invocation goes on. */
  #failed(name: IdempotencyMetricName, error: unknown): void {
    const message = `The metrics sink failed on ${name}; the invocation goes on without it`;
    if (this.#warned) {
      this.#logger.debug(message, error);
      return;
    }
    this.#warned = true;
    this.#logger.warn(`${message} (further failures are logged at debug level)`, error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
