/**
 * Metrics for operators: what the engine counts (for every adapter), that a failing sink never fails an
 * invocation, the EMF lines `emfMetrics` writes (parsed as CloudWatch would), and `powertoolsMetrics` on the
 * real Powertools `Metrics` class. docs/metrics.md lists the names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import {
  IdempotencyConfigError,
  IdempotencyInProgressError,
  IdempotencyLeaseLostError,
  IdempotencyPayloadMismatchError,
  IdempotencyStoreError,
  idempotencyMiddleware,
  InMemoryStore,
  makeIdempotent,
  type IdempotencyStore,
} from '../../lib';
import { makeIdempotentHttpHandler } from '../../lib/http';
import { emfMetrics, powertoolsMetrics, type IdempotencyMetric, type IdempotencyMetricName } from '../../lib/metrics';
import { processSqsBatch } from '../../lib/sqs';
import { processStreamBatch } from '../../lib/streams';
import { IDEMPOTENCY_METRIC_NAMES } from '../../lib/metrics';
import type { ClaimResult, CompleteInput } from '../../lib/store';
import { manualClock } from '../helpers/clock';
import { restApiEvent } from '../helpers/http-events';
import { deferred, jsonRecord, recordingLogger } from '../helpers/sqs-batches';
import { lambdaContext, sqsEvent } from '../helpers/sqs-events';
import { kinesisEvent, kinesisRecords } from '../helpers/stream-events';

// @middy/core is ESM-only; jest transpiles it to CommonJS (see jest.config.js), so require it here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

interface OrderEvent {
  readonly orderId: string;
  readonly amountCents?: number;
}

let sequence = 0;
const opName = (): string => `metrics${(sequence += 1)}`;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A sink that keeps what it receives. */
function recordingSink(): {
  sink: (metric: IdempotencyMetric) => void;
  metrics: IdempotencyMetric[];
  names: () => IdempotencyMetricName[];
} {
  const metrics: IdempotencyMetric[] = [];
  return { sink: (metric) => void metrics.push(metric), metrics, names: () => metrics.map((metric) => metric.name) };
}

