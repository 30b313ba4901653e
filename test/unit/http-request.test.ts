import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import { ANONYMOUS_SCOPE, httpScope, httpFingerprint } from '../../lib/http';
import { describeRequest } from '../../lib/http/request';
import {
  cognitoAuthorizer,
  functionUrlEvent,
  httpApiEvent,
  httpLambdaAuthorizer,
  iamAuthorizer,
  jwtAuthorizer,
  restApiEvent,
  restLambdaAuthorizer,
} from '../helpers/http-events';

/** The event with members replaced (`undefined` removes one), as a malformed event would carry them. */
function withMembers<T extends object>(event: T, changes: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...(event as unknown as Record<string, unknown>) };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete copy[name];
    else copy[name] = value;
  }
  return copy as unknown as T;
}
const restWith = (event: APIGatewayProxyEvent, changes: Record<string, unknown>): APIGatewayProxyEvent => withMembers(event, changes);
const httpWith = (event: APIGatewayProxyEventV2, changes: Record<string, unknown>): APIGatewayProxyEventV2 => withMembers(event, changes);

/** A REST event without `resource` and `requestContext.resourcePath`. */
function restWithoutTemplate(event: APIGatewayProxyEvent): APIGatewayProxyEvent {
  return restWith(event, { resource: undefined, requestContext: withMembers(event.requestContext, { resourcePath: undefined }) });
}

