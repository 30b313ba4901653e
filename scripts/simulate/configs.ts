/** The configurations the simulator explores: each handler kind, with and without clock skew. */
import type { SimConfig } from './run';

const base = {
  keys: 1,
  copies: 2,
  timeoutMs: 3_000,
  skewMs: [0],
  maxFaults: 4,
  faultRate: 0.25,
  // Each fault can waste one round of every copy's delivery: enough rounds that the event always completes.
  maxDeliveries: 24,
  redeliveryMs: 4_000,
} as const;

/** Slow answers and requests of up to twice a 2 s lease, and an outage longer than it. */
const slowStore = { slowMs: [300, 1_200, 2_500, 4_000], outageMs: 3_000 } as const;

/** Random exploration: several keys, duplicates, every fault, skewed clocks, short leases. */
export const RANDOM_CONFIGS: readonly SimConfig[] = [
  { ...base, name: 'plain effect, 3 copies', handler: 'plain', copies: 3 },
  { ...base, name: 'plain effect, skewed clocks', handler: 'plain', skewMs: [0, 900, -900], copies: 3 },
  // Every invoker but the first runs 900 ms ahead, and redeliveries come while the first may still run.
  {
    ...base,
    name: 'plain effect, clocks 900 ms ahead, prompt redelivery',
    handler: 'plain',
    skewMs: [0, ...Array.from({ length: 15 }, () => 900)],
    redeliveryMs: 1_500,
    maxDeliveries: 30,
  },
  { ...base, name: 'commitWith, 2 keys', handler: 'staged', keys: 2 },
  { ...base, name: 'commitWith, 1 s lease (fencing)', handler: 'staged', leaseSeconds: 1, copies: 3 },
  // The holder outlives its 1 s lease (2.5 s of work) while redeliveries come every 0.5 s: fencing decides.
  {
    ...base,
    name: 'commitWith, 1 s lease, 2.5 s handler (late holder)',
    handler: 'staged',
    leaseSeconds: 1,
    workMs: 2_500,
    timeoutMs: 10_000,
    redeliveryMs: 500,
    maxDeliveries: 40,
  },
  { ...base, name: 'step then commitWith', handler: 'step', copies: 3 },
  { ...base, name: 'optimistic commitWith', handler: 'optimistic', copies: 3 },
  {
    ...base,
    name: 'renewed 1 s lease, 1 s expiry, 6 s handler',
    handler: 'renewing',
    leaseSeconds: 1,
    expiresAfterSeconds: 1,
    workMs: 6_000,
    timeoutMs: 10_000,
    redeliveryMs: 1_500,
    copies: 2,
    maxFaults: 2,
    // Each crash wastes a 6 s run while redeliveries every 1.5 s meet its lease.
    maxDeliveries: 40,
  },
  // Two FIFO batches of the same 3 messages (one group): claims ahead, in-order runs, released leftovers.
  { ...base, name: 'FIFO batches of 3 keys, claims ahead', handler: 'fifo-batch', keys: 3, maxDeliveries: 30 },
  // Each record works 1.5 s under a 2 s lease claimed ahead, so the later records' claims are renewed before
  // they run; the third's lease has ended (and counts as ended 1 s later) by its turn, while redeliveries
  // every second meet it: without the renewal one of them takes it over before its effect.
  {
    ...base,
    name: 'FIFO batches of 3 keys, 2 s lease claimed ahead, 1.5 s per record',
    handler: 'fifo-batch',
    keys: 3,
    leaseSeconds: 2,
    workMs: 1_500,
    timeoutMs: 10_000,
    redeliveryMs: 1_000,
    maxDeliveries: 50,
  },
  // Faults of time: requests that land late, answers that arrive late (a paused process) and an outage
  // whose throttles last longer than the lease, while the engine's backoffs add up.
  {
    ...base,
    name: 'plain effect, 2 s lease, slow store, 3 s outage',
    handler: 'plain',
    leaseSeconds: 2,
    timeoutMs: 15_000,
    redeliveryMs: 1_000,
    maxDeliveries: 40,
    timeFaults: slowStore,
  },
  {
    ...base,
    name: 'commitWith, 2 s lease, 0.8 s handler, slow store, 3 s outage',
    handler: 'staged',
    leaseSeconds: 2,
    workMs: 800,
    timeoutMs: 15_000,
    redeliveryMs: 1_000,
    maxDeliveries: 40,
    timeFaults: slowStore,
  },
  {
    ...base,
    name: 'step then commitWith, 2 s lease, slow store, 3 s outage',
    handler: 'step',
    leaseSeconds: 2,
    timeoutMs: 15_000,
    redeliveryMs: 1_000,
    maxDeliveries: 40,
    timeFaults: slowStore,
  },
  {
    ...base,
    name: 'lease from the Lambda context, slow store, 4 s outage',
    handler: 'plain',
    timeoutMs: 6_000,
    redeliveryMs: 1_000,
    maxDeliveries: 40,
    timeFaults: { slowMs: [500, 2_000, 5_000], outageMs: 4_000 },
  },
  // Claims made ahead that land late, then wait for the records before them (0.6 s each) under a 2 s lease.
  {
    ...base,
    name: 'FIFO batches of 3 keys, 2 s lease claimed ahead, 0.6 s per record, slow store',
    handler: 'fifo-batch',
    keys: 3,
    leaseSeconds: 2,
    workMs: 600,
    timeoutMs: 15_000,
    redeliveryMs: 1_000,
    maxDeliveries: 50,
    timeFaults: { slowMs: [300, 700, 1_200, 2_500], outageMs: 2_500 },
  },
];

/** Exhaustive enumeration: 2 invokers, 1 key, a small fault budget. */
export const EXHAUSTIVE_CONFIGS: readonly SimConfig[] = [
  { ...base, name: 'exhaustive: plain effect, 2 copies, 1 fault', handler: 'plain', maxFaults: 1, maxDeliveries: 8 },
  { ...base, name: 'exhaustive: commitWith, 2 copies, 2 faults', handler: 'staged', maxFaults: 2, maxDeliveries: 10 },
  {
    ...base,
    name: 'exhaustive: commitWith, 1 s lease, 2 copies, 1 fault',
    handler: 'staged',
    leaseSeconds: 1,
    maxFaults: 1,
    maxDeliveries: 8,
  },
  // A 1 s lease and one fault of time: a request or an answer 1.5 s late, or an outage of 1.5 s (the
  // engine's backoffs outlast the lease).
  {
    ...base,
    name: 'exhaustive: plain effect, 1 s lease, 2 copies, 1 fault of time',
    handler: 'plain',
    leaseSeconds: 1,
    timeoutMs: 5_000,
    maxFaults: 1,
    maxDeliveries: 8,
    timeFaults: { slowMs: [1_500], outageMs: 1_500 },
  },
];
