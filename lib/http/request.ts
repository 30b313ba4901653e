import { createHash } from 'node:crypto';
import { IdempotencyConfigError } from '../errors';
import { hashValue } from '../keys';
import { ANONYMOUS_SCOPE } from './constants';
import type { HttpApiHttpEvent, HttpEvent, RestApiHttpEvent } from './types';

/** The facts of a request the adapter works with. */
export interface HttpRequestFacts {
  /** `rest`: REST API (payload 1.0); `http`: HTTP API (payload 2.0) or Function URL. */
  readonly kind: 'rest' | 'http';
  /** Upper-case method. */
  readonly method: string;
  /** The path the client requested. */
  readonly path: string;
  /**
   * What the key is scoped to besides the caller, as `METHOD /template`: the method with the REST `resource`
   * (`/orders/{id}`) or the HTTP API route's path (`/orders/{id}`, also for `ANY` routes), or with the raw
   * path for Function URLs and `$default` routes.
   */
  readonly route: string;
}

/** Reads method, path and route; throws `IdempotencyConfigError` for an event of another kind. */
export function describeRequest(event: unknown): HttpRequestFacts {
  if (isHttpApiEvent(event)) {
    const method = event.requestContext.http.method.toUpperCase();
    // A route key is `METHOD /template` (the method may be ANY), or `$default` (always, for Function URLs).
    const routeKey = typeof event.routeKey === 'string' ? event.routeKey : '';
    const template = routeKey === '' || routeKey === '$default' ? event.rawPath : routeKey.replace(/^\S+\s+/, '');
    return { kind: 'http', method, path: event.rawPath, route: `${method} ${template}` };
  }
  if (isRestApiEvent(event)) {
    const method = event.httpMethod.toUpperCase();
    return { kind: 'rest', method, path: event.path, route: `${method} ${event.resource}` };
  }
  throw new IdempotencyConfigError(
    `makeIdempotentHttpHandler received an event that is neither an API Gateway proxy event (REST or HTTP API) nor a Function URL event (no \`httpMethod\`, no \`requestContext.http.method\`; top-level fields: ${describeFields(event)}). Wire the handler to API Gateway with a proxy integration or to a Function URL`,
  );
}

function isHttpApiEvent(event: unknown): event is HttpApiHttpEvent {
  const e = event as Partial<HttpApiHttpEvent> | null | undefined;
  return typeof e?.rawPath === 'string' && typeof e.requestContext?.http?.method === 'string';
}

function isRestApiEvent(event: unknown): event is RestApiHttpEvent {
  const e = event as Partial<RestApiHttpEvent> | null | undefined;
  return typeof e?.httpMethod === 'string' && typeof e.requestContext === 'object' && e.requestContext !== null;
}

function describeFields(event: unknown): string {
  if (event === null || typeof event !== 'object') return `none (got ${event === null ? 'null' : typeof event})`;
  const keys = Object.keys(event).slice(0, 10);
  return keys.length === 0 ? 'none' : keys.join(', ');
}

/** The bytes of the request body: base64 decoded when `isBase64Encoded`, UTF-8 otherwise. */
export function requestBodyBytes(event: HttpEvent): Buffer {
  const body = event.body ?? '';
  return Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * The default fingerprint: method, path and a SHA-256 of the body bytes (base64 bodies decoded first, so the
 * same bytes give the same fingerprint however the gateway encoded them). The query string and headers are
 * not part of it; compose your own `fingerprint` to add them:
 * `fingerprint: (event) => [httpFingerprint(event), event.queryStringParameters]`.
 */
export function httpFingerprint(event: HttpEvent): { readonly method: string; readonly path: string; readonly bodySha256: string } {
  const { method, path } = describeRequest(event);
  return { method, path, bodySha256: createHash('sha256').update(requestBodyBytes(event)).digest('hex') };
}

/**
 * The default scope: the caller's identity from the authorizer.
 * - REST: a Lambda authorizer's `principalId`, a Cognito authorizer's `claims.sub`, or under IAM
 *   authorization `requestContext.identity.userArn`.
 * - HTTP API and Function URL: a JWT authorizer's `claims.sub`, a Lambda authorizer's context (its
 *   `principalId` member, else the whole context), or under IAM authorization `iam.userArn`.
 * - No authorizer: {@link ANONYMOUS_SCOPE}.
 * An authorizer that ran but yields none of these fails closed with `IdempotencyConfigError` (set `scope`).
 */
export function httpScope(event: HttpEvent): string {
  const identity = 'httpMethod' in event ? restIdentity(event) : httpApiIdentity(event);
  if (identity.scope !== undefined) return identity.scope;
  if (identity.authorizerPresent) {
    throw new IdempotencyConfigError(
      `makeIdempotentHttpHandler could not tell who the caller is: the request has an authorizer context (members: ${identity.members}) but none of the identities the default scope reads (${identity.looked}). Pass a \`scope\` option that returns the caller's identity`,
    );
  }
  return ANONYMOUS_SCOPE;
}

interface Identity {
  readonly scope: string | undefined;
  readonly authorizerPresent: boolean;
  readonly members: string;
  readonly looked: string;
}

function restIdentity(event: RestApiHttpEvent): Identity {
  const authorizer = asRecord(event.requestContext.authorizer);
  const principalId = nonEmpty(authorizer?.['principalId']);
  const sub = nonEmpty(asRecord(authorizer?.['claims'])?.['sub']);
  const userArn = nonEmpty(event.requestContext.identity?.userArn);
  return {
    scope:
      principalId !== undefined ? `principal:${principalId}` : sub !== undefined ? `sub:${sub}` : userArn !== undefined ? `iam:${userArn}` : undefined,
    authorizerPresent: hasMembers(authorizer, ['integrationLatency']),
    members: membersOf(authorizer),
    looked: 'requestContext.authorizer.principalId, requestContext.authorizer.claims.sub, requestContext.identity.userArn',
  };
}

function httpApiIdentity(event: HttpApiHttpEvent): Identity {
  const authorizer = asRecord(event.requestContext.authorizer);
  const sub = nonEmpty(asRecord(asRecord(authorizer?.['jwt'])?.['claims'])?.['sub']);
  const lambda = authorizer?.['lambda'];
  const lambdaRecord = asRecord(lambda);
  const lambdaPrincipal = nonEmpty(lambdaRecord?.['principalId']);
  const lambdaContext =
    lambda === undefined || lambda === null || (lambdaRecord !== undefined && Object.keys(lambdaRecord).length === 0)
      ? undefined
      : `lambda:${lambdaPrincipal ?? hashValue(lambda)}`;
  const userArn = nonEmpty(asRecord(authorizer?.['iam'])?.['userArn']);
  return {
    scope: sub !== undefined ? `sub:${sub}` : lambdaContext ?? (userArn !== undefined ? `iam:${userArn}` : undefined),
    authorizerPresent: hasMembers(authorizer, ['principalId', 'integrationLatency']),
    members: membersOf(authorizer),
    looked: 'requestContext.authorizer.jwt.claims.sub, requestContext.authorizer.lambda, requestContext.authorizer.iam.userArn',
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** True when the authorizer context has a member with a value, other than the bookkeeping ones in `ignored`. */
function hasMembers(record: Record<string, unknown> | undefined, ignored: readonly string[]): boolean {
  if (!record) return false;
  return Object.entries(record).some(([name, value]) => !ignored.includes(name) && value !== null && value !== undefined && value !== '');
}

function membersOf(record: Record<string, unknown> | undefined): string {
  const names = record ? Object.keys(record) : [];
  return names.length === 0 ? 'none' : names.join(', ');
}