describe('describeRequest: the route a key is scoped to', () => {
  it('REST: the method and the resource template', () => {
    const event = restApiEvent({ method: 'patch', path: '/orders/42', resource: '/orders/{id}' });
    expect(describeRequest(event)).toEqual({ kind: 'rest', method: 'PATCH', path: '/orders/42', route: 'PATCH /orders/{id}' });
  });

  it('HTTP API: the route key', () => {
    const event = httpApiEvent({ method: 'POST', path: '/orders/42', routeKey: 'POST /orders/{id}' });
    expect(describeRequest(event)).toEqual({ kind: 'http', method: 'POST', path: '/orders/42', route: 'POST /orders/{id}' });
  });

  it('HTTP API: an ANY route gets the actual method', () => {
    const event = httpApiEvent({ method: 'PATCH', path: '/orders/42', routeKey: 'ANY /orders/{id}' });
    expect(describeRequest(event).route).toBe('PATCH /orders/{id}');
  });

  it('HTTP API: the $default route uses the raw path', () => {
    const event = httpApiEvent({ method: 'POST', path: '/carts/7/checkout', routeKey: '$default' });
    expect(describeRequest(event).route).toBe('POST /carts/7/checkout');
  });

  it('Function URL: the method and the raw path', () => {
    const event = functionUrlEvent({ method: 'POST', path: '/my/path' });
    expect(event.routeKey).toBe('$default');
    expect(describeRequest(event)).toEqual({ kind: 'http', method: 'POST', path: '/my/path', route: 'POST /my/path' });
  });

  it('HTTP API: a route key that is not `METHOD /path` uses the raw path, as $default does', () => {
    const event = httpApiEvent({ method: 'POST', path: '/carts/7', routeKey: 'POST' });
    expect(describeRequest(event).route).toBe('POST /carts/7');
  });

  it('REST without `resource`: the route is requestContext.resourcePath (the same template)', () => {
    const event = restWith(restApiEvent({ method: 'POST', path: '/orders/42', resource: '/orders/{id}' }), { resource: undefined });
    expect(describeRequest(event)).toEqual({ kind: 'rest', method: 'POST', path: '/orders/42', route: 'POST /orders/{id}' });
  });

  it('REST without `resource` and requestContext.resourcePath: the route is the requested path', () => {
    const event = restWithoutTemplate(restApiEvent({ method: 'POST', path: '/orders/42', resource: '/orders/{id}' }));
    expect(describeRequest(event)).toEqual({ kind: 'rest', method: 'POST', path: '/orders/42', route: 'POST /orders/42' });
  });

  it('REST with an empty or non-string `resource`: falls back the same way, never to "undefined" or ""', () => {
    const empty = restWith(restWithoutTemplate(restApiEvent({ path: '/orders' })), { resource: '' });
    const numeric = restWith(restWithoutTemplate(restApiEvent({ path: '/orders' })), { resource: 7 });
    expect(describeRequest(empty).route).toBe('POST /orders');
    expect(describeRequest(numeric).route).toBe('POST /orders');
  });

  it('refuses a REST event with no resource, no requestContext.resourcePath and no path with IdempotencyConfigError', () => {
    const attempt = (): unknown => describeRequest(restWith(restWithoutTemplate(restApiEvent()), { path: undefined }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      'makeIdempotentHttpHandler received a malformed event: a REST API event has no `resource`, no `requestContext.resourcePath` and no `path` (missing), so the adapter cannot tell which route POST is for. API Gateway and Function URLs never send such an event (was it built by hand, or changed on the way?); the request is refused rather than let different requests share an idempotency key',
    );
  });

  it('refuses a REST event with a resource but no path (the path tells requests on one route apart)', () => {
    const attempt = (): unknown => describeRequest(restWith(restApiEvent({ resource: '/orders/{id}', path: '/orders/1' }), { path: null }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      'a REST API event for POST /orders/{id} has no `path` (got null), so the adapter cannot tell one request on this route from another',
    );
  });

  it('refuses an HTTP API event with an empty rawPath', () => {
    const attempt = (): unknown => describeRequest(httpWith(httpApiEvent({ routeKey: '$default' }), { rawPath: '' }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      '`rawPath` is empty (the gateway always sends the requested path, at least "/"), so the adapter can tell neither the route nor the request',
    );
  });

  it('refuses an empty method as not an HTTP event', () => {
    expect(() => describeRequest(restWith(restApiEvent(), { httpMethod: '' }))).toThrow(IdempotencyConfigError);
  });

  it('refuses a body that is not a string with IdempotencyConfigError', () => {
    const attempt = (): unknown => describeRequest(restWith(restApiEvent(), { body: { sku: 'A' } }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      '`body` is an object ([object Object]), but the gateway always sends the body as a string (base64 when `isBase64Encoded`) or none',
    );
  });

  it('refuses an event of another kind with IdempotencyConfigError naming its fields', () => {
    const attempt = (): unknown => describeRequest({ Records: [] });
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      'makeIdempotentHttpHandler received an event that is neither an API Gateway proxy event (REST or HTTP API) nor a Function URL event (no `httpMethod`, no `requestContext.http.method`; top-level fields: Records). Wire the handler to API Gateway with a proxy integration or to a Function URL',
    );
  });
});

describe('httpScope: the caller identity a key is scoped to', () => {
  it('REST without an authorizer (authorizer members null, as AWS sends them): anonymous', () => {
    expect(restApiEvent().requestContext.authorizer).toEqual({ claims: null, scopes: null });
    expect(httpScope(restApiEvent())).toBe(ANONYMOUS_SCOPE);
  });

  it('REST with a Lambda authorizer: its principalId', () => {
    expect(httpScope(restApiEvent({ authorizer: restLambdaAuthorizer('user|42', { tenant: 't1' }) }))).toBe('principal:user|42');
  });

  it('REST with a Cognito authorizer: claims.sub', () => {
    expect(httpScope(restApiEvent({ authorizer: cognitoAuthorizer('3f1c-sub') }))).toBe('sub:3f1c-sub');
  });

  it('REST under IAM authorization: identity.userArn', () => {
    const userArn = 'arn:aws:iam::123456789012:user/alice';
    expect(httpScope(restApiEvent({ authorizer: null, identity: { userArn } }))).toBe(`iam:${userArn}`);
  });

  it('HTTP API with a JWT authorizer: claims.sub', () => {
    expect(httpScope(httpApiEvent({ authorizer: jwtAuthorizer('alice') }))).toBe('sub:alice');
  });

  it('HTTP API with a Lambda authorizer: its principalId member', () => {
    expect(httpScope(httpApiEvent({ authorizer: httpLambdaAuthorizer({ principalId: 'bob', role: 'admin' }) }))).toBe('lambda:bob');
  });

  it('HTTP API with a Lambda authorizer without principalId: a hash of its whole context (key order ignored)', () => {
    const a = httpScope(httpApiEvent({ authorizer: httpLambdaAuthorizer({ userId: 'u1', tenant: 't1' }) }));
    const b = httpScope(httpApiEvent({ authorizer: httpLambdaAuthorizer({ tenant: 't1', userId: 'u1' }) }));
    const c = httpScope(httpApiEvent({ authorizer: httpLambdaAuthorizer({ tenant: 't1', userId: 'u2' }) }));
    expect(a).toMatch(/^lambda:[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('HTTP API under IAM authorization: iam.userArn', () => {
    expect(httpScope(httpApiEvent({ authorizer: iamAuthorizer('arn:aws:iam::123456789012:user/carol') }))).toBe(
      'iam:arn:aws:iam::123456789012:user/carol',
    );
  });

  it('Function URL with AWS_IAM auth: iam.userArn', () => {
    expect(httpScope(functionUrlEvent({ authorizer: iamAuthorizer() }))).toBe('iam:arn:aws:iam::123456789012:user/example-user');
  });

  it('HTTP API and Function URL without an authorizer: anonymous', () => {
    expect(httpScope(httpApiEvent())).toBe(ANONYMOUS_SCOPE);
    expect(httpScope(functionUrlEvent())).toBe(ANONYMOUS_SCOPE);
  });

  it('fails closed when an authorizer ran but yields no identity it knows (JWT without sub)', () => {
    const event = httpApiEvent({ authorizer: { jwt: { claims: { client_id: 'svc' }, scopes: null } } });
    const attempt = (): unknown => httpScope(event);
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      "makeIdempotentHttpHandler could not tell who the caller is: the request has an authorizer context (members: jwt) but none of the identities the default scope reads (requestContext.authorizer.jwt.claims.sub, requestContext.authorizer.lambda, requestContext.authorizer.iam.userArn). Pass a `scope` option that returns the caller's identity",
    );
  });

  it('refuses something that is not an HTTP event with IdempotencyConfigError, not a TypeError', () => {
    const attempt = (): unknown => httpScope(null as never);
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('makeIdempotentHttpHandler received an event that is neither an API Gateway proxy event');
  });

  it('fails closed for a REST authorizer context without principalId or claims.sub', () => {
    const attempt = (): unknown => httpScope(restApiEvent({ authorizer: { apiKeyOwner: 'x' } }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('the request has an authorizer context (members: apiKeyOwner) but none of the identities');
  });
});

describe('httpFingerprint: what must match on a retry', () => {
  it('is method, path and the SHA-256 of the body', () => {
    expect(httpFingerprint(restApiEvent({ method: 'POST', path: '/orders', body: 'abc' }))).toEqual({
      method: 'POST',
      path: '/orders',
      bodySha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('decodes base64 bodies first: the same bytes sent as text or base64 give the same fingerprint', () => {
    const text = httpFingerprint(httpApiEvent({ body: '{"sku":"A"}' }));
    const base64 = httpFingerprint(httpApiEvent({ body: Buffer.from('{"sku":"A"}') }));
    expect(base64).toEqual(text);
  });

  it('differs for a different body, path or method', () => {
    const base = httpFingerprint(functionUrlEvent({ method: 'POST', path: '/a', body: Buffer.from([0, 1, 2]) }));
    expect(httpFingerprint(functionUrlEvent({ method: 'POST', path: '/a', body: Buffer.from([0, 1, 3]) }))).not.toEqual(base);
    expect(httpFingerprint(functionUrlEvent({ method: 'POST', path: '/b', body: Buffer.from([0, 1, 2]) }))).not.toEqual(base);
    expect(httpFingerprint(functionUrlEvent({ method: 'PUT', path: '/a', body: Buffer.from([0, 1, 2]) }))).not.toEqual(base);
  });

  it('refuses a numeric body with IdempotencyConfigError, not a TypeError from Buffer.from', () => {
    const attempt = (): unknown => httpFingerprint(httpWith(httpApiEvent(), { body: 5 }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('`body` is 5, but the gateway always sends the body as a string');
  });

  it('refuses an isBase64Encoded that is not a boolean (the string "false" would decode the body as base64)', () => {
    const attempt = (): unknown => httpFingerprint(restWith(restApiEvent({ body: 'abc' }), { isBase64Encoded: 'false' }));
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('`isBase64Encoded` is "false", but the gateway always sends true or false');
  });

  it('treats a missing body as an empty one', () => {
    expect(httpFingerprint(restApiEvent({ body: null })).bodySha256).toBe(httpFingerprint(restApiEvent({ body: '' })).bodySha256);
  });
});
