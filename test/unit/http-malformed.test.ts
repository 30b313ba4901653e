/**
 * makeIdempotentHttpHandler against what API Gateway and Function URLs never send: events with a field of
 * the wrong type or missing (built by hand, a test harness, a direct invocation), and handler results the
 * gateway cannot send as a response. Every refusal is a typed error naming what is wrong; none is a raw
 * TypeError, none runs the handler on a guessed key, and none stores a response the gateway would refuse.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import { IDEMPOTENT_REPLAYED_HEADER, makeIdempotentHttpHandler, type HttpEvent, type IdempotentHttpOptions } from '../../lib/http';
import { InMemoryStore } from '../../lib/persistence/memory';
import { functionUrlEvent, httpApiEvent, lambdaContext, restApiEvent } from '../helpers/http-events';

const NOW = Date.UTC(2025, 0, 1);
const KEY = '8e03978e-40d5-43e8-bc93-6894a57f9324';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function setup(
  respond: (event: HttpEvent, calls: number) => unknown = (_e, n) => ({ statusCode: 201, body: `order-${n}` }),
  options: Partial<IdempotentHttpOptions> = {},
) {
  let calls = 0;
  const handler = makeIdempotentHttpHandler(
    async (event: HttpEvent) => {
      calls += 1;
      return respond(event, calls) as APIGatewayProxyResult;
    },
    { store: new InMemoryStore(), clock: () => NOW, leaseSeconds: 30, logger: silent, ...options },
  );
  return { handler, calls: () => calls };
}

/** A REST event with members replaced (`undefined` removes one), as a malformed event would carry them. */
function restWith(event: APIGatewayProxyEvent, changes: Record<string, unknown>): APIGatewayProxyEvent {
  return withMembers(event, changes);
}

/** An HTTP API event with members replaced (`undefined` removes one). */
function httpWith(event: APIGatewayProxyEventV2, changes: Record<string, unknown>): APIGatewayProxyEventV2 {
  return withMembers(event, changes);
}

function withMembers<T extends object>(event: T, changes: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...(event as unknown as Record<string, unknown>) };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete copy[name];
    else copy[name] = value;
  }
  return copy as unknown as T;
}

/** A REST event without `resource` and without `requestContext.resourcePath`: only the path tells the route. */
function restWithoutTemplate(spec: Parameters<typeof restApiEvent>[0]): APIGatewayProxyEvent {
  const event = restApiEvent(spec);
  const requestContext: Record<string, unknown> = { ...event.requestContext };
  delete requestContext['resourcePath'];
  return restWith(event, { resource: undefined, requestContext });
}

