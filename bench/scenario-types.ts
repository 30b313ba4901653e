/**
 * What a bench scenario is made of: its contenders (one library in one configuration each), what an iteration
 * did, and what the scenarios are built with. Shared by the scenarios, the floor, the levers, the Valkey bench and
 * the measurement.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What one timed iteration did, for the sanity checks (not timed). */
export interface IterationFacts {
  /** How many times the business work ran. */
  readonly executions: number;
  /** Invocations or records that ended in failure (rejected, or reported in `batchItemFailures`). */
  readonly failures: number;
  /**
   * Wall time of each handler invocation, milliseconds, when the iteration is more than one invocation
   * (the duplicate storm); otherwise the iteration is one invocation, billed on its own wall time.
   */
  readonly invocationMs?: readonly number[];
}

/** One library (and mode) running a scenario. */
export interface Contender {
  /** `'incumbent'` or `'ours'` in the comparisons; a lever experiment names its alternatives. */
  readonly library: string;
  /** Short name of the configuration, e.g. `lease`, `optimistic`, `Powertools`. */
  readonly variant: string;
  /** Builds the next iteration outside the clock and returns the timed part. */
  prepare(): () => Promise<IterationFacts>;
  /** What a correct run does per iteration (checked after the run, never timed). */
  readonly expect: {
    readonly executions: number | readonly [min: number, max: number];
    readonly failures: number | readonly [min: number, max: number];
  };
  /** Untimed setup before the scenario (seeding records to replay). */
  setup?(): Promise<void>;
}

/** A workload and its contenders; the first contender is the reference the others are compared with. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** A few words for the chart's rows. */
  readonly short: string;
  /** Records (invocations or SQS messages) per iteration. */
  readonly recordsPerIteration: number;
  readonly iterations: number;
  readonly warmup: number;
  readonly contenders: readonly Contender[];
}

/** Tables of one library. */
export interface LibraryTables {
  readonly idempotency: string;
  readonly business: string;
}

/** What the scenarios need. */
export interface ScenarioEnv {
  readonly client: DynamoDBClient;
  readonly ours: LibraryTables;
  readonly incumbent: LibraryTables;
  /** Multiplies every iteration count (e.g. 0.2 for a quick run). */
  readonly scale: number;
}
