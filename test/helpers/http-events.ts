/**
 * Factories for HTTP events exactly as Lambda receives them, modelled on AWS's documented examples:
 * - REST API proxy events (payload format 1.0):
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * - HTTP API events (payload format 2.0):
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * - Function URL events: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 *
 *   restApiEvent({ method: 'POST', resource: '/orders', headers: { 'Idempotency-Key': 'k-1' }, body: '{"sku":"A"}' })
 *   httpApiEvent({ routeKey: 'POST /orders', authorizer: jwtAuthorizer('user-1') })
 *   functionUrlEvent({ body: Buffer.from([0, 1, 2]) })   // binary: base64 with isBase64Encoded: true
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayEventIdentity,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayEventRequestContextV2,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import type { IdempotencyStore } from '../../lib/persistence/store';

export { createLambdaContext as lambdaContext } from '../../lib/testing';

/** Account of the events built here (AWS's example). */
export const EXAMPLE_ACCOUNT_ID = '123456789012';
/** `requestTimeEpoch` / `timeEpoch` of the events built here (AWS's example). */
export const EXAMPLE_TIME_EPOCH = 1583349317135;
/** Source IP of the events built here (a documentation address). */
export const EXAMPLE_SOURCE_IP = '192.0.2.1';

/** What every factory takes. */
export interface HttpRequestSpec {
  /** @default 'POST' */
  readonly method?: string;
  /** The requested path. @default '/orders' */
  readonly path?: string;
  /**
   * Request headers. REST events keep the names as given; HTTP API and Function URL events lower-case
   * them, as the services do. @default { 'content-type': 'application/json' }
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as text; a Buffer as base64 with `isBase64Encoded: true`. @default null (no body) */
  readonly body?: string | Buffer | null;
}

const DEFAULT_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

function encodeBody(body: string | Buffer | null | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (body === null || body === undefined) return { body: null, isBase64Encoded: false };
  return Buffer.isBuffer(body) ? { body: body.toString('base64'), isBase64Encoded: true } : { body, isBase64Encoded: false };
}

/** Options of {@link restApiEvent}. */
export interface RestApiEventSpec extends HttpRequestSpec {
  /** The resource template. @default the path */
  readonly resource?: string;
  /**
   * Every value of every header (a header sent twice has two). `headers` then holds each header's last
   * value, as API Gateway does. @default one value per entry of `headers`
   */
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[]>>;
  /** `requestContext.authorizer`. @default { claims: null, scopes: null } (no authorizer ran, as in AWS's example) */
  readonly authorizer?: Record<string, unknown> | null;
  /** Fields of `requestContext.identity` (e.g. `userArn` under IAM authorization). */
  readonly identity?: Partial<APIGatewayEventIdentity>;
}

/** A REST API (payload format 1.0) Lambda proxy integration event. */
export function restApiEvent(spec: RestApiEventSpec = {}): APIGatewayProxyEvent {
  const method = spec.method ?? 'POST';
  const path = spec.path ?? '/orders';
  const resource = spec.resource ?? path;
  const multiValueHeaders: Record<string, string[]> = spec.multiValueHeaders
    ? Object.fromEntries(Object.entries(spec.multiValueHeaders).map(([name, values]) => [name, [...values]]))
    : Object.fromEntries(Object.entries(spec.headers ?? DEFAULT_HEADERS).map(([name, value]) => [name, [value]]));
  const headers = Object.fromEntries(
    Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]]),
  ) as Record<string, string>;
  const requestId = randomUUID();
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    requestContext: {
      accountId: EXAMPLE_ACCOUNT_ID,
      apiId: 'id',
      authorizer: spec.authorizer === undefined ? { claims: null, scopes: null } : spec.authorizer,
      domainName: 'id.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'id',
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: EXAMPLE_SOURCE_IP,
        user: null,
        userAgent: 'user-agent',
        userArn: null,
        ...spec.identity,
      },
      path,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: '04/Mar/2020:19:15:17 +0000',
      requestTimeEpoch: EXAMPLE_TIME_EPOCH,
      resourceId: 'resource-id',
      resourcePath: resource,
      stage: '$default',
    },
    pathParameters: null,
    stageVariables: null,
    ...encodeBody(spec.body),
  };
}

/** A REST Lambda authorizer's context: `principalId` plus the context it returned (values as strings). */
export function restLambdaAuthorizer(principalId: string, context: Record<string, string> = {}): Record<string, unknown> {
  return { principalId, integrationLatency: 12, ...context };
}

/** A REST Cognito user pool authorizer's context (claims as strings). */
export function cognitoAuthorizer(sub: string, claims: Record<string, string> = {}): Record<string, unknown> {
  return { claims: { sub, 'cognito:username': sub, token_use: 'id', ...claims } };
}

/** Authorizer of an HTTP API (payload 2.0) event. */
export type HttpApiAuthorizer =
  | { readonly jwt: { readonly claims: Record<string, string | number | boolean | string[]>; readonly scopes: string[] | null } }
  | { readonly lambda: unknown }
  | { readonly iam: Record<string, unknown> };

