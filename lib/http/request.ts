import { createHash } from 'node:crypto';
import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { hashValue } from '../keys/hash';
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

/**
 * Reads method, path and route. Throws `IdempotencyConfigError` for an event of another kind, and for a
 * malformed one: a field the adapter reads that does not have the type and content API Gateway and Function
 * URLs always give it (a REST event without `path`, a `body` that is not a string, ...). Such an event never
 * comes from the gateway, and the adapter refuses it rather than guess: a guessed route or path could let
 * different requests share a key.
 *
 * The route of a REST event is its `resource` template, else `requestContext.resourcePath` (the same
 * template), else the requested `path`; of an HTTP API event, the path of its `routeKey`, else (for
 * `$default`, Function URLs and a route key that is not `METHOD /path`) the `rawPath`.
 */
export function describeRequest(event: unknown): HttpRequestFacts {
  const kind = httpEventKind(event);
  checkBody(event as HttpEvent);
  if (kind === 'http') {
    const e = event as HttpApiHttpEvent;
    const method = e.requestContext.http.method.toUpperCase();
    if (e.rawPath.length === 0) {
      throw malformed(
        '`rawPath` is empty (the gateway always sends the requested path, at least "/"), so the adapter can tell neither the route nor the request',
      );
    }
    // A route key is `METHOD /template` (the method may be ANY), or `$default` (always, for Function URLs).
    const routeKey = typeof e.routeKey === 'string' ? ROUTE_KEY.exec(e.routeKey) : null;
    const template = routeKey?.[1] ?? e.rawPath;
    return { kind: 'http', method, path: e.rawPath, route: `${method} ${template}` };
  }
  const e = event as RestApiHttpEvent;
  const method = e.httpMethod.toUpperCase();
  const template = nonEmpty(e.resource) ?? nonEmpty(asRecord(e.requestContext)?.['resourcePath']);
  const path = nonEmpty(e.path);
  if (path === undefined) {
    throw malformed(
      template === undefined
        ? `a REST API event has no \`resource\`, no \`requestContext.resourcePath\` and no \`path\` (${describeMember(e.path)}), so the adapter cannot tell which route ${method} is for`
        : `a REST API event for ${method} ${template} has no \`path\` (${describeMember(e.path)}), so the adapter cannot tell one request on this route from another`,
    );
  }
  return { kind: 'rest', method, path, route: `${method} ${template ?? path}` };
}

/** `METHOD /path` (an HTTP API route key other than `$default`); the path is captured. */
const ROUTE_KEY = /^\S+\s+(\/\S*)$/;

/**
 * Whether an event is a REST API event (payload 1.0) or an HTTP API / Function URL event (payload 2.0);
 * throws `IdempotencyConfigError` for an event of another kind.
 */
export function httpEventKind(event: unknown): 'rest' | 'http' {
  if (isHttpApiEvent(event)) return 'http';
  if (isRestApiEvent(event)) return 'rest';
  throw new IdempotencyConfigError(
    `makeIdempotentHttpHandler received an event that is neither an API Gateway proxy event (REST or HTTP API) nor a Function URL event (no \`httpMethod\`, no \`requestContext.http.method\`; top-level fields: ${describeFields(event)}). Wire the handler to API Gateway with a proxy integration or to a Function URL`,
  );
}

function isHttpApiEvent(event: unknown): event is HttpApiHttpEvent {
  const e = event as Partial<HttpApiHttpEvent> | null | undefined;
  return typeof e?.rawPath === 'string' && nonEmpty(e.requestContext?.http?.method) !== undefined;
}

function isRestApiEvent(event: unknown): event is RestApiHttpEvent {
  const e = event as Partial<RestApiHttpEvent> | null | undefined;
  return nonEmpty(e?.httpMethod) !== undefined && asRecord(e?.requestContext) !== undefined;
}

function describeFields(event: unknown): string {
  if (event === null || typeof event !== 'object') return `none (got ${event === null ? 'null' : typeof event})`;
  const keys = Object.keys(event).slice(0, 10);
  return keys.length === 0 ? 'none' : keys.join(', ');
}

/**
 * The error for an HTTP event with a field the gateway always sends in another form. `what` says what is
 * wrong and why it matters.
 */
export function malformed(what: string): IdempotencyConfigError {
  return new IdempotencyConfigError(
    `makeIdempotentHttpHandler received a malformed event: ${what}. API Gateway and Function URLs never send such an event (was it built by hand, or changed on the way?); the request is refused rather than let different requests share an idempotency key`,
  );
}

/** `undefined` as "missing", anything else as {@link describe} names it. */
function describeMember(value: unknown): string {
  return value === undefined ? 'missing' : `got ${describe(value)}`;
}

/** The body is a string, or absent (`null` in REST events); `isBase64Encoded` a boolean, or absent. */
function checkBody(event: HttpEvent): void {
  const body: unknown = event.body;
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw malformed(
      `\`body\` is ${describe(body)}, but the gateway always sends the body as a string (base64 when \`isBase64Encoded\`) or none`,
    );
  }
  const base64: unknown = event.isBase64Encoded;
  if (base64 !== undefined && typeof base64 !== 'boolean') {
    throw malformed(`\`isBase64Encoded\` is ${describe(base64)}, but the gateway always sends true or false`);
  }
  // Node's decoder skips what is not base64 ("!!!" decodes to no bytes): two different bodies would look alike.
  if (base64 === true && typeof body === 'string' && !(BASE64.test(body) && body.length % 4 === 0)) {
    const shown = body.length > 40 ? `${JSON.stringify(body.slice(0, 40))}… (${body.length} characters)` : JSON.stringify(body);
    throw malformed(`\`body\` is ${shown} with \`isBase64Encoded: true\`, but it is not base64, which the gateway always sends then`);
  }
}

/** Standard base64 with its padding, as API Gateway and Function URLs encode binary bodies. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of the request body: base64 decoded when `isBase64Encoded`, UTF-8 otherwise. */
export function requestBodyBytes(event: HttpEvent): Buffer {
  checkBody(event);
  const body = event.body ?? '';
  return Buffer.from(body, event.isBase64Encoded === true ? 'base64' : 'utf8');
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
  const identity = httpEventKind(event) === 'rest' ? restIdentity(event as RestApiHttpEvent) : httpApiIdentity(event as HttpApiHttpEvent);
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
  const userArn = nonEmpty(asRecord(event.requestContext.identity)?.['userArn']);
  return {
    scope:
      principalId !== undefined
        ? `principal:${principalId}`
        : sub !== undefined
          ? `sub:${sub}`
          : userArn !== undefined
            ? `iam:${userArn}`
            : undefined,
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
    scope: sub !== undefined ? `sub:${sub}` : (lambdaContext ?? (userArn !== undefined ? `iam:${userArn}` : undefined)),
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
