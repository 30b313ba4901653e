/**
 * One contender of one scenario in its own process: the Lambda model's execution environment
 * (bench/lambda.ts forks it, pins it to one core and confines it to a CPU quota). It builds its own
 * DynamoDB client (SDK default retries, the round trip added to every attempt), runs the iterations the
 * parent asks for one at a time and measures them in here, with its own CPU.
 *
 * Protocol (IPC messages): the parent sends `{ id, op }` with op `init` (and the config), `setup`,
 * `iterate` (and `timed`) or `result`; the child answers `{ id, ok: true, value }` or `{ id, ok: false,
 * error }`. The child exits when the parent disconnects.
 */
// The SDK warns that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { instrument } from './instrument';
import type { ChildConfig, ChildReply, ChildRequest } from './lambda';
import { ContenderMeter, meterContext, type MeterContext } from './measure';
import { addRoundTrip } from './round-trip';
import { scenarios } from './scenarios';

let meter: ContenderMeter | undefined;
let context: MeterContext | undefined;

function init(config: ChildConfig): { variant: string; library: string } {
  const client = new DynamoDBClient({ region: config.region, endpoint: config.endpoint, credentials: config.credentials });
  instrument(client);
  addRoundTrip(client, config.rttMs);
  const scenario = scenarios({ client, ours: config.tables.ours, incumbent: config.tables.incumbent, scale: config.scale }).find(
    (s) => s.id === config.scenarioId,
  );
  const contender = scenario?.contenders[config.contender];
  if (!scenario || !contender) throw new Error(`No contender ${config.contender} in scenario ${config.scenarioId}`);
  context = meterContext(config.serverPid);
  meter = new ContenderMeter(contender, scenario.recordsPerIteration, context);
  return { variant: contender.variant, library: contender.library };
}

async function handle(request: ChildRequest): Promise<unknown> {
  if (request.op === 'init') return init(request.config);
  if (!meter || !context) throw new Error(`Expected init before ${request.op}`);
  switch (request.op) {
    case 'setup':
      return meter.setup();
    case 'iterate':
      return meter.iterate(request.timed);
    case 'result':
      return {
        result: { ...(await meter.result()), peakRssMb: process.resourceUsage().maxRSS / 1024 },
        billingCheck: context.billingCheck,
      };
  }
}

process.on('message', (message: ChildRequest) => {
  handle(message).then(
    (value) => process.send?.({ id: message.id, ok: true, value } satisfies ChildReply),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies ChildReply),
  );
});
process.on('disconnect', () => process.exit(0));