/** How many of each name, for assertions that do not depend on the order. */
function tally(names: readonly IdempotencyMetricName[]): Partial<Record<IdempotencyMetricName, number>> {
  const counts: Partial<Record<IdempotencyMetricName, number>> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

afterEach(() => {
  delete process.env['EFFECTIVELY_ONCE_DISABLED'];
  jest.restoreAllMocks();
});

describe('what the engine counts', () => {
  function setup(options: { leaseSeconds?: number; localCache?: { maxItems: number }; store?: IdempotencyStore } = {}) {
    const recorded = recordingSink();
    const clock = manualClock();
    const name = opName();
    let runs = 0;
    const charge = makeIdempotent(async (event: OrderEvent) => `charged ${event.orderId} (run ${(runs += 1)})`, {
      store: options.store ?? new InMemoryStore(),
      key: 'orderId',
      name,
      clock,
      logger: silent,
      metrics: recorded.sink,
      ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
      ...(options.localCache === undefined ? {} : { localCache: options.localCache }),
    });
    return { ...recorded, clock, charge, name };
  }

  it('counts the claim of a first run and its completion, then a replay, each as { name, value: 1, unit: Count, dimensions: { Operation } }', async () => {
    const { charge, metrics, name } = setup();
    await charge({ orderId: 'o-1' });
    await charge({ orderId: 'o-1' });

    expect(metrics).toEqual([
      { name: 'Claims', value: 1, unit: 'Count', dimensions: { Operation: name } },
      { name: 'Completions', value: 1, unit: 'Count', dimensions: { Operation: name } },
      { name: 'Replays', value: 1, unit: 'Count', dimensions: { Operation: name } },
    ]);
  });

  it('counts no claim in optimistic mode, where nothing is claimed', async () => {
    const recorded = recordingSink();
    const charge = makeIdempotent(async (event: OrderEvent) => event.orderId, {
      store: new InMemoryStore(),
      key: 'orderId',
      mode: 'optimistic',
      name: opName(),
      logger: silent,
      metrics: recorded.sink,
    });
    await charge({ orderId: 'o-opt' });
    await charge({ orderId: 'o-opt' });

    expect(recorded.names()).toEqual(['Completions', 'Replays']);
  });

  it('counts a replay from the local cache', async () => {
    const { charge, names } = setup({ localCache: { maxItems: 10 } });
    await charge({ orderId: 'o-2' });
    await charge({ orderId: 'o-2' });
    await charge({ orderId: 'o-2' });

    expect(tally(names())).toEqual({ Claims: 1, Completions: 1, Replays: 2 });
  });

  it('counts a duplicate refused while the first runs', async () => {
    const recorded = recordingSink();
    const running = deferred();
    const started = deferred();
    const charge = makeIdempotent(
      async (_event: OrderEvent) => {
        started.resolve();
        await running.promise;
        return 'done';
      },
      { store: new InMemoryStore(), key: 'orderId', name: opName(), logger: silent, metrics: recorded.sink },
    );
    const first = charge({ orderId: 'o-3' });
    await started.promise;

    await expect(charge({ orderId: 'o-3' })).rejects.toThrow(IdempotencyInProgressError);
    running.resolve();
    await first;
    expect(tally(recorded.names())).toEqual({ Claims: 1, InProgressRejections: 1, Completions: 1 });
  });

  it('counts a take-over of an ended lease, and the late holder losing its lease', async () => {
    const recorded = recordingSink();
    const clock = manualClock();
    const late = deferred();
    const started = deferred();
    let runs = 0;
    const charge = makeIdempotent(
      async (_event: OrderEvent) => {
        runs += 1;
        if (runs === 1) {
          started.resolve();
          await late.promise;
        }
        return `run ${runs}`;
      },
      { store: new InMemoryStore(), key: 'orderId', name: opName(), clock, leaseSeconds: 5, logger: silent, metrics: recorded.sink },
    );
    const first = charge({ orderId: 'o-4' });
    await started.promise;
    clock.advance(5_000 + 1_000 + 1); // the lease and clockSkewMs

    await expect(charge({ orderId: 'o-4' })).resolves.toBe('run 2');
    late.resolve();
    await expect(first).rejects.toThrow(IdempotencyLeaseLostError);
    expect(tally(recorded.names())).toEqual({ Claims: 2, LeaseTakeovers: 1, Completions: 1, LeasesLost: 1 });
  });

  it('counts a durable execution resuming its own record, not as a take-over', async () => {
    const recorded = recordingSink();
    const durable = (durableExecutionArn: string) => ({ executionContext: { durableExecutionArn }, lambdaContext: lambdaContext() });
    const started = deferred();
    let invocation = 0;
    const workflow = makeIdempotent(
      async (_event: OrderEvent, _context: unknown): Promise<string> => {
        invocation += 1;
        if (invocation > 1) return 'resumed and done';
        started.resolve();
        return new Promise<never>(() => undefined); // suspended: withDurableExecution ends the invocation
      },
      { store: new InMemoryStore(), key: 'orderId', name: opName(), logger: silent, metrics: recorded.sink },
    );
    void workflow({ orderId: 'o-5' }, durable('arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/a/1'));
    await started.promise;

    await expect(
      workflow({ orderId: 'o-5' }, durable('arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/a/1')),
    ).resolves.toBe('resumed and done');
    expect(tally(recorded.names())).toEqual({ Claims: 2, DurableResumes: 1, Completions: 1 });
  });

  it('counts a completion retried after a transient store failure', async () => {
    /** Throttles the first completion. */
    class ThrottledOnce extends InMemoryStore {
      #throttled = false;
      public override async complete(input: CompleteInput): Promise<void> {
        if (!this.#throttled) {
          this.#throttled = true;
          throw new IdempotencyStoreError('Rate of requests exceeds the allowed throughput', { retryable: true });
        }
        return super.complete(input);
      }
    }
    const { charge, names } = setup({ store: new ThrottledOnce() });

    await expect(charge({ orderId: 'o-6' })).resolves.toBe('charged o-6 (run 1)');
    expect(tally(names())).toEqual({ Claims: 1, CompletionRetries: 1, Completions: 1 });
  });

  it('counts a store error the engine gives up on', async () => {
    /** Refuses every claim, as DynamoDB does without the permission. */
    class AccessDenied extends InMemoryStore {
      public override async claim(): Promise<ClaimResult> {
        throw Object.assign(new Error('User is not authorized to perform dynamodb:PutItem'), { name: 'AccessDeniedException' });
      }
    }
    const { charge, names } = setup({ store: new AccessDenied() });

    await expect(charge({ orderId: 'o-7' })).rejects.toThrow(IdempotencyStoreError);
    expect(names()).toEqual(['StoreErrors']);
  });

  it('counts a payload mismatch', async () => {
    const recorded = recordingSink();
    const charge = makeIdempotent(async (event: OrderEvent) => event.amountCents, {
      store: new InMemoryStore(),
      key: 'orderId',
      fingerprint: 'amountCents',
      name: opName(),
      logger: silent,
      metrics: recorded.sink,
    });
    await charge({ orderId: 'o-8', amountCents: 100 });

    await expect(charge({ orderId: 'o-8', amountCents: 999 })).rejects.toThrow(IdempotencyPayloadMismatchError);
    expect(tally(recorded.names())).toEqual({ Claims: 1, Completions: 1, PayloadMismatches: 1 });
  });

  it.each(['run', 'throw'] as const)('counts a missing key (onMissingKey: %s)', async (onMissingKey) => {
    const recorded = recordingSink();
    const charge = makeIdempotent(async (_event: OrderEvent) => 'ran', {
      store: new InMemoryStore(),
      key: 'orderId',
      onMissingKey,
      name: opName(),
      logger: silent,
      metrics: recorded.sink,
    });

    await charge({} as OrderEvent).catch(() => undefined);
    expect(recorded.names()).toEqual(['MissingKeys']);
  });

  it('counts the release after the work failed', async () => {
    const recorded = recordingSink();
    const charge = makeIdempotent(
      async (_event: OrderEvent) => {
        throw new Error('card declined');
      },
      { store: new InMemoryStore(), key: 'orderId', name: opName(), logger: silent, metrics: recorded.sink },
    );

    await expect(charge({ orderId: 'o-9' })).rejects.toThrow('card declined');
    expect(recorded.names()).toEqual(['Claims', 'Releases']);
  });

  it('counts the invocations the kill switch ran', async () => {
    const { charge, names } = setup();
    process.env['EFFECTIVELY_ONCE_DISABLED'] = 'true';

    await charge({ orderId: 'o-10' });
    await charge({ orderId: 'o-10' });
    expect(names()).toEqual(['DisabledInvocations', 'DisabledInvocations']);
  });

  it('never puts a record key in the dimensions', async () => {
    const { charge, metrics, name } = setup();
    await charge({ orderId: 'o-11' });
    await charge({ orderId: 'o-11' });

    for (const metric of metrics) expect(metric.dimensions).toEqual({ Operation: name });
  });

  it('emits nothing without a sink', async () => {
    const write = jest.spyOn(process.stdout, 'write');
    const charge = makeIdempotent(async (event: OrderEvent) => event.orderId, {
      store: new InMemoryStore(),
      key: 'orderId',
      name: opName(),
      logger: silent,
    });

    await charge({ orderId: 'o-12' });
    await charge({ orderId: 'o-12' });
    expect(write).not.toHaveBeenCalled();
  });
});

describe('a sink that fails', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('sink down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('sink down'))],
  ])('%s: the invocation goes on, and the failure is logged (a warning once, then at debug level)', async (_how, sink) => {
    const logger = recordingLogger();
    const charge = makeIdempotent(async (event: OrderEvent) => `charged ${event.orderId}`, {
      store: new InMemoryStore(),
      key: 'orderId',
      name: opName(),
      logger,
      metrics: sink,
    });

    await expect(charge({ orderId: 'o-13' })).resolves.toBe('charged o-13');
    await expect(charge({ orderId: 'o-13' })).resolves.toBe('charged o-13');
    await new Promise((resolve) => setImmediate(resolve));

    expect(logger.messages('warn')).toEqual([
      'The metrics sink failed on Claims; the invocation goes on without it (further failures are logged at debug level)',
    ]);
    expect(logger.messages('debug').filter((message) => message.startsWith('The metrics sink failed'))).toEqual([
      'The metrics sink failed on Completions; the invocation goes on without it',
      'The metrics sink failed on Replays; the invocation goes on without it',
    ]);
  });

  it('is refused at wrap time when it is not a function', () => {
    expect(() =>
      makeIdempotent(async () => 1, { store: new InMemoryStore(), name: opName(), metrics: 'emf' as unknown as () => void }),
    ).toThrow(new IdempotencyConfigError('Expected `metrics` to be a function, got "emf"'));
  });
});

