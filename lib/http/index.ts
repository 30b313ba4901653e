/**
 * `effectively-once/http`: the HTTP `Idempotency-Key` adapter for API Gateway REST and HTTP API proxy events
 * and Lambda Function URLs.
 * @module effectively-once/http
 */
export { makeIdempotentHttpHandler } from './handler';
export type { IdempotentHttpOptions } from './options';
export { httpFingerprint, httpScope } from './request';
export type { ProblemDetails } from './response';
export {
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
