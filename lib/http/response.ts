import { HttpProblem, IDEMPOTENT_REPLAYED_HEADER, PROBLEM_CONTENT_TYPE } from './constants';
import type { HttpStructuredResponse } from './types';

/** A problem detail body (RFC 9457). */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

const TITLES: Readonly<Record<HttpProblem, { readonly status: number; readonly title: string }>> = {
  [HttpProblem.KeyMissing]: { status: 400, title: 'Idempotency key missing' },
  [HttpProblem.KeyInvalid]: { status: 400, title: 'Idempotency key invalid' },
  [HttpProblem.KeyReused]: { status: 422, title: 'Idempotency key reused with a different request' },
  [HttpProblem.RequestInProgress]: { status: 409, title: 'Request with this idempotency key still in progress' },
};

/** An `application/problem+json` response for one of the adapter's problems. */
export function problemResponse(
  problem: HttpProblem,
  typeBase: string,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): HttpStructuredResponse {
  const { status, title } = TITLES[problem];
  const body: ProblemDetails = { type: `${typeBase}${problem}`, title, status, detail };
  return {
    statusCode: status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/**
 * The status a gateway sends for a handler's result. REST APIs need a structured result (anything else is a
 * 502 "malformed Lambda proxy response"); HTTP APIs and Function URLs treat a result without `statusCode` as
 * a 200 JSON body.
 */
export function statusOf(result: unknown, kind: 'rest' | 'http'): number {
  if (isStructured(result)) {
    const status = Number(result.statusCode);
    return Number.isInteger(status) ? status : 502;
  }
  return kind === 'http' ? 200 : 502;
}

function isStructured(result: unknown): result is { statusCode: unknown } {
  return result !== null && typeof result === 'object' && (result as { statusCode?: unknown }).statusCode !== undefined;
}

/**
 * A replayed result with `Idempotent-Replayed: true` added (any header of that name, in any case, replaced).
 * An HTTP API result without `statusCode` becomes the structured response the gateway would have inferred
 * from it (200, `application/json`, the value as the body), so the header can be added.
 */
export function markReplayed<TResult>(result: TResult, kind: 'rest' | 'http'): TResult | HttpStructuredResponse {
  if (!isStructured(result)) {
    if (kind === 'rest') return result;
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
      body: typeof result === 'string' ? result : (JSON.stringify(result) ?? ''),
      isBase64Encoded: false,
    };
  }
  const response = result as { headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown> };
  const lower = IDEMPOTENT_REPLAYED_HEADER.toLowerCase();
  const without = (headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    headers === undefined || headers === null
      ? headers
      : Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== lower));
  const multiValueHeaders = without(response.multiValueHeaders);
  return {
    ...result,
    headers: { ...without(response.headers), [IDEMPOTENT_REPLAYED_HEADER]: 'true' },
    ...(multiValueHeaders === undefined ? {} : { multiValueHeaders }),
  };
}
