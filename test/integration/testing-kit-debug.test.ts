import { startLocalEventSource } from '../../lib/testing';
import { createTestQueue, sqsClient } from '../helpers/local';
it('debug', async () => {
  const { queueUrl } = await createTestQueue('dbg');
  const client = sqsClient();
  const t0 = Date.now();
  client.middlewareStack.add((next, ctx) => async (args) => { const s = Date.now() - t0; const r = await next(args); console.log(ctx.commandName, s, Date.now() - t0); return r; }, { step: 'initialize' });
  const source = startLocalEventSource({ client, queueUrl, handler: () => undefined });
  await source.idle();
  console.log('idle at', Date.now() - t0, source.stats);
  await source.stop();
});
