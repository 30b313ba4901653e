import { IdempotencyEngine, defaultOperationName, invocationInfo } from '../engine';
import { IdempotencyConfigError, IdempotencyInProgressError, IdempotencyPayloadMismatchError } from '../errors';
import { describe } from '../describe';
import { type Selector } from '../selectors/compile';
import type { ExactOptionNames, IdempotencyOptions } from '../options';
import {
  DEFAULT_IDEMPOTENCY_KEY_HEADER,
  DEFAULT_KEY_REQUIRED_METHODS,
  DEFAULT_PROBLEM_TYPE_BASE,
  HTTP_NAME_SUFFIX,
  HttpProblem,
  IDEMPOTENCY_KEY_MAX_LENGTH,
} from './constants';
import { readKeyHeader } from './key';
import { httpScope, describeRequest, httpFingerprint, type HttpRequestFacts } from './request';
import { markReplayed, problemResponse, readResponseStatus } from './response';
import type { HttpEvent, HttpStructuredResponse } from './types';

/** Options of {@link makeIdempotentHttpHandler}. */
export interface IdempotentHttpOptions<TEvent extends HttpEvent = HttpEvent, TContext = unknown> extends Pick<
  IdempotencyOptions,
  | 'store'
  | 'expiresAfterSeconds'
  | 'leaseSeconds'
  | 'localCache'
  | 'maxResultBytes'
  | 'logger'
  | 'metrics'
  | 'clock'
  | 'clockSkewMs'
  | 'completionRetrySeconds'
> {
  /**
   * The operation's namespace inside the key (the route and the caller's scope are in the key too).
   * @default - `<AWS_LAMBDA_FUNCTION_NAME or "local">.http`
   */
  readonly name?: string;
  /**
   * What a request does while the first request with its key is still running: `'throw'` answers 409 with
   * `Retry-After`; `'wait'` waits for the first request's response (bounded by the remaining time, then 409)
   * and replays it.
   * @default 'throw'
   */
  readonly onInProgress?: 'throw' | 'wait';
  /**
   * Name of the request header carrying the client's key, compared case-insensitively.
   * @default 'Idempotency-Key'
   */
  readonly headerName?: string;
  /**
   * Methods on which a request without a key is refused with 400. On other methods a request without a key
   * runs unprotected; a request with a key is protected on any method.
   * @default ['POST', 'PATCH']
   */
  readonly requiredFor?: readonly string[];
  /**
   * The caller's identity, part of the stored key so that one caller can never read another's response.
   * Must return a non-empty string.
   * @default - the authorizer's identity (see `httpScope`), or `'anonymous'` (`ANONYMOUS_SCOPE`) when no
   * authorizer ran
   */
  readonly scope?: (event: TEvent) => string;
  /**
   * What must match on a retry with the same key (a function of the event and context, or a JMESPath
   * expression on the event); a different value answers 422. `false` turns the check off.
   * @default - method, path and a SHA-256 of the decoded body bytes (`httpFingerprint`)
   */
  readonly fingerprint?: Selector<[TEvent, TContext]> | false;
  /**
   * Prefix of the `type` member of problem responses (the problem name is appended), e.g.
   * `'https://api.example.com/docs/errors#'`.
   * @default 'tag:effectively-once,2025:'
   */
  readonly problemTypeBase?: string;
}

/** Options of this adapter on top of the engine's. */
const HTTP_OPTIONS = ['headerName', 'requiredFor', 'scope', 'problemTypeBase'] as const;

/** Every option {@link makeIdempotentHttpHandler} takes, checked against its type by the compiler. */
const KNOWN_OPTIONS = [
  'store',
  'name',
  'expiresAfterSeconds',
  'leaseSeconds',
  'localCache',
  'maxResultBytes',
  'logger',
  'metrics',
  'clock',
  'clockSkewMs',
  'completionRetrySeconds',
  'onInProgress',
  'fingerprint',
  ...HTTP_OPTIONS,
] as const;
const _httpOptionNames: ExactOptionNames<IdempotentHttpOptions, typeof KNOWN_OPTIONS> = true;

/** Engine options the adapter sets itself, and why a caller may not. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  key: 'the key is the request header (see `headerName`) scoped to the caller (`scope`) and the route',
  onMissingKey: 'which methods require a key is `requiredFor`',
  cacheErrors: 'responses below 500 are stored, 5xx responses and thrown errors release the key',
  mode: "a retry must get 409 or the first response while the first request runs, which needs mode 'lease'",
};

/** A token of RFC 9110 (header names and methods). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The stored key of a protected request: the client's key scoped to the caller and route. */
interface ScopedKey {
  readonly scope: string;
  readonly route: string;
  readonly key: string;
}

