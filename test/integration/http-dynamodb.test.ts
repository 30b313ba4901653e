/**
 * The HTTP adapter on DynamoDB Local: every status code of the behaviour table, scoping, header case,
 * binary bodies, exact replays and failing handlers, with real REST, HTTP API and Function URL events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import { DynamoDBStore } from '../../lib/persistence/dynamodb';
import {
  HttpProblem,
  IDEMPOTENT_REPLAYED_HEADER,
  PROBLEM_CONTENT_TYPE,
  makeIdempotentHttpHandler,
  type HttpEvent,
  type IdempotentHttpOptions,
} from '../../lib/http';
import {
  cognitoAuthorizer,
  functionUrlEvent,
  gate,
  httpApiEvent,
  iamAuthorizer,
  jwtAuthorizer,
  lambdaContext,
  observeClaims,
  restApiEvent,
  restLambdaAuthorizer,
} from '../helpers/http-events';
import { createTestTable, dynamoClient } from '../helpers/local';

const NOW = Date.UTC(2025, 5, 1);
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Response = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

let tableName: string;
beforeAll(async () => {
  tableName = await createTestTable('http');
});

function newStore(): DynamoDBStore {
  return new DynamoDBStore({ tableName, client: dynamoClient() });
}

/** A handler counting its runs; `respond` gets the event and the run number (1-based). */
function counted(respond: (event: HttpEvent, run: number) => Promise<Response> | Response, options: Partial<IdempotentHttpOptions> = {}) {
  let runs = 0;
  const handler = makeIdempotentHttpHandler(
    async (event: HttpEvent) => {
      runs += 1;
      return respond(event, runs);
    },
    { store: newStore(), logger: silent, ...options },
  );
  return { handler, runs: () => runs };
}

const created = (_event: HttpEvent, run: number): Response => ({
  statusCode: 201,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ orderId: `order-${run}` }),
});

function problem(response: unknown): { type: string; title: string; status: number; detail: string } {
  const r = response as { headers: Record<string, string>; body: string };
  expect(r.headers['Content-Type']).toBe(PROBLEM_CONTENT_TYPE);
  return JSON.parse(r.body) as { type: string; title: string; status: number; detail: string };
}

/** The replay with its `Idempotent-Replayed: true` removed in place (member order kept), for exact comparison. */
const withoutReplayedHeader = (response: unknown): unknown => {
  const copy = structuredClone(response) as { headers: Record<string, unknown> };
  expect(copy.headers[IDEMPOTENT_REPLAYED_HEADER]).toBe('true');
  delete copy.headers[IDEMPOTENT_REPLAYED_HEADER];
  return copy;
};