describe('every adapter gets the metrics from the engine', () => {
  it('idempotencyMiddleware', async () => {
    const recorded = recordingSink();
    const handler = middy(async (event: OrderEvent) => `charged ${event.orderId}`).use(
      idempotencyMiddleware<OrderEvent>({
        store: new InMemoryStore(),
        key: 'orderId',
        name: opName(),
        logger: silent,
        metrics: recorded.sink,
      }),
    );

    await handler({ orderId: 'o-14' }, lambdaContext());
    await handler({ orderId: 'o-14' }, lambdaContext());
    expect(recorded.names()).toEqual(['Claims', 'Completions', 'Replays']);
  });

  it('processSqsBatch', async () => {
    const recorded = recordingSink();
    const options = { store: new InMemoryStore(), key: 'body.orderId', name: opName(), logger: silent, metrics: recorded.sink };
    const event = sqsEvent([jsonRecord({ orderId: 'a' }), jsonRecord({ orderId: 'b' })]);

    await processSqsBatch(event, async () => undefined, options);
    await processSqsBatch(event, async () => undefined, options);
    expect(tally(recorded.names())).toEqual({ Claims: 2, Completions: 2, Replays: 2 });
  });

  it('processSqsBatch in optimistic mode: a copy of an event the batch already processed counts as a replay', async () => {
    const recorded = recordingSink();
    const options = {
      store: new InMemoryStore(),
      key: 'body.orderId',
      name: opName(),
      logger: silent,
      metrics: recorded.sink,
      mode: 'optimistic' as const,
    };
    await processSqsBatch(sqsEvent([jsonRecord({ orderId: 'a' }), jsonRecord({ orderId: 'a' })]), async () => undefined, options);
    expect(tally(recorded.names())).toEqual({ Completions: 1, Replays: 1 });
  });

  it('processStreamBatch in optimistic mode: a copy of an event the batch already processed counts as a replay', async () => {
    const recorded = recordingSink();
    const options = {
      store: new InMemoryStore(),
      name: opName(),
      key: (_record: unknown, { data }: { data: unknown }) => (data as { orderId: string }).orderId,
      logger: silent,
      metrics: recorded.sink,
      mode: 'optimistic' as const,
    };
    await processStreamBatch(kinesisEvent(kinesisRecords([{ orderId: 'a' }, { orderId: 'a' }])), async () => undefined, options);
    expect(tally(recorded.names())).toEqual({ Completions: 1, Replays: 1 });
  });

  it('processStreamBatch', async () => {
    const recorded = recordingSink();
    const options = { store: new InMemoryStore(), name: opName(), logger: silent, metrics: recorded.sink };
    const event = kinesisEvent(kinesisRecords([{ orderId: 'a' }, { orderId: 'b' }]));

    await processStreamBatch(event, async () => undefined, options);
    await processStreamBatch(event, async () => undefined, options);
    expect(tally(recorded.names())).toEqual({ Claims: 2, Completions: 2, Replays: 2 });
  });

  it('makeIdempotentHttpHandler', async () => {
    const recorded = recordingSink();
    const handler = makeIdempotentHttpHandler(async () => ({ statusCode: 201, body: '{}' }), {
      store: new InMemoryStore(),
      name: opName(),
      logger: silent,
      metrics: recorded.sink,
    });
    const event = () => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': '5f0c1f8e-2b0e-4b7e-9d0c-1f2a3b4c5d6e' } });

    await handler(event(), lambdaContext());
    await handler(event(), lambdaContext());
    expect(recorded.names()).toEqual(['Claims', 'Completions', 'Replays']);
  });
});

