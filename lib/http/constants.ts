/**
 * Every default and fixed rule of the HTTP adapter lives here, once. Internal: the TSDoc `@default` of each option
 * gives the value itself, and test/unit/defaults.test.ts checks that they agree.
 */

/** Name of the request header that carries the client's key (compared case-insensitively). */
export const DEFAULT_IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Methods on which a request without a key is refused with 400 (other methods without a key run unprotected). */
export const DEFAULT_KEY_REQUIRED_METHODS: readonly string[] = /* @__PURE__ */ Object.freeze(['POST', 'PATCH']);

/** Longest key accepted, in characters (after removing the quotes of a quoted value). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * Characters a key may contain: visible ASCII (`!` to `~`) except double quote, comma and backslash. UUIDs,
 * ULIDs, base64 and base64url tokens all fit. The quotes of a Structured Field string
 * (`"8e03978e-40d5-43e8-bc93-6894a57f9324"`) are removed before the check.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;

/** {@link IDEMPOTENCY_KEY_PATTERN} in words, for problem details. */
export const IDEMPOTENCY_KEY_CHARACTERS = 'visible ASCII characters other than double quote, comma and backslash';

/** Header added to every replayed response, with the value `true`. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** Scope of requests that carry no authorizer identity (and no `scope` option). */
export const ANONYMOUS_SCOPE = 'anonymous';

/** Suffix of the default operation name: `<AWS_LAMBDA_FUNCTION_NAME or "local">.http`. */
export const HTTP_NAME_SUFFIX = 'http';

/**
 * Prefix of the `type` of problem responses: a stable, non-dereferenceable tag URI (RFC 4151). Set
 * `problemTypeBase` to a page of your API documentation to make the types links (the draft asks the 400 and
 * 422 bodies to point at documentation).
 */
export const DEFAULT_PROBLEM_TYPE_BASE = 'tag:effectively-once,2025:';

/** Media type of problem responses (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problems the adapter answers with: the `type` of each is `problemTypeBase` followed by the value. */
export const HttpProblem = {
  /** 400: the method requires a key and the request has none. */
  KeyMissing: 'idempotency-key-missing',
  /** 400: the key header is present but breaks a rule (empty, too long, a forbidden character, sent twice). */
  KeyInvalid: 'idempotency-key-invalid',
  /** 422: the key was used before with a different request (the fingerprint differs). */
  KeyReused: 'idempotency-key-reused',
  /** 409: the first request with this key is still being processed. */
  RequestInProgress: 'idempotency-request-in-progress',
} as const;
/** One of {@link HttpProblem}. */
export type HttpProblem = (typeof HttpProblem)[keyof typeof HttpProblem];