describe('status codes', () => {
  it('201 first, then the same 201 replayed with Idempotent-Replayed: true', async () => {
    const key = randomUUID();
    const { handler, runs } = counted(created);
    const request = () => httpApiEvent({ body: '{"sku":"A"}', headers: { 'Idempotency-Key': `"${key}"` } });

    const first = await handler(request(), lambdaContext());
    const retry = await handler(request(), lambdaContext());

    expect(first).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"orderId":"order-1"}' });
    expect(retry).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'Idempotent-Replayed': 'true' },
      body: '{"orderId":"order-1"}',
    });
    expect(runs()).toBe(1);
  });

  it('400 problem+json for a POST without a key', async () => {
    const { handler, runs } = counted(created);

    const response = await handler(restApiEvent({ method: 'POST', resource: '/orders', body: '{}' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 400 });
    expect(problem(response)).toMatchObject({ type: `tag:effectively-once,2025:${HttpProblem.KeyMissing}`, status: 400 });
    expect(runs()).toBe(0);
  });

  it('400 problem+json naming the rule for a key that is too long', async () => {
    const { handler } = counted(created);

    const response = await handler(functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': 'x'.repeat(256) } }), lambdaContext());

    expect(problem(response)).toEqual({
      type: `tag:effectively-once,2025:${HttpProblem.KeyInvalid}`,
      title: 'Idempotency key invalid',
      status: 400,
      detail: 'The Idempotency-Key header must be at most 255 characters long, got 256.',
    });
  });

  it('400 for a key header sent twice (REST multiValueHeaders)', async () => {
    const { handler } = counted(created);
    const event = restApiEvent({ body: '{}', multiValueHeaders: { 'Idempotency-Key': ['a', 'b'], 'Content-Type': ['application/json'] } });

    expect(problem(await handler(event, lambdaContext())).detail).toBe('The Idempotency-Key header must be sent once, got 2 values.');
  });

  it('422 problem+json for the same key with a different body', async () => {
    const key = randomUUID();
    const { handler, runs } = counted(created);

    await handler(httpApiEvent({ body: '{"amount":10}', headers: { 'Idempotency-Key': key } }), lambdaContext());
    const response = await handler(httpApiEvent({ body: '{"amount":1000}', headers: { 'Idempotency-Key': key } }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 422 });
    expect(problem(response)).toMatchObject({ type: `tag:effectively-once,2025:${HttpProblem.KeyReused}`, status: 422 });
    expect(runs()).toBe(1);
  });

  it('422 for the same key on the same route with a different path', async () => {
    const key = randomUUID();
    const { handler } = counted(created);
    const on = (path: string) =>
      restApiEvent({ method: 'PATCH', resource: '/orders/{id}', path, body: '{}', headers: { 'Idempotency-Key': key } });

    await handler(on('/orders/1'), lambdaContext());

    expect(await handler(on('/orders/2'), lambdaContext())).toMatchObject({ statusCode: 422 });
  });

  it('409 problem+json with Retry-After while the first request is still running', async () => {
    const key = randomUUID();
    const held = gate();
    const { handler } = counted(
      async (event, run) => {
        await held.pass();
        return created(event, run);
      },
      { clock: () => NOW, leaseSeconds: 20 },
    );
    const request = () => httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    const first = handler(request(), lambdaContext());
    await held.entered;
    const retry = await handler(request(), lambdaContext());
    held.open();

    expect(retry).toMatchObject({ statusCode: 409, headers: { 'Retry-After': '21' } });
    expect(problem(retry)).toMatchObject({ type: `tag:effectively-once,2025:${HttpProblem.RequestInProgress}`, status: 409 });
    await expect(first).resolves.toMatchObject({ statusCode: 201 });
  });

  it("onInProgress: 'wait': the retry waits and gets the first request's response", async () => {
    const key = randomUUID();
    const held = gate();
    const { store, claimRefused } = observeClaims(newStore());
    const { handler, runs } = counted(
      async (event, run) => {
        await held.pass();
        return created(event, run);
      },
      { store, onInProgress: 'wait' },
    );
    const request = () => functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    const first = handler(request(), lambdaContext({ timeoutMs: 15_000 }));
    await held.entered;
    const retry = handler(request(), lambdaContext({ timeoutMs: 15_000 }));
    await claimRefused;
    held.open();

    await expect(first).resolves.toMatchObject({ statusCode: 201, body: '{"orderId":"order-1"}' });
    await expect(retry).resolves.toMatchObject({
      statusCode: 201,
      body: '{"orderId":"order-1"}',
      headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
    });
    expect(runs()).toBe(1);
  });

  it('a 4xx of the handler is stored and replayed', async () => {
    const key = randomUUID();
    const { handler, runs } = counted(() => ({ statusCode: 409, body: 'cart already checked out' }));
    const request = () => httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    await handler(request(), lambdaContext());

    expect(await handler(request(), lambdaContext())).toMatchObject({ statusCode: 409, headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(runs()).toBe(1);
  });

  it('a 5xx of the handler is returned and not stored: the retry runs again and its 201 is stored', async () => {
    const key = randomUUID();
    const { handler, runs } = counted((event, run) => (run === 1 ? { statusCode: 502, body: 'upstream failed' } : created(event, run)));
    const request = () => httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    expect(await handler(request(), lambdaContext())).toEqual({ statusCode: 502, body: 'upstream failed' });
    expect(await handler(request(), lambdaContext())).toMatchObject({ statusCode: 201, body: '{"orderId":"order-2"}' });
    expect(await handler(request(), lambdaContext())).toMatchObject({ statusCode: 201, body: '{"orderId":"order-2"}' });
    expect(runs()).toBe(2);
  });
});

describe('a handler that throws', () => {
  it('has its error rethrown and the key released, so the retry runs and succeeds', async () => {
    const key = randomUUID();
    const failure = new TypeError('Cannot read properties of undefined');
    const { handler, runs } = counted((event, run) => {
      if (run === 1) throw failure;
      return created(event, run);
    });
    const request = () => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    await expect(handler(request(), lambdaContext())).rejects.toBe(failure);
    await expect(handler(request(), lambdaContext())).resolves.toMatchObject({ statusCode: 201, body: '{"orderId":"order-2"}' });
    expect(runs()).toBe(2);
  });
});

describe('a handler that returns a response without a valid status', () => {
  it('(a REST statusCode of null) is refused with IdempotencyConfigError and not stored: the key is released and the retry runs', async () => {
    const key = randomUUID();
    const { handler, runs } = counted((event, run) =>
      run === 1 ? ({ statusCode: null, body: 'created' } as unknown as Response) : created(event, run),
    );
    const request = () => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    const first = handler(request(), lambdaContext());
    await expect(first).rejects.toThrow(IdempotencyConfigError);
    await expect(first).rejects.toThrow(
      'The handler of POST /orders returned a statusCode of null, not an HTTP status (an integer from 100 to 599).',
    );
    await expect(handler(request(), lambdaContext())).resolves.toMatchObject({ statusCode: 201, body: '{"orderId":"order-2"}' });
    expect(runs()).toBe(2);
  });
});

describe('scoping', () => {
  it('the same key from two REST Lambda-authorizer principals gives each its own response', async () => {
    const key = randomUUID();
    const { handler, runs } = counted((_event, run) => ({ statusCode: 201, body: `secret of caller ${run}` }));
    const as = (principal: string) =>
      restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: restLambdaAuthorizer(principal) });

    const alice = await handler(as('alice'), lambdaContext());
    const mallory = await handler(as('mallory'), lambdaContext());
    const aliceAgain = await handler(as('alice'), lambdaContext());

    expect(alice).toMatchObject({ body: 'secret of caller 1' });
    expect(mallory).toMatchObject({ body: 'secret of caller 2' });
    expect(mallory).not.toHaveProperty(['headers', IDEMPOTENT_REPLAYED_HEADER]);
    expect(aliceAgain).toMatchObject({ body: 'secret of caller 1', headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(runs()).toBe(2);
  });

  it('the same key from two Cognito users, two JWT subjects or two IAM users never crosses over', async () => {
    const key = randomUUID();
    const { handler, runs } = counted((_event, run) => ({ statusCode: 201, body: `run ${run}` }));

    const bodies = [];
    for (const event of [
      restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: cognitoAuthorizer('sub-1') }),
      restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: cognitoAuthorizer('sub-2') }),
      httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: jwtAuthorizer('sub-1') }),
      httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: jwtAuthorizer('sub-2') }),
      functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: iamAuthorizer('arn:aws:iam::123456789012:user/a') }),
      functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': key }, authorizer: iamAuthorizer('arn:aws:iam::123456789012:user/b') }),
    ]) {
      bodies.push((await handler(event, lambdaContext())).body);
    }

    // The REST and HTTP API events share route and subject (`POST /orders`, sub-1): the same caller, so a replay.
    expect(bodies).toEqual(['run 1', 'run 2', 'run 1', 'run 2', 'run 3', 'run 4']);
    expect(runs()).toBe(4);
  });
});

