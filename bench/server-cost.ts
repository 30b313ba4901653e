/**
 * DynamoDB Local's CPU per statement of a batch's claims and completions, shape by shape (issue 28: what the
 * model's single-core server spends on ours' statements against the floor's). It starts its own DynamoDB
 * Local, then rotates the variants in rounds: each round sends, per variant, `--batches` batches of 10
 * claims (one `BatchExecuteStatement`) and then their 10 completions, with fresh keys, one request at a time
 * (as one Lambda sends them), and reads the server's CPU (all its threads, /proc schedstat, nanoseconds)
 * around the claims and around the completions. Reported: the median over rounds of µs per statement
 * (p25–p75 in brackets), and the median of each round's difference to the reference variant's block of the
 * same round (paired: a slower machine in one round slows both).
 *
 *   npx tsx bench/server-cost.ts [--rounds=80] [--batches=20] [--reference=ours] [--endpoint=URL --pid=PID] [--only=floor,library]
 *
 * The `library` variant is ours as it runs (a `DynamoDBStore` in a write-batching scope, from the sources);
 * the others are statements written out here, to weigh one difference at a time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BatchExecuteStatementCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore } from '../lib';
import { withWriteBatching } from '../lib/persistence/coalesce';
import { createIdempotencyTable, localClientConfig, startLocalDynamoDB } from '../lib/testing';

const TABLE = 'server_cost';
const BATCH = 10;
const LEASE_MS = 30_000;
const EXPIRES_S = 3_600;

interface Statement {
  Statement: string;
  Parameters: AttributeValue[];
}

interface Variant {
  readonly name: string;
  readonly key: () => string;
  /** The batches' claims, then their completions; `null` sends the library's own. */
  readonly claim: ((key: string, token: string, now: number) => Statement) | null;
  readonly complete: ((key: string, token: string, now: number) => Statement) | null;
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const hexKey = (): string => randomBytes(32).toString('hex');
const floorKey = (): string => `floor#${randomUUID()}`;
const ttl = (now: number): number => Math.floor(now / 1000) + EXPIRES_S;

/** Ours' claim as the library writes it (key, expiry, status literal, token, lease, steps literal). */
function oursClaim(steps: boolean, literals = true) {
  return (key: string, token: string, now: number): Statement => {
    const parts = ["'id': ?", "'expiration': ?", literals ? "'status': 'INPROGRESS'" : "'status': ?", "'token': ?", "'leaseUntil': ?"];
    const parameters = [s(key), n(ttl(now)), ...(literals ? [] : [s('INPROGRESS')]), s(token), n(now + LEASE_MS)];
    if (steps) parts.push("'steps': {}");
    return { Statement: `INSERT INTO "${TABLE}" VALUE {${parts.join(', ')}}`, Parameters: parameters };
  };
}

/**
 * Ours' completion: SETs (status, expiry, outcome, lease, result, encoding), the REMOVEs given, the condition
 * (constants as literals in the text, as the library writes them, or as `?` parameters with `params`).
 */
function oursComplete(options: { removes: readonly string[]; outcome?: boolean; encoding?: boolean; params?: boolean }) {
  return (key: string, token: string, now: number): Statement => {
    const parameters: AttributeValue[] = [];
    const value = (literal: string, attribute: AttributeValue): string => {
      if (!options.params) return literal;
      parameters.push(attribute);
      return '?';
    };
    const sets = [`SET "status"=${value("'COMPLETED'", s('COMPLETED'))}`, `SET "expiration"=${value('?', n(ttl(now)))}`];
    if (!options.params) parameters.push(n(ttl(now)));
    if (options.outcome !== false) sets.push(`SET "outcome"=${value("'value'", s('value'))}`);
    sets.push(`SET "leaseUntil"=${value('0', n(0))}`, `SET "result"=${value('?', s('null'))}`);
    if (!options.params) parameters.push(s('null'));
    if (options.encoding !== false) sets.push(`SET "resultEncoding"=${value("'text'", s('text'))}`);
    const removes = options.removes.map((name) => `REMOVE "${name}"`);
    const where = `WHERE "id"=? AND "token"=? AND "status"=${options.params ? '?' : "'INPROGRESS'"}`;
    return {
      Statement: `UPDATE "${TABLE}" ${[...sets, ...removes].join(' ')} ${where}`,
      Parameters: [...parameters, s(key), s(token), ...(options.params ? [s('INPROGRESS')] : [])],
    };
  };
}

