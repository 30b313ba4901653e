import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { downstreamKey } from '../../lib/effects';
import { IdempotencyConfigError } from '../../lib/errors';
import {
  HttpProblem,
  IDEMPOTENT_REPLAYED_HEADER,
  PROBLEM_CONTENT_TYPE,
  makeIdempotentHttpHandler,
  type HttpEvent,
  type IdempotentHttpOptions,
} from '../../lib/http';
import { DEFAULT_PROBLEM_TYPE_BASE } from '../../lib/http/constants';
import { InMemoryStore } from '../../lib/persistence/memory';
import {
  functionUrlEvent,
  gate,
  httpApiEvent,
  jwtAuthorizer,
  lambdaContext,
  observeClaims,
  restApiEvent,
  type HttpApiEventSpec,
  type HttpRequestSpec,
} from '../helpers/http-events';

const NOW = Date.UTC(2025, 0, 1);
const KEY = '8e03978e-40d5-43e8-bc93-6894a57f9324';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Result = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2 | string | Record<string, unknown>;

function setup(
  options: Partial<IdempotentHttpOptions<HttpEvent, unknown>> = {},
  respond: (event: HttpEvent, calls: number) => Promise<Result> | Result = (_event, calls) => ({
    statusCode: 201,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId: `order-${calls}` }),
  }),
) {
  let calls = 0;
  const store = new InMemoryStore();
  const handler = makeIdempotentHttpHandler(
    async (event: HttpEvent) => {
      calls += 1;
      return respond(event, calls);
    },
    { store, clock: () => NOW, leaseSeconds: 30, logger: silent, ...options },
  );
  return { handler, store, calls: () => calls };
}

function problemOf(response: unknown): Record<string, unknown> {
  const r = response as { headers: Record<string, string>; body: string };
  expect(r.headers['Content-Type']).toBe(PROBLEM_CONTENT_TYPE);
  return JSON.parse(r.body) as Record<string, unknown>;
}

const kinds: [string, (spec: HttpRequestSpec) => HttpEvent][] = [
  ['REST API', (spec) => restApiEvent(spec)],
  ['HTTP API', (spec) => httpApiEvent(spec)],
  ['Function URL', (spec) => functionUrlEvent(spec)],
];