/** An EMF document, checked against the rules CloudWatch applies when it extracts metrics from a log line. */
interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

function parseEmf(text: string): EmfDocument[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const document = JSON.parse(line) as EmfDocument;
      expect(Number.isInteger(document._aws.Timestamp)).toBe(true);
      for (const directive of document._aws.CloudWatchMetrics) {
        for (const dimension of directive.Dimensions.flat()) expect(typeof document[dimension]).toBe('string');
        for (const metric of directive.Metrics) expect(typeof document[metric.Name]).toBe('number');
      }
      return document;
    });
}

describe('emfMetrics', () => {
  function capture(): { writer: { write(text: string): void }; text: () => string } {
    const chunks: string[] = [];
    return { writer: { write: (text) => void chunks.push(text) }, text: () => chunks.join('') };
  }

  it('writes one EMF line per metric, in its namespace, with the Operation dimension', async () => {
    const out = capture();
    const name = opName();
    const before = Date.now();
    const charge = makeIdempotent(async (event: OrderEvent) => event.orderId, {
      store: new InMemoryStore(),
      key: 'orderId',
      name,
      logger: silent,
      metrics: emfMetrics({ namespace: 'Orders', writer: out.writer }),
    });
    await charge({ orderId: 'o-15' });
    await charge({ orderId: 'o-15' });

    const documents = parseEmf(out.text());
    expect(documents.map(({ _aws, ...fields }) => ({ directive: _aws.CloudWatchMetrics, fields }))).toEqual(
      (['Claims', 'Completions', 'Replays'] as const).map((metric) => ({
        directive: [{ Namespace: 'Orders', Dimensions: [['Operation']], Metrics: [{ Name: metric, Unit: 'Count' }] }],
        fields: { Operation: name, [metric]: 1 },
      })),
    );
    for (const document of documents) expect(document._aws.Timestamp).toBeGreaterThanOrEqual(before);
  });

  it('adds the given dimensions to every metric', () => {
    const out = capture();
    void emfMetrics({ writer: out.writer, dimensions: { Service: 'orders', Stage: 'prod' } })({
      name: 'Replays',
      value: 1,
      unit: 'Count',
      dimensions: { Operation: 'orders-fn.handler' },
    });

    const [document] = parseEmf(out.text());
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Stage', 'Operation']]);
    expect(document).toMatchObject({ Service: 'orders', Stage: 'prod', Operation: 'orders-fn.handler', Replays: 1 });
  });

  it("writes to stdout in the namespace 'effectively-once' by default", () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    void emfMetrics()({ name: 'Claims', value: 1, unit: 'Count', dimensions: { Operation: 'local.charge' } });

    const [document] = parseEmf(String(write.mock.calls[0]?.[0]));
    expect(document?._aws.CloudWatchMetrics[0]?.Namespace).toBe('effectively-once');
  });

  it.each([
    [{ namespace: '' }, 'Expected `namespace` to be a non-empty string of at most 255 characters, got ""'],
    [{ namespace: 'n'.repeat(256) }, 'Expected `namespace` to be a non-empty string of at most 255 characters'],
    [{ writer: 'stdout' }, 'Expected `writer` to have a write(text) method, got "stdout"'],
    [
      { dimensions: { Operation: 'x' } },
      'Expected dimension names other than "", "_aws" and "Operation" (the sink\'s own), got "Operation"',
    ],
    [{ dimensions: { Stage: 7 } }, 'Expected dimension `Stage` to be a non-empty string, got 7'],
    [
      { namespce: 'Orders' },
      'Unknown option `namespce` of emfMetrics: did you mean `namespace`? (known options: namespace, writer, dimensions)',
    ],
  ])('refuses %p', (options, message) => {
    expect(() => emfMetrics(options as never)).toThrow(IdempotencyConfigError);
    expect(() => emfMetrics(options as never)).toThrow(message);
  });
});

