/**
 * What a bench run measured, as the report reads it: each scenario's contenders, the targets met, and the runs of
 * the Lambda model. Shared by the Lambda model, the report and the floor's report.
 */
import type { CpuQuota } from './confine';
import type { BillingCheck, ContenderResult } from './measure';

/** One scenario's results: each contender's measurement, the reference first. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly short: string;
  readonly recordsPerIteration: number;
  readonly contenders: readonly ContenderResult[];
}

/** A target of the issue and whether this run met it. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** One Lambda model configuration. */
export interface LambdaConfig {
  readonly memoryMb: number;
  /** Round trip slept per request attempt, ms. */
  readonly rttMs: number;
  /** CFS period of the quota, µs. */
  readonly periodUs: number;
}

/** How the run was confined, as it happened (what could not be done is said in `notes`). */
export interface Confinement {
  /** The quota applied to each contender, or undefined where no cgroup could be written. */
  readonly quota: CpuQuota | undefined;
  /** `cgroup v1` or `cgroup v2` where the quota applied. */
  readonly cgroup: string | undefined;
  /** The core the contenders were pinned to, undefined where they were not. */
  readonly contenderCpu: string | undefined;
  /** The core DynamoDB Local was pinned to, undefined where it was not. */
  readonly serverCpu: string | undefined;
  /** Whether DynamoDB Local ran in a CPU group of the highest weight. */
  readonly serverPrioritized?: boolean;
  readonly notes: readonly string[];
}

/** Throttling one contender's group saw over its whole scenario (warm-up included). */
export interface Throttling {
  readonly scenario: string;
  readonly variant: string;
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledMs: number;
}

/** The results of one Lambda configuration. */
export interface LambdaRunResult extends LambdaConfig {
  readonly confinement: Confinement;
  readonly scenarios: readonly ScenarioResult[];
  readonly billingCheck: BillingCheck;
  readonly throttling: readonly Throttling[];
  readonly seconds: number;
}