/**
 * Makes an API Gateway (REST or HTTP API) or Function URL handler honour the `Idempotency-Key` header
 * (IETF draft "The Idempotency-Key HTTP Header Field"):
 *
 * - no key on a method in `requiredFor` (POST, PATCH): 400; an invalid key: 400;
 * - the same key (for the same caller and route: method and route template) with a different path or body: 422;
 * - a retry while the first request runs: 409 with `Retry-After` (or, with `onInProgress: 'wait'`, the
 *   first request's response);
 * - a completed request's response replayed exactly, with `Idempotent-Replayed: true`;
 * - responses below 500 are stored; 5xx responses and thrown errors release the key (errors are rethrown);
 * - a result the gateway cannot send as a response is not stored either: a `statusCode` that is not an integer
 *   from 100 to 599 (or such an integer as a string, `"201"`), for instance `null`; a `body` that is not a
 *   string; for REST APIs, any result without `statusCode`. The key is released and `IdempotencyConfigError`
 *   is thrown, naming the value (the invocation fails, and the gateway answers the client with a 5xx).
 *
 * Malformed events (a field the adapter reads without the type and content the gateway always gives it: a
 * key header value that is not a string, a `body` that is not a string, a REST event without `path`, ...) are
 * refused with `IdempotencyConfigError` before the handler runs; they never come from the gateway, and are
 * neither coerced nor answered as the client's mistake.
 *
 * Problem responses are `application/problem+json`.
 *
 * ```ts
 * export const handler = makeIdempotentHttpHandler(createOrder, { store: new DynamoDBStore() });
 * ```
 */
export function makeIdempotentHttpHandler<TEvent extends HttpEvent, TResult, TContext = unknown>(
  handler: (event: TEvent, context: TContext) => Promise<TResult> | TResult,
  options: IdempotentHttpOptions<TEvent, TContext>,
): (event: TEvent, context: TContext) => Promise<TResult | HttpStructuredResponse> {
  if (typeof handler !== 'function') {
    throw new IdempotencyConfigError(`Expected makeIdempotentHttpHandler's first argument to be a function, got ${describe(handler)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new IdempotencyConfigError(`Expected options to be an object with at least \`store\`, got ${describe(options)}`);
  }
  for (const [name, why] of Object.entries(REFUSED_OPTIONS)) {
    if (name in options) {
      throw new IdempotencyConfigError(`\`${name}\` is not an option of makeIdempotentHttpHandler: ${why}`);
    }
  }
  for (const name of Object.keys(options)) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(name)) {
      throw new IdempotencyConfigError(
        `Unknown option \`${name}\` of makeIdempotentHttpHandler (known options: ${KNOWN_OPTIONS.join(', ')})`,
      );
    }
  }
  const settings = resolveHttpOptions(options as IdempotentHttpOptions<HttpEvent, unknown>);
  const engine = httpEngine<TEvent, TContext, TResult>(options);
  const scopeOf = (settings.scope ?? httpScope) as (event: TEvent) => string;

  return async function idempotentHttpHandler(event: TEvent, context: TContext): Promise<TResult | HttpStructuredResponse> {
    const request = describeRequest(event);
    const header = readKeyHeader(event, settings.headerName);
    if (header.kind === 'invalid') {
      return problemResponse(HttpProblem.KeyInvalid, settings.problemTypeBase, `The ${settings.headerName} header ${header.rule}.`);
    }
    if (header.kind === 'absent') {
      if (settings.requiredFor.has(request.method)) {
        return problemResponse(
          HttpProblem.KeyMissing,
          settings.problemTypeBase,
          `${request.route} requires the ${settings.headerName} header: send a unique value (a UUID, at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters) and send the same value again when you retry this request.`,
        );
      }
      return handler(event, context);
    }
    const scoped: ScopedKey = { scope: checkScope(scopeOf(event)), route: request.route, key: header.key };
    return runProtected(engine, () => handler(event, context), [event, context, scoped], request, settings);
  };
}

/** The engine of an HTTP handler: keyed by the scoped header, fingerprinted by the request unless `fingerprint` says otherwise. */
function httpEngine<TEvent extends HttpEvent, TContext, TResult>(
  options: IdempotentHttpOptions<TEvent, TContext>,
): IdempotencyEngine<[TEvent, TContext, ScopedKey], TResult> {
  const userFingerprint = options.fingerprint;
  const fingerprint: Selector<[TEvent, TContext, ScopedKey]> | undefined =
    userFingerprint === false ? undefined : (userFingerprint ?? ((event: TEvent) => httpFingerprint(event)));
  // The default name is not claimed per process as makeIdempotent does: the route is part of every key.
  return new IdempotencyEngine<[TEvent, TContext, ScopedKey], TResult>(
    {
      ...(options as IdempotencyOptions<[TEvent, TContext, ScopedKey], TResult>),
      key: (_event: TEvent, _context: TContext, scoped: ScopedKey) => scoped,
      fingerprint,
      onMissingKey: 'throw',
    },
    defaultOperationName(HTTP_NAME_SUFFIX),
    HTTP_OPTIONS,
  );
}

/**
 * Runs a request that carries a key through the engine: a response the gateway can send and below 500 is
 * stored, a replay is marked, and the engine's refusals before the handler ran are answered as problems.
 */
