import { describe } from '../describe';
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

/** What the gateway makes of a handler's result: the status it sends, or why it cannot send the result. */
export type ResponseStatus =
  | { readonly valid: true; readonly status: number }
  /** `problem` completes "the handler returned …", e.g. "a statusCode of null, not an HTTP status …". */
  | { readonly valid: false; readonly problem: string };

/** A status the adapter reads: an integer from 100 to 599, or such an integer as a decimal string ("201"). */
const STATUS_TEXT = /^[1-5][0-9]{2}$/;

/**
 * The status a gateway sends for a handler's result, or why the result is not a response it can send.
 * - A result with a `statusCode` (any kind of event): the status, which must be an integer from 100 to 599
 *   (for an HTTP API or Function URL, a decimal string such as `"201"` is read as its number; a REST API
 *   refuses a string); its `body`, when present and not `null`, must be a
 *   string. Anything else is a malformed response.
 * - A REST result without `statusCode` is malformed (API Gateway answers it with 502 "Malformed Lambda proxy
 *   response").
 * - An HTTP API or Function URL result without `statusCode`: 200 (the gateway sends it as a JSON body).
 */
export function readResponseStatus(result: unknown, kind: 'rest' | 'http'): ResponseStatus {
  if (isStructured(result)) {
    const status = statusNumber(result.statusCode, kind);
    if (status === undefined && kind === 'rest' && typeof result.statusCode === 'string' && STATUS_TEXT.test(result.statusCode)) {
      return {
        valid: false,
        problem: `a statusCode of ${brief(result.statusCode)}, a string, not the integer a REST API needs (API Gateway answers it with 502 "Malformed Lambda proxy response")`,
      };
    }
    if (status === undefined) {
      return { valid: false, problem: `a statusCode of ${brief(result.statusCode)}, not an HTTP status (an integer from 100 to 599)` };
    }
    const body = (result as { body?: unknown }).body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      return { valid: false, problem: `a body that is ${brief(body)}, not a string (JSON.stringify it)` };
    }
    return { valid: true, status };
  }
  if (kind === 'http') return { valid: true, status: 200 };
  const what =
    result !== null && typeof result === 'object' && !Array.isArray(result)
      ? 'an object without statusCode'
      : typeof result === 'string'
        ? 'a string'
        : brief(result);
  return { valid: false, problem: `${what}, not a REST API proxy response (an object with a statusCode)` };
}

/** A REST API takes an integer only (a string is a "Malformed Lambda proxy response"); HTTP APIs read "201" too. */
function statusNumber(value: unknown, kind: 'rest' | 'http'): number | undefined {
  const text = kind === 'http' && typeof value === 'string' && STATUS_TEXT.test(value);
  const status = typeof value === 'number' ? value : text ? Number(value) : NaN;
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/** {@link describe}, shortened to 60 characters. */
function brief(value: unknown): string {
  const text = describe(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
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