/** An HTTP API JWT authorizer's context. */
export function jwtAuthorizer(sub: string, claims: Record<string, string | number | boolean | string[]> = {}): HttpApiAuthorizer {
  return { jwt: { claims: { sub, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example', ...claims }, scopes: null } };
}

/** An HTTP API Lambda authorizer's context (what the authorizer returned as `context`). */
export function httpLambdaAuthorizer(context: unknown): HttpApiAuthorizer {
  return { lambda: context };
}

/** The IAM caller of an HTTP API or Function URL with `AWS_IAM` authorization (AWS's example values). */
export function iamAuthorizer(userArn = `arn:aws:iam::${EXAMPLE_ACCOUNT_ID}:user/example-user`): HttpApiAuthorizer {
  return {
    iam: {
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      accountId: EXAMPLE_ACCOUNT_ID,
      callerId: 'AIDACKCEVSQ6C2EXAMPLE',
      cognitoIdentity: null,
      principalOrgId: null,
      userArn,
      userId: 'AIDACKCEVSQ6C2EXAMPLE',
    },
  };
}

/** Options of {@link httpApiEvent}. */
export interface HttpApiEventSpec extends HttpRequestSpec {
  /** @default `${method} ${path}` */
  readonly routeKey?: string;
  /** `requestContext.authorizer`. @default none (no authorizer on the route) */
  readonly authorizer?: HttpApiAuthorizer;
}

type V2Event = APIGatewayProxyEventV2WithRequestContext<APIGatewayEventRequestContextV2 & { authorizer?: HttpApiAuthorizer }>;

function v2Event(
  spec: HttpRequestSpec,
  routeKey: string,
  domainName: string,
  apiId: string,
  authorizer: HttpApiAuthorizer | undefined,
): V2Event {
  const method = spec.method ?? 'POST';
  const path = spec.path ?? '/orders';
  const { body, isBase64Encoded } = encodeBody(spec.body);
  const headers = Object.fromEntries(Object.entries(spec.headers ?? DEFAULT_HEADERS).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: EXAMPLE_ACCOUNT_ID,
      apiId,
      ...(authorizer === undefined ? {} : { authorizer }),
      domainName,
      domainPrefix: apiId,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: EXAMPLE_SOURCE_IP, userAgent: 'agent' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: EXAMPLE_TIME_EPOCH,
    },
    ...(body === null ? {} : { body }),
    isBase64Encoded,
  };
}

/** An HTTP API (payload format 2.0) event. */
export function httpApiEvent(spec: HttpApiEventSpec = {}): APIGatewayProxyEventV2 {
  const routeKey = spec.routeKey ?? `${spec.method ?? 'POST'} ${spec.path ?? '/orders'}`;
  return v2Event(spec, routeKey, 'id.execute-api.us-east-1.amazonaws.com', 'api-id', spec.authorizer);
}

/** Options of {@link functionUrlEvent}. */
export interface FunctionUrlEventSpec extends HttpRequestSpec {
  /** The caller, with `AWS_IAM` auth (see {@link iamAuthorizer}). @default none (auth type NONE) */
  readonly authorizer?: HttpApiAuthorizer;
}

/** A Lambda Function URL event (route key always `$default`). */
export function functionUrlEvent(spec: FunctionUrlEventSpec = {}): LambdaFunctionURLEvent {
  return v2Event(
    spec,
    '$default',
    'abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-west-2.on.aws',
    'abcdefghijklmnopqrstuvwxyz0123',
    spec.authorizer,
  );
}

/**
 * The same store, observed: `claimRefused` resolves the first time a claim meets a record held by another
 * invocation, so a test knows a concurrent request is waiting (or about to answer 409) without sleeping.
 */
export function observeClaims<TStore extends IdempotencyStore>(store: TStore): { store: IdempotencyStore; claimRefused: Promise<void> } {
  let refused!: () => void;
  const claimRefused = new Promise<void>((resolve) => (refused = resolve));
  const observed: IdempotencyStore = {
    claim: async (input) => {
      const result = await store.claim(input);
      if (!result.claimed) refused();
      return result;
    },
    takeOver: (input) => store.takeOver(input),
    checkpoint: (input) => store.checkpoint(input),
    extendLease: (input) => store.extendLease(input),
    complete: (input) => store.complete(input),
    putCompleted: (input) => store.putCompleted(input),
    release: (input) => store.release(input),
    get: (key, now) => store.get(key, now),
  };
  return { store: observed, claimRefused };
}

/** A gate a handler waits at: `entered` resolves once a handler reached `pass()`, which returns after `open()`. */
export interface Gate {
  readonly entered: Promise<void>;
  pass(): Promise<void>;
  open(): void;
}

/** A new closed {@link Gate}: lets a test hold the first request inside its handler while it sends a retry. */
export function gate(): Gate {
  let enter!: () => void;
  let open!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    entered,
    pass: async () => {
      enter();
      await opened;
    },
    open: () => open(),
  };
}
