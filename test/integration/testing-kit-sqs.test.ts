import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { startLocalSqs, TestKitError } from '../../lib/testing';
import { sqsClient } from '../helpers/local';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Runs a TypeScript snippet in a plain Node process (tsx), where ES modules load normally. */
async function runInNode(source: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '-e', source], {
    cwd: root,
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
}

describe('startLocalSqs', () => {
  it('starts fauxqs in a plain Node process; its client talks to it; stop() closes the port', async () => {
    const result = await runInNode(`
      import { CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
      import { startLocalSqs } from './lib/testing';
      (async () => {
        const sqs = await startLocalSqs();
        const { QueueUrl } = await sqs.client.send(new CreateQueueCommand({ QueueName: 'kit' }));
        await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
        const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl }));
        const endpoint = sqs.endpoint;
        await sqs.stop();
        const afterStop = await fetch(endpoint + '/health').then(() => 'open', () => 'closed');
        console.log(JSON.stringify({ endpoint, body: Messages?.[0]?.Body, afterStop }));
      })();
    `);

    expect(result).toEqual({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      body: 'hello',
      afterStop: 'closed',
    });
  });

  it('explains that it cannot start inside a jest test file', async () => {
    const attempt = startLocalSqs();

    await expect(attempt).rejects.toBeInstanceOf(TestKitError);
    await expect(attempt).rejects.toThrow(
      'effectively-once/testing: startLocalSqs cannot load `fauxqs` (an ES module) inside a jest test file',
    );
  });

  it('is what jest’s globalSetup started for the tests (EO_SQS_ENDPOINT)', async () => {
    expect(process.env.EO_SQS_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(sqsClient().send(new ListQueuesCommand({}))).resolves.toBeDefined();
  });
});