describe('powertoolsMetrics', () => {
  it('forwards each metric to a Powertools Metrics instance, as a single metric with the Operation dimension', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const metrics = new Metrics({ namespace: 'Orders', serviceName: 'orders' });
    const name = opName();
    const charge = makeIdempotent(async (event: OrderEvent) => event.orderId, {
      store: new InMemoryStore(),
      key: 'orderId',
      name,
      logger: silent,
      metrics: powertoolsMetrics(metrics),
    });
    await charge({ orderId: 'o-16' });
    await charge({ orderId: 'o-16' });

    const documents = parseEmf(write.mock.calls.map(([chunk]) => String(chunk)).join(''));
    expect(documents.map((document) => document._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name))).toEqual([
      ['Claims'],
      ['Completions'],
      ['Replays'],
    ]);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics[0]?.Namespace).toBe('Orders');
      expect(document._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Operation']]);
      expect(document).toMatchObject({ service: 'orders', Operation: name });
    }
  });

  it('refuses what is not a Metrics instance', () => {
    expect(() => powertoolsMetrics('metrics' as never)).toThrow(
      new IdempotencyConfigError('Expected a Powertools Metrics instance (with singleMetric()), got "metrics"'),
    );
  });
});

describe('docs/metrics.md', () => {
  it('lists every metric name, and only those', () => {
    const doc = readFileSync(join(__dirname, '../../docs/metrics.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## The metrics'), doc.indexOf('## Dimensions'));
    const listed = [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((match) => match[1]);
    expect(listed.sort()).toEqual([...IDEMPOTENCY_METRIC_NAMES].sort());
  });
});