/** The library's completion with `clauses` (and their `parameters`) before its WHERE. */
function amplified(clauses: string, parameters: AttributeValue[]) {
  const base = oursComplete({ removes: ['steps'] });
  return (key: string, token: string, now: number): Statement => {
    const statement = base(key, token, now);
    const at = statement.Statement.indexOf(' WHERE ');
    const before = statement.Parameters.length - 2;
    return {
      Statement: `${statement.Statement.slice(0, at)} ${clauses}${statement.Statement.slice(at)}`,
      Parameters: [...statement.Parameters.slice(0, before), ...parameters, ...statement.Parameters.slice(before)],
    };
  };
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'floor',
    key: floorKey,
    claim: (key, token, now) => ({
      Statement: `INSERT INTO "${TABLE}" VALUE {'id': ?, 'expiration': ?, 'status': ?, 'token': ?, 'leaseUntil': ?}`,
      Parameters: [s(key), n(ttl(now)), s('INPROGRESS'), s(token), n(now + LEASE_MS)],
    }),
    complete: (key, token) => ({
      Statement: `UPDATE "${TABLE}" SET "status"=? SET "result"=? SET "leaseUntil"=? WHERE "id"=? AND "token"=? AND "status"=?`,
      Parameters: [s('COMPLETED'), s('null'), n(0), s(key), s(token), s('INPROGRESS')],
    }),
  },
  // Ours as it runs now (the completion removes the steps only).
  { name: 'library', key: hexKey, claim: null, complete: null },
  // The library's statements written out (as of the baseline): REMOVE steps and resultChunks.
  { name: 'ours', key: hexKey, claim: oursClaim(true), complete: oursComplete({ removes: ['steps', 'resultChunks'] }) },
  {
    name: 'ours with a floor-length key',
    key: floorKey,
    claim: oursClaim(true),
    complete: oursComplete({ removes: ['steps', 'resultChunks'] }),
  },
  { name: 'claim without steps', key: hexKey, claim: oursClaim(false), complete: oursComplete({ removes: ['steps', 'resultChunks'] }) },
  { name: 'REMOVE steps only', key: hexKey, claim: oursClaim(true), complete: oursComplete({ removes: ['steps'] }) },
  { name: 'no REMOVE', key: hexKey, claim: oursClaim(true), complete: oursComplete({ removes: [] }) },
  {
    name: 'no REMOVE and no default SETs',
    key: hexKey,
    claim: oursClaim(true),
    complete: oursComplete({ removes: [], outcome: false, encoding: false }),
  },
  {
    name: 'params not literals',
    key: hexKey,
    claim: oursClaim(true, false),
    complete: oursComplete({ removes: ['steps'], params: true }),
  },
  // Amplified: ten times one difference, to weigh it above the noise of a shared machine (divide by ten).
  { name: 'completion +1000 spaces', key: hexKey, claim: oursClaim(true), complete: amplified(' '.repeat(1000), []) },
  {
    name: 'completion +10 REMOVEs of absent attributes',
    key: hexKey,
    claim: oursClaim(true),
    complete: amplified(Array.from({ length: 10 }, (_, i) => `REMOVE "absent${i}"`).join(' '), []),
  },
  {
    name: 'completion +10 SETs of literals',
    key: hexKey,
    claim: oursClaim(true),
    complete: amplified(Array.from({ length: 10 }, (_, i) => `SET "extra${i}"='value'`).join(' '), []),
  },
  {
    name: 'completion +10 SETs of parameters',
    key: hexKey,
    claim: oursClaim(true),
    complete: amplified(
      Array.from({ length: 10 }, (_, i) => `SET "extra${i}"=?`).join(' '),
      Array.from({ length: 10 }, () => s('value')),
    ),
  },
  {
    name: 'completion params not literals',
    key: hexKey,
    claim: oursClaim(true),
    complete: oursComplete({ removes: ['steps', 'resultChunks'], params: true }),
  },
];

/** CPU time of every live thread of `pid`, nanoseconds (schedstat's first field). */
function threadsCpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return total;
}

/** CPU time of the process (dead threads included), in ticks of 10 ms. */
function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function send(client: DynamoDBClient, statements: Statement[]): Promise<void> {
  const output = await client.send(new BatchExecuteStatementCommand({ Statements: statements }));
  const failed = (output.Responses ?? []).filter((response) => response.Error);
  if (failed.length > 0)
    throw new Error(`${failed.length} statements failed: ${failed[0]?.Error?.Code ?? ''} ${failed[0]?.Error?.Message ?? ''}`);
}

