/**
 * The HTTP `Idempotency-Key` adapter: API Gateway REST and HTTP API proxy events and Lambda Function URLs.
 * Re-exported by the package root.
 */
export { makeIdempotentHttpHandler, type IdempotentHttpOptions } from './handler';
export { httpFingerprint, httpScope } from './request';
export type { ProblemDetails } from './response';
export {
  DEFAULT_IDEMPOTENCY_KEY_HEADER,
  DEFAULT_KEY_REQUIRED_METHODS,
  DEFAULT_PROBLEM_TYPE_BASE,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENT_REPLAYED_HEADER,
  ANONYMOUS_SCOPE,
  PROBLEM_CONTENT_TYPE,
  HttpProblem,
} from './constants';
export type {
  HttpEvent,
  RestApiHttpEvent,
  HttpApiHttpEvent,
  HttpRequestHeaders,
  HttpRequestMultiValueHeaders,
  HttpStructuredResponse,
} from './types';