describe('header name case', () => {
  it.each([['idempotency-key'], ['IDEMPOTENCY-KEY'], ['Idempotency-key']])(
    'a retry sending the header as %s is recognised',
    async (name) => {
      const key = randomUUID();
      const { handler, runs } = counted(created);

      await handler(restApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } }), lambdaContext());
      const retry = await handler(restApiEvent({ body: '{}', headers: { [name]: key } }), lambdaContext());

      expect(retry).toMatchObject({ headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
      expect(runs()).toBe(1);
    },
  );
});

describe('binary bodies and exact replays', () => {
  it('fingerprints the decoded bytes: the same bytes replay, other bytes get 422', async () => {
    const key = randomUUID();
    const bytes = randomBytes(64);
    const { handler, runs } = counted(created);
    const send = (body: Buffer) =>
      functionUrlEvent({ body, headers: { 'Idempotency-Key': key, 'content-type': 'application/octet-stream' } });

    await handler(send(bytes), lambdaContext());
    const same = await handler(send(Buffer.from(bytes)), lambdaContext());
    const other = Buffer.from(bytes);
    other[63] = (other[63] ?? 0) ^ 1;
    const changed = await handler(send(other), lambdaContext());

    expect(same).toMatchObject({ statusCode: 201, headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(changed).toMatchObject({ statusCode: 422 });
    expect(runs()).toBe(1);
  });

  it('replays a binary REST response byte for byte: status, headers, multiValueHeaders, base64 body and flag', async () => {
    const key = randomUUID();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(20_000)]);
    const original: APIGatewayProxyResult = {
      statusCode: 201,
      headers: { 'Content-Type': 'application/pdf', 'X-Order-Count': 3, 'X-Cached': false },
      multiValueHeaders: { 'Set-Cookie': ['session=abc; Secure; HttpOnly', 'theme=dark'], Vary: ['Accept', 'Accept-Encoding'] },
      body: pdf.toString('base64'),
      isBase64Encoded: true,
    };
    const { handler } = counted(() => structuredClone(original));
    const request = () => restApiEvent({ resource: '/invoices', path: '/invoices', body: '{}', headers: { 'Idempotency-Key': key } });

    await handler(request(), lambdaContext());
    const replay = (await handler(request(), lambdaContext())) as APIGatewayProxyResult;

    expect(withoutReplayedHeader(replay)).toEqual(original);
    expect(Buffer.from(replay.body, 'base64').equals(pdf)).toBe(true);
    expect(JSON.stringify(withoutReplayedHeader(replay))).toBe(JSON.stringify(original));
  });

  it('replays an HTTP API response with cookies exactly', async () => {
    const key = randomUUID();
    const original: APIGatewayProxyStructuredResultV2 = {
      statusCode: 202,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      cookies: ['a=1; Path=/', 'b=2; Max-Age=60'],
      body: 'accepted: ünïcödé ✓',
      isBase64Encoded: false,
    };
    const { handler } = counted(() => structuredClone(original));
    const request = () => httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    await handler(request(), lambdaContext());
    const replay = await handler(request(), lambdaContext());

    expect(JSON.stringify(withoutReplayedHeader(replay))).toBe(JSON.stringify(original));
  });
});

describe('expiry', () => {
  it('remembers a key for expiresAfterSeconds, then runs the same request again', async () => {
    const key = randomUUID();
    let now = NOW;
    const { handler, runs } = counted(created, { clock: () => now, expiresAfterSeconds: 3600 });
    const request = () => httpApiEvent({ body: '{}', headers: { 'Idempotency-Key': key } });

    await handler(request(), lambdaContext());
    now = NOW + 3599_000;
    expect(await handler(request(), lambdaContext())).toMatchObject({ body: '{"orderId":"order-1"}' });
    now = NOW + 3601_000;
    expect(await handler(request(), lambdaContext())).toMatchObject({ body: '{"orderId":"order-2"}' });
    expect(runs()).toBe(2);
  });
});