/** One variant's batches: returns server ns of the claims and of the completions. */
async function runVariant(
  variant: Variant,
  batches: number,
  client: DynamoDBClient,
  store: DynamoDBStore,
  pid: number,
): Promise<{ claimNs: number; completeNs: number; ticks: number }> {
  const token = randomUUID();
  const keys = Array.from({ length: batches }, () => Array.from({ length: BATCH }, variant.key));
  const now = Date.now();
  const ticksBefore = processTicks(pid);
  const claimStart = threadsCpuNs(pid);
  for (const batch of keys) {
    if (variant.claim)
      await send(
        client,
        batch.map((key) => (variant.claim as NonNullable<Variant['claim']>)(key, token, now)),
      );
    else {
      const results = await withWriteBatching(() =>
        Promise.all(batch.map((key) => store.claim({ key, token, now, leaseUntil: now + LEASE_MS, expiresAt: ttl(now) }))),
      );
      if (results.some((result) => !result.claimed)) throw new Error('a library claim failed');
    }
  }
  const claimNs = threadsCpuNs(pid) - claimStart;
  const completeStart = threadsCpuNs(pid);
  for (const batch of keys) {
    if (variant.complete)
      await send(
        client,
        batch.map((key) => (variant.complete as NonNullable<Variant['complete']>)(key, token, now)),
      );
    else {
      await withWriteBatching(() =>
        Promise.all(
          batch.map((key) => store.complete({ key, token, now, result: 'null', outcome: 'value', expiresAt: ttl(now), writes: [] })),
        ),
      );
    }
  }
  const completeNs = threadsCpuNs(pid) - completeStart;
  return { claimNs, completeNs, ticks: processTicks(pid) - ticksBefore };
}

/** The `q` quantile of `values` (linear between the nearest ranks). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

/** Median (p25–p75). */
function spread(values: readonly number[]): string {
  return `${quantile(values, 0.5).toFixed(0)} (${quantile(values, 0.25).toFixed(0)}–${quantile(values, 0.75).toFixed(0)})`;
}

/** Mean ± its standard error. */
function meanError(values: readonly number[]): string {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return `${mean.toFixed(0)} ± ${Math.sqrt(variance / values.length).toFixed(0)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '80' },
      batches: { type: 'string', default: '20' },
      only: { type: 'string' },
      reference: { type: 'string', default: 'ours' },
      // A DynamoDB Local already running (e.g. under a profiler): its endpoint and its process id.
      endpoint: { type: 'string' },
      pid: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const batches = Number(values.batches);
  const only = values.only?.split(',');
  const variants = VARIANTS.filter((variant) => only === undefined || only.includes(variant.name));
  const server =
    values.endpoint === undefined
      ? await startLocalDynamoDB()
      : { clientConfig: localClientConfig(values.endpoint), pid: Number(values.pid), stop: () => Promise.resolve() };
  try {
    const client = new DynamoDBClient(server.clientConfig);
    await createIdempotencyTable(client, TABLE);
    const store = new DynamoDBStore({ client, tableName: TABLE });
    // Warm-up: the server's JIT compiles the paths of every variant before anything counts.
    for (const variant of variants) await runVariant(variant, Math.max(20, Math.round(batches / 2)), client, store, server.pid);
    const results = new Map<string, { claim: number[]; complete: number[]; ticks: number[] }>();
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the order so that no variant always runs after the same one.
      const order = variants.map((_, index) => variants[(index + round) % variants.length] as Variant);
      for (const variant of order) {
        const measured = await runVariant(variant, batches, client, store, server.pid);
        const entry = results.get(variant.name) ?? { claim: [], complete: [], ticks: [] };
        entry.claim.push(measured.claimNs / 1000 / (batches * BATCH));
        entry.complete.push(measured.completeNs / 1000 / (batches * BATCH));
        entry.ticks.push((measured.ticks * 10_000) / (batches * BATCH));
        results.set(variant.name, entry);
      }
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
    }
    const reference = results.get(values.reference) ?? results.get(variants[0]?.name ?? '');
    const minus = (values: readonly number[], base: readonly number[] | undefined): number[] =>
      values.map((value, index) => value - (base?.[index] ?? Number.NaN));
    console.log(
      `| variant | claim µs/statement | completion µs/statement | both (µs/record) | both, /proc ticks | claim − ${values.reference} (same round) | completion − ${values.reference} | both − ${values.reference}, mean ± s.e. |`,
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const variant of variants) {
      const entry = results.get(variant.name);
      if (!entry) continue;
      const both = entry.claim.map((value, index) => value + (entry.complete[index] as number));
      console.log(
        `| ${variant.name} | ${spread(entry.claim)} | ${spread(entry.complete)} | ${spread(both)} | ${spread(entry.ticks)} | ${spread(minus(entry.claim, reference?.claim))} | ${spread(minus(entry.complete, reference?.complete))} | ${meanError(
          minus(
            both,
            reference?.claim.map((value, index) => value + (reference.complete[index] as number)),
          ),
        )} |`,
      );
    }
    client.destroy();
  } finally {
    await server.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
