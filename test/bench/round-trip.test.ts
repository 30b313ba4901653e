import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { addRoundTrip } from '../../bench/round-trip';

/**
 * A real HTTP server speaking DynamoDB's JSON protocol: it answers the first `failures` requests with a
 * retryable 500 (InternalServerError), then ListTables with no tables. DynamoDB Local cannot be made to
 * fail on demand, hence this server.
 */
async function flakyDynamoDB(failures: number): Promise<{ server: Server; endpoint: string; received: () => number }> {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      const failing = received <= failures;
      response.writeHead(failing ? 500 : 200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `request-${received}` });
      response.end(
        JSON.stringify(
          failing ? { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected' } : { TableNames: [] },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}`, received: () => received };
}

/** A client with the SDK's default retries. */
function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

describe('bench round trip', () => {
  let servers: Server[] = [];
  let clients: DynamoDBClient[] = [];
  afterEach(async () => {
    clients.forEach((c) => c.destroy());
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    servers = [];
    clients = [];
  });

  async function setUp(failures: number, ms: number): Promise<{ client: DynamoDBClient; waits: number[]; received: () => number }> {
    const flaky = await flakyDynamoDB(failures);
    servers.push(flaky.server);
    const c = client(flaky.endpoint);
    clients.push(c);
    const waits: number[] = [];
    addRoundTrip(c, ms, (wait) => {
      waits.push(wait);
      return Promise.resolve();
    });
    return { client: c, waits, received: flaky.received };
  }

  it('makes a request answered at once wait one round trip', async () => {
    const { client: c, waits, received } = await setUp(0, 3);

    const output = await c.send(new ListTablesCommand({}));

    expect(output.$metadata.attempts).toBe(1);
    expect(received()).toBe(1);
    expect(waits).toEqual([3]);
  });

  it('makes every attempt of a retried request wait its round trip', async () => {
    const { client: c, waits, received } = await setUp(2, 3);

    const output = await c.send(new ListTablesCommand({}));

    expect(output.$metadata.attempts).toBe(3);
    expect(received()).toBe(3);
    expect(waits).toEqual([3, 3, 3]);
  });

  it('makes every attempt wait when all fail (as many as the SDK default allows)', async () => {
    const { client: c, waits, received } = await setUp(100, 3);

    const error = await c.send(new ListTablesCommand({})).catch((e: unknown) => e);

    expect((error as Error).name).toBe('InternalServerError');
    expect(received()).toBeGreaterThan(1);
    expect(waits).toHaveLength(received());
  });

  it('waits on a timer: the request takes at least the round trip', async () => {
    const flaky = await flakyDynamoDB(0);
    servers.push(flaky.server);
    const c = client(flaky.endpoint);
    clients.push(c);
    await c.send(new ListTablesCommand({})); // connection and SDK set up outside the measurement
    addRoundTrip(c, 40);

    const started = process.hrtime.bigint();
    await c.send(new ListTablesCommand({}));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

    expect(elapsedMs).toBeGreaterThanOrEqual(39);
  });

  it('adds nothing for a round trip of 0', async () => {
    const { client: c, waits } = await setUp(0, 0);

    await c.send(new ListTablesCommand({}));

    expect(waits).toEqual([]);
  });

  it('refuses a negative or non-finite round trip', () => {
    const c = client('http://127.0.0.1:1');
    clients.push(c);
    expect(() => addRoundTrip(c, -1)).toThrow(new RangeError('Expected the round trip to be a finite number of milliseconds ≥ 0, got -1'));
    expect(() => addRoundTrip(c, Number.NaN)).toThrow(RangeError);
  });
});