async function runProtected<TEvent extends HttpEvent, TContext, TResult>(
  engine: IdempotencyEngine<[TEvent, TContext, ScopedKey], TResult>,
  handle: () => Promise<TResult> | TResult,
  args: [TEvent, TContext, ScopedKey],
  request: HttpRequestFacts,
  settings: HttpSettings,
): Promise<TResult | HttpStructuredResponse> {
  let started = false;
  try {
    return await engine.run(
      args,
      invocationInfo(args[1]),
      async () => {
        started = true;
        const result = await handle();
        const response = readResponseStatus(result, request.kind);
        if (!response.valid) {
          // Not stored: the gateway cannot send it (it answers 5xx), and a stored one would be replayed to every retry.
          throw new IdempotencyConfigError(
            `The handler of ${request.route} returned ${response.problem}. Nothing was stored and the ${settings.headerName} was released, so a retry runs the handler again. Return { statusCode, body } with an integer statusCode from 100 to 599 and a string body`,
            { key: engine.keyOf(args) },
          );
        }
        return result;
      },
      {
        // Not stored: a 5xx says the request did not succeed, so the client may retry it at once.
        shouldStore: (result) => {
          const response = readResponseStatus(result, request.kind);
          return response.valid && response.status < 500;
        },
        onReplay: (value) => markReplayed(value, request.kind) as TResult,
      },
    );
  } catch (error) {
    // The engine's refusals before the handler ran (in progress, key reused) are answers of the protocol.
    const problem = started ? undefined : problemFor(error, request, settings);
    if (problem) return problem;
    throw error;
  }
}

/**
 * The engine's refusals as problem responses; `undefined` for errors that are rethrown. (The engine's
 * `IdempotencyKeyError` cannot occur: a missing or invalid key is answered before the engine is called.)
 */
function problemFor(error: unknown, request: HttpRequestFacts, settings: HttpSettings): HttpStructuredResponse | undefined {
  const h = settings.headerName;
  if (error instanceof IdempotencyPayloadMismatchError) {
    return problemResponse(
      HttpProblem.KeyReused,
      settings.problemTypeBase,
      `This ${h} was already used for a different ${request.route} request. Use a new ${h} for a new request, or send the original request again to get its response.`,
    );
  }
  if (error instanceof IdempotencyInProgressError) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return problemResponse(
      HttpProblem.RequestInProgress,
      settings.problemTypeBase,
      `A request with this ${h} is still being processed. Retry after ${seconds} second${seconds === 1 ? '' : 's'} to get its response.`,
      { 'Retry-After': String(seconds) },
    );
  }
  return undefined;
}

function checkScope(scope: unknown): string {
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new IdempotencyConfigError(`Expected the \`scope\` option to return a non-empty string, got ${describe(scope)}`);
  }
  return scope;
}

/** The adapter's own options, validated. */
interface HttpSettings {
  readonly headerName: string;
  readonly requiredFor: ReadonlySet<string>;
  readonly scope: ((event: HttpEvent) => string) | undefined;
  readonly problemTypeBase: string;
}

function resolveHttpOptions(options: IdempotentHttpOptions<HttpEvent, unknown>): HttpSettings {
  const headerName = options.headerName ?? DEFAULT_IDEMPOTENCY_KEY_HEADER;
  if (typeof headerName !== 'string' || !TOKEN.test(headerName)) {
    throw new IdempotencyConfigError(
      `Expected \`headerName\` to be a header name (an HTTP token such as "Idempotency-Key"), got ${describe(options.headerName)}`,
    );
  }
  const requiredFor = options.requiredFor ?? DEFAULT_KEY_REQUIRED_METHODS;
  if (!Array.isArray(requiredFor) || requiredFor.some((method) => typeof method !== 'string' || !TOKEN.test(method))) {
    throw new IdempotencyConfigError(
      `Expected \`requiredFor\` to be an array of HTTP methods such as ['POST', 'PATCH'], got ${
        Array.isArray(requiredFor) ? JSON.stringify(requiredFor) : describe(requiredFor)
      }`,
    );
  }
  if (options.scope !== undefined && typeof options.scope !== 'function') {
    throw new IdempotencyConfigError(
      `Expected \`scope\` to be a function of the event returning the caller's identity, got ${describe(options.scope)}`,
    );
  }
  const fingerprint = options.fingerprint as unknown;
  if (fingerprint !== undefined && fingerprint !== false && typeof fingerprint !== 'function' && typeof fingerprint !== 'string') {
    throw new IdempotencyConfigError(`Expected \`fingerprint\` to be a function, a JMESPath string or false, got ${describe(fingerprint)}`);
  }
  const problemTypeBase = options.problemTypeBase ?? DEFAULT_PROBLEM_TYPE_BASE;
  if (typeof problemTypeBase !== 'string' || problemTypeBase.length === 0) {
    throw new IdempotencyConfigError(
      `Expected \`problemTypeBase\` to be a non-empty string (a URI prefix), got ${describe(options.problemTypeBase)}`,
    );
  }
  return {
    headerName,
    requiredFor: new Set(requiredFor.map((method: string) => method.toUpperCase())),
    scope: options.scope,
    problemTypeBase,
  };
}
