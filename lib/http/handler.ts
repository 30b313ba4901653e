import { IdempotencyEngine, defaultOperationName, invocationInfo } from '../engine';
import { IdempotencyConfigError, IdempotencyInProgressError, IdempotencyPayloadMismatchError } from '../errors';
import { describe } from '../describe';
import { HTTP_NAME_SUFFIX, HttpProblem, IDEMPOTENCY_KEY_MAX_LENGTH } from './constants';
import { readKeyHeader } from './key';
import { resolveHttpOptions, type IdempotentHttpOptions, type ResolvedHttpOptions } from './options';
import { httpScope, describeRequest, type HttpRequestFacts } from './request';
import { markReplayed, problemResponse, readResponseStatus } from './response';
import type { HttpEvent, HttpStructuredResponse } from './types';

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
  // The default name is not claimed per process as makeIdempotent does: the route is part of every key.
  const settings = resolveHttpOptions<[TEvent, TContext, ScopedKey]>(options, defaultOperationName(HTTP_NAME_SUFFIX), (args) => args[2]);
  const engine = new IdempotencyEngine<[TEvent, TContext, ScopedKey], TResult>(settings.engine);
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

/**
 * Runs a request that carries a key through the engine: a response the gateway can send and below 500 is
 * stored, a replay is marked, and the engine's refusals before the handler ran are answered as problems.
 */
async function runProtected<TEvent extends HttpEvent, TContext, TResult>(
  engine: IdempotencyEngine<[TEvent, TContext, ScopedKey], TResult>,
  handle: () => Promise<TResult> | TResult,
  args: [TEvent, TContext, ScopedKey],
  request: HttpRequestFacts,
  settings: Pick<ResolvedHttpOptions<never>, 'headerName' | 'problemTypeBase'>,
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
function problemFor(
  error: unknown,
  request: HttpRequestFacts,
  settings: Pick<ResolvedHttpOptions<never>, 'headerName' | 'problemTypeBase'>,
): HttpStructuredResponse | undefined {
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