describe.each(kinds)('makeIdempotentHttpHandler with %s events', (_kind, event) => {
  const withKey = (spec: HttpRequestSpec = {}, key = KEY): HttpEvent =>
    event({ body: '{"sku":"A"}', ...spec, headers: { 'content-type': 'application/json', 'Idempotency-Key': key, ...spec.headers } });

  it('runs the handler once and replays its response to a retry, with Idempotent-Replayed: true', async () => {
    const { handler, calls } = setup();

    const first = await handler(withKey(), lambdaContext());
    const retry = await handler(withKey(), lambdaContext());

    expect(first).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"orderId":"order-1"}' });
    expect(retry).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
      body: '{"orderId":"order-1"}',
    });
    expect(calls()).toBe(1);
  });

  it('answers 400 problem+json to a POST without a key, without running the handler', async () => {
    const { handler, calls } = setup();

    const response = await handler(event({ method: 'POST', body: '{}' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 400, isBase64Encoded: false });
    expect(problemOf(response)).toEqual({
      type: `${DEFAULT_PROBLEM_TYPE_BASE}${HttpProblem.KeyMissing}`,
      title: 'Idempotency key missing',
      status: 400,
      detail:
        'POST /orders requires the Idempotency-Key header: send a unique value (a UUID, at most 255 characters) and send the same value again when you retry this request.',
    });
    expect(calls()).toBe(0);
  });

  it('answers 400 to a PATCH without a key', async () => {
    const { handler } = setup();
    expect(await handler(event({ method: 'PATCH', path: '/orders' }), lambdaContext())).toMatchObject({ statusCode: 400 });
  });

  it('runs a GET without a key unprotected, every time', async () => {
    const { handler, calls } = setup({}, () => ({ statusCode: 200, body: 'listed' }));

    await handler(event({ method: 'GET' }), lambdaContext());
    const second = await handler(event({ method: 'GET' }), lambdaContext());

    expect(second).toEqual({ statusCode: 200, body: 'listed' });
    expect(calls()).toBe(2);
  });

  it('protects a GET that carries a key', async () => {
    const { handler, calls } = setup({}, (_e, n) => ({ statusCode: 200, body: `report-${n}` }));

    await handler(withKey({ method: 'GET', body: null }), lambdaContext());
    const retry = await handler(withKey({ method: 'GET', body: null }), lambdaContext());

    expect(retry).toMatchObject({ statusCode: 200, body: 'report-1' });
    expect(calls()).toBe(1);
  });

  it('answers 400 naming the rule to an invalid key, on any method', async () => {
    const { handler, calls } = setup();

    const response = await handler(withKey({ method: 'GET' }, 'has space'), lambdaContext());

    expect(response).toMatchObject({ statusCode: 400 });
    expect(problemOf(response)).toEqual({
      type: `${DEFAULT_PROBLEM_TYPE_BASE}${HttpProblem.KeyInvalid}`,
      title: 'Idempotency key invalid',
      status: 400,
      detail:
        'The Idempotency-Key header must contain only visible ASCII characters other than double quote, comma and backslash, got " " at position 4.',
    });
    expect(calls()).toBe(0);
  });

  it('answers 422 to the same key with a different body, without running the handler', async () => {
    const { handler, calls } = setup();
    await handler(withKey({ body: '{"sku":"A"}' }), lambdaContext());

    const response = await handler(withKey({ body: '{"sku":"B"}' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 422 });
    expect(problemOf(response)).toEqual({
      type: `${DEFAULT_PROBLEM_TYPE_BASE}${HttpProblem.KeyReused}`,
      title: 'Idempotency key reused with a different request',
      status: 422,
      detail:
        'This Idempotency-Key was already used for a different POST /orders request. Use a new Idempotency-Key for a new request, or send the original request again to get its response.',
    });
    expect(calls()).toBe(1);
  });

  it('answers 409 with Retry-After (the lease left plus the clock-skew margin, in whole seconds) while the first request runs', async () => {
    const held = gate();
    const { handler } = setup({ leaseSeconds: 30 }, async () => {
      await held.pass();
      return { statusCode: 201, body: 'done' };
    });

    const first = handler(withKey(), lambdaContext());
    await held.entered;
    const retry = await handler(withKey(), lambdaContext());
    held.open();
    await first;

    expect(retry).toMatchObject({ statusCode: 409, headers: { 'Retry-After': '31' } });
    expect(problemOf(retry)).toEqual({
      type: `${DEFAULT_PROBLEM_TYPE_BASE}${HttpProblem.RequestInProgress}`,
      title: 'Request with this idempotency key still in progress',
      status: 409,
      detail: 'A request with this Idempotency-Key is still being processed. Retry after 31 seconds to get its response.',
    });
  });

  it("with onInProgress: 'wait', gives a retry the first request's response", async () => {
    const held = gate();
    const { store, claimRefused } = observeClaims(new InMemoryStore());
    const { handler, calls } = setup({ store, onInProgress: 'wait' }, async () => {
      await held.pass();
      return { statusCode: 201, body: 'first' };
    });

    const first = handler(withKey(), lambdaContext({ timeoutMs: 10_000 }));
    await held.entered;
    const retry = handler(withKey(), lambdaContext({ timeoutMs: 10_000 }));
    await claimRefused;
    held.open();

    expect(await first).toEqual({ statusCode: 201, body: 'first' });
    expect(await retry).toEqual({ statusCode: 201, body: 'first', headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(calls()).toBe(1);
  });

  it('stores a 4xx response and replays it', async () => {
    const { handler, calls } = setup({}, () => ({ statusCode: 404, body: 'no such cart' }));

    await handler(withKey(), lambdaContext());
    const retry = await handler(withKey(), lambdaContext());

    expect(retry).toMatchObject({ statusCode: 404, body: 'no such cart' });
    expect(calls()).toBe(1);
  });

  it('does not store a 5xx response: the retry runs the handler again', async () => {
    const { handler, calls } = setup({}, (_e, n) => (n === 1 ? { statusCode: 503, body: 'busy' } : { statusCode: 201, body: 'ok' }));

    const first = await handler(withKey(), lambdaContext());
    const retry = await handler(withKey(), lambdaContext());

    expect(first).toEqual({ statusCode: 503, body: 'busy' });
    expect(retry).toEqual({ statusCode: 201, body: 'ok' });
    expect(calls()).toBe(2);
  });

  it('rethrows an error of the handler and releases the key: the retry runs the handler again', async () => {
    const boom = new Error('payment provider timed out');
    const { handler, calls } = setup({}, (_e, n) => {
      if (n === 1) throw boom;
      return { statusCode: 201, body: 'ok' };
    });

    await expect(handler(withKey(), lambdaContext())).rejects.toBe(boom);
    const retry = await handler(withKey(), lambdaContext());

    expect(retry).toEqual({ statusCode: 201, body: 'ok' });
    expect(calls()).toBe(2);
  });

  it('runs the handler inside the execution, so downstreamKey() is the same on every attempt', async () => {
    const keys: string[] = [];
    const { handler } = setup({}, (_e, n) => {
      keys.push(downstreamKey('charge'));
      return n === 1 ? { statusCode: 500, body: 'failed' } : { statusCode: 201, body: 'ok' };
    });

    await handler(withKey(), lambdaContext());
    await handler(withKey(), lambdaContext());

    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('keeps two keys apart', async () => {
    const { handler, calls } = setup();

    const a = await handler(withKey({}, 'key-a'), lambdaContext());
    const b = await handler(withKey({}, 'key-b'), lambdaContext());

    expect(a).toMatchObject({ body: '{"orderId":"order-1"}' });
    expect(b).toMatchObject({ body: '{"orderId":"order-2"}' });
    expect(calls()).toBe(2);
  });
});

describe('makeIdempotentHttpHandler: results and options', () => {
  const post = (spec: HttpApiEventSpec = {}): APIGatewayProxyEventV2 =>
    httpApiEvent({ body: '{}', ...spec, headers: { 'idempotency-key': KEY, ...spec.headers } });

  it('stores an HTTP API result without statusCode (the gateway infers 200) and replays it as the structured response the gateway would send', async () => {
    const { handler, calls } = setup({}, () => ({ orderId: 'o-1' }));

    const first = await handler(post(), lambdaContext());
    const retry = await handler(post(), lambdaContext());

    expect(first).toEqual({ orderId: 'o-1' });
    expect(retry).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
      body: '{"orderId":"o-1"}',
      isBase64Encoded: false,
    });
    expect(calls()).toBe(1);
  });

  it('replays a plain string result of an HTTP API handler as its body', async () => {
    const { handler } = setup({}, () => 'created');
    await handler(post(), lambdaContext());
    expect(await handler(post(), lambdaContext())).toMatchObject({ statusCode: 200, body: 'created' });
  });

  it('does not store a REST result without statusCode (API Gateway answers 502 to it): throws IdempotencyConfigError and releases the key', async () => {
    const { handler, calls } = setup({}, () => ({ orderId: 'o-1' }));
    const event = (): APIGatewayProxyEvent => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': KEY } });

    await expect(handler(event(), lambdaContext())).rejects.toThrow(IdempotencyConfigError);
    await expect(handler(event(), lambdaContext())).rejects.toThrow(
      'The handler of POST /orders returned an object without statusCode, not a REST API proxy response (an object with a statusCode).',
    );

    expect(calls()).toBe(2);
  });

  it('replaces an Idempotent-Replayed header of the stored response, whatever its case', async () => {
    const { handler } = setup({}, () => ({
      statusCode: 201,
      headers: { 'idempotent-replayed': 'false' },
      multiValueHeaders: { 'IDEMPOTENT-REPLAYED': ['false'], 'set-cookie': ['a=1', 'b=2'] },
      body: 'ok',
    }));
    const event = (): APIGatewayProxyEvent => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': KEY } });

    await handler(event(), lambdaContext());
    const retry = await handler(event(), lambdaContext());

    expect(retry).toEqual({
      statusCode: 201,
      headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: 'ok',
    });
  });

  it('scopes keys by caller: the same key from two JWT subjects runs twice', async () => {
    const { handler, calls } = setup();

    const alice = await handler(post({ authorizer: jwtAuthorizer('alice') }), lambdaContext());
    const bob = await handler(post({ authorizer: jwtAuthorizer('bob') }), lambdaContext());
    const aliceRetry = await handler(post({ authorizer: jwtAuthorizer('alice') }), lambdaContext());

    expect(alice).toMatchObject({ body: '{"orderId":"order-1"}' });
    expect(bob).toMatchObject({ body: '{"orderId":"order-2"}' });
    expect(aliceRetry).toMatchObject({ body: '{"orderId":"order-1"}', headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(calls()).toBe(2);
  });

  it('scopes keys by route: the same key on two routes runs twice', async () => {
    const { handler, calls } = setup();

    await handler(post({ path: '/orders', routeKey: 'POST /orders' }), lambdaContext());
    await handler(post({ path: '/refunds', routeKey: 'POST /refunds' }), lambdaContext());

    expect(calls()).toBe(2);
  });

  it('scopes keys by method: the same key on POST and PATCH of one resource runs twice', async () => {
    const { handler, calls } = setup();
    const on = (method: string) =>
      restApiEvent({ method, resource: '/orders/{id}', path: '/orders/1', body: '{}', headers: { 'Idempotency-Key': KEY } });

    await handler(on('POST'), lambdaContext());
    const patch = await handler(on('PATCH'), lambdaContext());

    expect(patch).toMatchObject({ statusCode: 201, body: '{"orderId":"order-2"}' });
    expect(calls()).toBe(2);
  });

  it('uses the `scope` option as the caller identity', async () => {
    const { handler, calls } = setup({ scope: (event) => (event.headers?.['x-tenant'] as string) ?? 'none' });

    await handler(post({ headers: { 'x-tenant': 't1' } }), lambdaContext());
    await handler(post({ headers: { 'x-tenant': 't2' } }), lambdaContext());
    const retry = await handler(post({ headers: { 'x-tenant': 't1' } }), lambdaContext());

    expect(retry).toMatchObject({ body: '{"orderId":"order-1"}' });
    expect(calls()).toBe(2);
  });

  it('throws IdempotencyConfigError when `scope` returns an empty string', async () => {
    const { handler, calls } = setup({ scope: () => '' });

    const attempt = handler(post(), lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow('Expected the `scope` option to return a non-empty string, got ""');
    expect(calls()).toBe(0);
  });

  it('with fingerprint: false, replays a retry whose body differs', async () => {
    const { handler, calls } = setup({ fingerprint: false });

    await handler(post({ body: '{"a":1}' }), lambdaContext());
    const retry = await handler(post({ body: '{"a":2}' }), lambdaContext());

    expect(retry).toMatchObject({ statusCode: 201, headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(calls()).toBe(1);
  });

  it('takes a JMESPath fingerprint on the event', async () => {
    const { handler } = setup({ fingerprint: 'rawQueryString' });
    const withQuery = (rawQueryString: string, body: string): APIGatewayProxyEventV2 => ({ ...post({ body }), rawQueryString });

    await handler(withQuery('dryRun=false', '{"a":1}'), lambdaContext());
    const sameQuery = await handler(withQuery('dryRun=false', '{"a":2}'), lambdaContext());
    const otherQuery = await handler(withQuery('dryRun=true', '{"a":1}'), lambdaContext());

    expect(sameQuery).toMatchObject({ statusCode: 201 });
    expect(otherQuery).toMatchObject({ statusCode: 422 });
  });

  it('reads the key from the header named by `headerName`', async () => {
    const { handler, calls } = setup({ headerName: 'X-Request-Key' });

    await handler(httpApiEvent({ body: '{}', headers: { 'X-Request-Key': 'r1' } }), lambdaContext());
    const retry = await handler(httpApiEvent({ body: '{}', headers: { 'x-request-key': 'r1' } }), lambdaContext());
    const missing = await handler(httpApiEvent({ body: '{}', headers: { 'idempotency-key': 'r1' } }), lambdaContext());

    expect(retry).toMatchObject({ headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(missing).toMatchObject({ statusCode: 400 });
    expect(problemOf(missing)['detail']).toBe(
      'POST /orders requires the X-Request-Key header: send a unique value (a UUID, at most 255 characters) and send the same value again when you retry this request.',
    );
    expect(calls()).toBe(1);
  });

  it('requires a key on the methods of `requiredFor` (case-insensitive) and on no others', async () => {
    const { handler, calls } = setup({ requiredFor: ['put', 'DELETE'] });

    expect(await handler(httpApiEvent({ method: 'PUT', routeKey: 'PUT /orders/{id}' }), lambdaContext())).toMatchObject({
      statusCode: 400,
    });
    expect(await handler(httpApiEvent({ method: 'DELETE' }), lambdaContext())).toMatchObject({ statusCode: 400 });
    expect(await handler(httpApiEvent({ method: 'POST', body: '{}' }), lambdaContext())).toMatchObject({ statusCode: 201 });
    expect(calls()).toBe(1);
  });

  it('prefixes problem types with `problemTypeBase`', async () => {
    const { handler } = setup({ problemTypeBase: 'https://api.example.com/docs/errors#' });
    const response = await handler(httpApiEvent({ body: '{}' }), lambdaContext());
    expect(problemOf(response)['type']).toBe('https://api.example.com/docs/errors#idempotency-key-missing');
  });

  it('answers 409 with Retry-After of at least 1 second when the lease (and its clock-skew margin) has under a second left', async () => {
    let now = NOW;
    const held = gate();
    const { handler } = setup({ clock: () => now, leaseSeconds: 30 }, async () => {
      await held.pass();
      return { statusCode: 201, body: 'done' };
    });

    const first = handler(post(), lambdaContext());
    await held.entered;
    now = NOW + 30_999.5;
    const retry = await handler(post(), lambdaContext());
    held.open();
    await first;

    expect(retry).toMatchObject({ statusCode: 409, headers: { 'Retry-After': '1' } });
  });

  it('forgets a key after expiresAfterSeconds: the same request then runs again', async () => {
    let now = NOW;
    const { handler, calls } = setup({ clock: () => now, expiresAfterSeconds: 60 });

    await handler(post(), lambdaContext());
    now = NOW + 59_000;
    expect(await handler(post(), lambdaContext())).toMatchObject({ headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    now = NOW + 61_000;
    expect(await handler(post(), lambdaContext())).toMatchObject({ body: '{"orderId":"order-2"}' });
    expect(calls()).toBe(2);
  });
});
