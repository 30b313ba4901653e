/**
 * One contender of one Valkey scenario in its own process, as bench/lambda-child.ts is for DynamoDB: the
 * parent (bench/valkey/run.ts) pins it to one core and confines it to the CPU quota of a Lambda function;
 * it builds its own client, runs the iterations asked for one at a time and measures them itself.
 */
import type { Contender } from '../scenario-types';
import { benchClient, commandCount, valkeyScenarios, VALKEY_CONTENDERS } from './scenarios';

export interface ValkeyChildInit {
  readonly url: string;
  readonly scale: number;
  readonly scenarioId: string;
  readonly contender: number;
}

/** What a child measured over its timed iterations. */
export interface ValkeyChildResult {
  readonly iterations: number;
  readonly recordsPerIteration: number;
  /** Wall time of each timed iteration (one invocation), milliseconds. */
  readonly wallMs: readonly number[];
  readonly cpuMicros: number;
  readonly commands: number;
  /** Iterations whose executions or failures differ from what a correct run does. */
  readonly wrong: number;
}

type Request = { id: number } & (
  { op: 'init'; init: ValkeyChildInit } | { op: 'setup' } | { op: 'iterate'; timed: boolean } | { op: 'result' }
);

let contender: Contender | undefined;
let records = 1;
let close: (() => Promise<void>) | undefined;
const wallMs: number[] = [];
let cpuMicros = 0;
let commands = 0;
let wrong = 0;

function matches(expected: number | readonly [number, number], actual: number): boolean {
  return typeof expected === 'number' ? actual === expected : actual >= expected[0] && actual <= expected[1];
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'init': {
      const kind = VALKEY_CONTENDERS[request.init.contender]?.client ?? 'redis';
      const connected = await benchClient(kind, request.init.url);
      close = () => connected.close();
      const scenario = valkeyScenarios({ client: connected.client, scale: request.init.scale }, request.init.contender).find(
        (s) => s.id === request.init.scenarioId,
      );
      if (scenario === undefined) throw new Error(`No Valkey scenario ${request.init.scenarioId}`);
      contender = scenario.contenders[0];
      records = scenario.recordsPerIteration;
      return undefined;
    }
    case 'setup':
      return contender?.setup?.();
    case 'iterate': {
      if (contender === undefined) throw new Error('iterate before init');
      const run = contender.prepare();
      const commandsBefore = commandCount.value;
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      const facts = await run();
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = process.cpuUsage(cpuBefore);
      if (!matches(contender.expect.executions, facts.executions) || !matches(contender.expect.failures, facts.failures)) wrong += 1;
      if (request.timed) {
        wallMs.push(elapsed);
        cpuMicros += cpu.user + cpu.system;
        commands += commandCount.value - commandsBefore;
      }
      return undefined;
    }
    case 'result':
      await close?.();
      return { iterations: wallMs.length, recordsPerIteration: records, wallMs, cpuMicros, commands, wrong } satisfies ValkeyChildResult;
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (value) => process.send?.({ id: request.id, ok: true, value }),
    (error: unknown) =>
      process.send?.({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