describe('makeIdempotentHttpHandler: a key header that is not a string', () => {
  it('refuses a numeric Idempotency-Key header with IdempotencyConfigError, without running the handler', async () => {
    const { handler, calls } = setup();
    const event = restWith(restApiEvent({ body: '{}' }), { headers: { 'Idempotency-Key': 123 }, multiValueHeaders: null });

    const attempt = handler(event, lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow(
      'makeIdempotentHttpHandler received a malformed event: the key header `headers["Idempotency-Key"]` is 123, but the gateway always sends header values as strings. API Gateway and Function URLs never send such an event (was it built by hand, or changed on the way?); the request is refused rather than let different requests share an idempotency key',
    );
    expect(calls()).toBe(0);
  });

  it('refuses a numeric value in multiValueHeaders with IdempotencyConfigError', async () => {
    const { handler, calls } = setup();
    const event = restWith(restApiEvent({ body: '{}' }), { multiValueHeaders: { 'Idempotency-Key': [123] } });

    const attempt = handler(event, lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow(
      'the key header `multiValueHeaders["Idempotency-Key"][0]` is 123, but the gateway always sends header values as strings',
    );
    expect(calls()).toBe(0);
  });

  it('refuses a numeric key header of an HTTP API event, on a method that does not require a key', async () => {
    const { handler, calls } = setup();
    const event = httpWith(httpApiEvent({ method: 'GET' }), { headers: { 'idempotency-key': 42 } });

    await expect(handler(event, lambdaContext())).rejects.toThrow('the key header `headers["idempotency-key"]` is 42');
    expect(calls()).toBe(0);
  });
});

describe('makeIdempotentHttpHandler: REST events without a resource template', () => {
  it('scopes the key to the requested path: the same key on two paths runs twice, without 422', async () => {
    const { handler, calls } = setup();
    const on = (path: string) => restWithoutTemplate({ path, body: '{}', headers: { 'Idempotency-Key': KEY } });

    const orders = await handler(on('/orders'), lambdaContext());
    const refunds = await handler(on('/refunds'), lambdaContext());

    expect(orders).toEqual({ statusCode: 201, body: 'order-1' });
    expect(refunds).toEqual({ statusCode: 201, body: 'order-2' });
    expect(calls()).toBe(2);
  });

  it('names the path as the route in the 400 answer to a POST without a key', async () => {
    const { handler } = setup();

    const response = await handler(restWithoutTemplate({ path: '/orders', body: '{}' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({
      detail: expect.stringMatching(/^POST \/orders requires the Idempotency-Key header/),
    });
  });

  it('refuses an event with no resource, no requestContext.resourcePath and no path with IdempotencyConfigError, without running the handler', async () => {
    const { handler, calls } = setup();
    const event = restWith(restWithoutTemplate({ body: '{}', headers: { 'Idempotency-Key': KEY } }), { path: undefined });

    const attempt = handler(event, lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow(
      'makeIdempotentHttpHandler received a malformed event: a REST API event has no `resource`, no `requestContext.resourcePath` and no `path` (missing), so the adapter cannot tell which route POST is for.',
    );
    expect(calls()).toBe(0);
  });
});

describe('makeIdempotentHttpHandler: a body that is not a string', () => {
  it('refuses a numeric body with IdempotencyConfigError, without running the handler', async () => {
    const { handler, calls } = setup();
    const event = httpWith(httpApiEvent({ headers: { 'idempotency-key': KEY } }), { body: 5 });

    const attempt = handler(event, lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow(
      'makeIdempotentHttpHandler received a malformed event: `body` is 5, but the gateway always sends the body as a string (base64 when `isBase64Encoded`) or none.',
    );
    expect(calls()).toBe(0);
  });

  it('refuses an array body (which Buffer.from would read as bytes) with IdempotencyConfigError', async () => {
    const { handler } = setup();
    const event = restWith(restApiEvent({ headers: { 'Idempotency-Key': KEY } }), { body: [123, 125] });

    await expect(handler(event, lambdaContext())).rejects.toThrow('`body` is an array, but the gateway always sends the body as a string');
  });

  it('refuses an isBase64Encoded that is not a boolean with IdempotencyConfigError', async () => {
    const { handler } = setup();
    const event = restWith(restApiEvent({ body: 'e30=', headers: { 'Idempotency-Key': KEY } }), { isBase64Encoded: 'true' });

    await expect(handler(event, lambdaContext())).rejects.toThrow(
      '`isBase64Encoded` is "true", but the gateway always sends true or false',
    );
  });

  it.each(['!!!', 'YWJj$$$$', 'YWJ', 'YW=j'])(
    'refuses a body %p with isBase64Encoded: true, which is not base64, instead of replaying another request',
    async (body) => {
      const { handler, calls } = setup();
      const valid = restWith(restApiEvent({ body: '', headers: { 'Idempotency-Key': KEY } }), { isBase64Encoded: true });
      await handler(valid, lambdaContext());
      const event = restWith(restApiEvent({ headers: { 'Idempotency-Key': KEY } }), { body, isBase64Encoded: true });

      const error = await handler(event, lambdaContext()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(IdempotencyConfigError);
      expect((error as Error).message).toContain(
        `\`body\` is ${JSON.stringify(body)} with \`isBase64Encoded: true\`, but it is not base64, which the gateway always sends then`,
      );
      expect(calls()).toBe(1);
    },
  );

  it('accepts a base64 body with its padding', async () => {
    const { handler } = setup();
    const event = restWith(restApiEvent({ headers: { 'Idempotency-Key': KEY } }), { body: 'YWJjZA==', isBase64Encoded: true });
    await expect(handler(event, lambdaContext())).resolves.toMatchObject({ statusCode: 201 });
  });
});

describe('makeIdempotentHttpHandler: a result without a valid status is not stored', () => {
  const rest = (): APIGatewayProxyEvent => restApiEvent({ body: '{}', headers: { 'Idempotency-Key': KEY } });
  const http = (): APIGatewayProxyEventV2 => httpApiEvent({ body: '{}', headers: { 'idempotency-key': KEY } });

  it('throws IdempotencyConfigError naming a statusCode of null', async () => {
    const { handler } = setup(() => ({ statusCode: null, body: 'created' }));

    const attempt = handler(rest(), lambdaContext());

    await expect(attempt).rejects.toThrow(IdempotencyConfigError);
    await expect(attempt).rejects.toThrow(
      'The handler of POST /orders returned a statusCode of null, not an HTTP status (an integer from 100 to 599). Nothing was stored and the Idempotency-Key was released, so a retry runs the handler again. Return { statusCode, body } with an integer statusCode from 100 to 599 and a string body',
    );
  });

  it('releases the key: a retry after a statusCode of null runs the handler again and its response is stored', async () => {
    const { handler, calls } = setup((_e, n) => (n === 1 ? { statusCode: null, body: 'created' } : { statusCode: 201, body: 'created' }));

    await expect(handler(rest(), lambdaContext())).rejects.toThrow(IdempotencyConfigError);
    const retry = await handler(rest(), lambdaContext());
    const replay = await handler(rest(), lambdaContext());

    expect(retry).toEqual({ statusCode: 201, body: 'created' });
    expect(replay).toEqual({ statusCode: 201, body: 'created', headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(calls()).toBe(2);
  });

  it.each([
    ['a fraction', 201.5, '201.5'],
    ['below 100', 99, '99'],
    ['above 599', 600, '600'],
    ['NaN', Number.NaN, 'NaN'],
    ['a string that is not a status', '201 Created', '"201 Created"'],
    ['a boolean', true, 'true'],
    ['an object', { code: 201 }, 'an object ([object Object])'],
  ])('refuses a statusCode that is %s, naming it', async (_what, statusCode, named) => {
    const { handler } = setup(() => ({ statusCode, body: 'created' }));

    await expect(handler(rest(), lambdaContext())).rejects.toThrow(
      `The handler of POST /orders returned a statusCode of ${named}, not an HTTP status`,
    );
  });

  it('refuses a statusCode of null from an HTTP API handler too (a result with statusCode is not one the gateway infers)', async () => {
    const { handler, calls } = setup(() => ({ statusCode: null, body: 'created' }));

    await expect(handler(http(), lambdaContext())).rejects.toThrow('The handler of POST /orders returned a statusCode of null');
    await expect(handler(http(), lambdaContext())).rejects.toThrow(IdempotencyConfigError);
    expect(calls()).toBe(2);
  });

  it('refuses a body that is not a string (API Gateway answers it with 502), naming it', async () => {
    const { handler } = setup(() => ({ statusCode: 201, body: { orderId: 'o-1' } }));

    await expect(handler(rest(), lambdaContext())).rejects.toThrow(
      'The handler of POST /orders returned a body that is an object ([object Object]), not a string (JSON.stringify it)',
    );
  });

  it('refuses a REST result that is a plain string', async () => {
    const { handler } = setup(() => 'created');

    await expect(handler(rest(), lambdaContext())).rejects.toThrow(
      'The handler of POST /orders returned a string, not a REST API proxy response (an object with a statusCode)',
    );
  });

  it('refuses a REST status sent as a string ("200"), which API Gateway answers with 502: nothing is stored, the retry runs again', async () => {
    const { handler, calls } = setup(() => ({ statusCode: '200', body: 'created' }));

    const first = await handler(rest(), lambdaContext()).catch((error: unknown) => error);
    const second = await handler(rest(), lambdaContext()).catch((error: unknown) => error);

    expect(first).toBeInstanceOf(IdempotencyConfigError);
    expect((first as Error).message).toMatch(
      /^The handler of POST \/orders returned a statusCode of "200", a string, not the integer a REST API needs \(API Gateway answers it with 502 "Malformed Lambda proxy response"\)\. Nothing was stored/,
    );
    expect(second).toBeInstanceOf(IdempotencyConfigError);
    expect(calls()).toBe(2);
  });

  it('stores and replays an HTTP API status sent as a decimal string ("201")', async () => {
    const { handler, calls } = setup(() => ({ statusCode: '201', body: 'created' }));
    const event = (): APIGatewayProxyEventV2 =>
      httpApiEvent({ method: 'POST', path: '/orders', body: '{}', headers: { 'Idempotency-Key': KEY } });

    await handler(event(), lambdaContext());
    const replay = await handler(event(), lambdaContext());

    expect(replay).toEqual({ statusCode: '201', body: 'created', headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } });
    expect(calls()).toBe(1);
  });

  it('releases a 5xx sent as a decimal string ("503"): the retry runs again', async () => {
    const { handler, calls } = setup((_e, n) => (n === 1 ? { statusCode: '503', body: 'busy' } : { statusCode: 201, body: 'ok' }));

    expect(await handler(functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': KEY } }), lambdaContext())).toEqual({
      statusCode: '503',
      body: 'busy',
    });
    expect(await handler(functionUrlEvent({ body: '{}', headers: { 'Idempotency-Key': KEY } }), lambdaContext())).toEqual({
      statusCode: 201,
      body: 'ok',
    });
    expect(calls()).toBe(2);
  });

  it('returns an invalid result of a request without a key unchanged (nothing is stored, so nothing is checked)', async () => {
    const { handler } = setup(() => ({ statusCode: null, body: 'listed' }));

    expect(await handler(restApiEvent({ method: 'GET' }), lambdaContext())).toEqual({ statusCode: null, body: 'listed' });
  });
});
