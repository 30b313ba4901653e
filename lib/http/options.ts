/** The HTTP adapter's options, declared once: part of the idempotency options, and the adapter's own. */
import { fn, nonEmptyString } from '../config/checks';
import { IDEMPOTENCY_SPEC, checkIdempotencyValues, engineOptions, type ResolvedIdempotencyValues } from '../config/idempotency';
import { defaultsOf, defineOptions, pick, type At, type Check, type SameKeys } from '../config/spec';
import { IdempotencyConfigError } from '../errors';
import { compileSelector, type Selector } from '../selectors/compile';
import type { IdempotencyOptions, ResolvedOptions } from '../options';
import { DEFAULT_IDEMPOTENCY_KEY_HEADER, DEFAULT_KEY_REQUIRED_METHODS, DEFAULT_PROBLEM_TYPE_BASE } from './constants';
import { httpFingerprint } from './request';
import type { HttpEvent } from './types';

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

/** A token of RFC 9110 (header names and methods). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Engine options the adapter sets itself, and why a caller may not. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  key: 'the key is the request header (see `headerName`) scoped to the caller (`scope`) and the route',
  onMissingKey: 'which methods require a key is `requiredFor`',
  cacheErrors: 'responses below 500 are stored, 5xx responses and thrown errors release the key',
  mode: "a retry must get 409 or the first response while the first request runs, which needs mode 'lease'",
};

const fingerprint: Check<false | ((args: unknown[]) => unknown)> = (value: unknown, at: At) => {
  if (value === false) return false;
  if (typeof value !== 'function' && typeof value !== 'string') at.refuse('to be a function, a JMESPath string or false', value);
  return compileSelector<unknown[]>(at.path, value as Selector<unknown[]>);
};

const requiredFor: Check<ReadonlySet<string>> = (value: unknown, at: At) => {
  if (!Array.isArray(value) || value.some((method) => typeof method !== 'string' || !TOKEN.test(method))) {
    if (!Array.isArray(value)) at.refuse("to be an array of HTTP methods such as ['POST', 'PATCH']", value);
    throw new IdempotencyConfigError(
      `Expected \`${at.path}\` to be an array of HTTP methods such as ['POST', 'PATCH'], got ${JSON.stringify(value)}`,
    );
  }
  return new Set((value as string[]).map((method) => method.toUpperCase()));
};

/** Every option of `makeIdempotentHttpHandler`, declared once. */
export const HTTP_OPTIONS = /* @__PURE__ */ defineOptions(
  'makeIdempotentHttpHandler',
  {
    ...pick(IDEMPOTENCY_SPEC, [
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
    ]),
    fingerprint: { check: fingerprint, doc: 'what must match on a retry with the same key; `false` turns the check off' },
    headerName: {
      check: (value: unknown, at: At) => {
        if (typeof value !== 'string' || !TOKEN.test(value))
          at.refuse('to be a header name (an HTTP token such as "Idempotency-Key")', value);
        return value;
      },
      default: DEFAULT_IDEMPOTENCY_KEY_HEADER,
      doc: "the request header carrying the client's key",
    },
    requiredFor: {
      check: requiredFor,
      default: new Set(DEFAULT_KEY_REQUIRED_METHODS),
      doc: 'methods on which a request without a key is refused with 400',
    },
    scope: {
      check: (value: unknown, at: At) => {
        if (typeof value !== 'function') at.refuse("to be a function of the event returning the caller's identity", value);
        return fn<(event: HttpEvent) => string>()(value, at);
      },
      doc: "the caller's identity, part of the stored key",
    },
    problemTypeBase: {
      check: nonEmptyString(' (a URI prefix)'),
      default: DEFAULT_PROBLEM_TYPE_BASE,
      doc: 'prefix of the `type` member of problem responses',
    },
  },
  IdempotencyConfigError,
);
const _httpKeys: SameKeys<IdempotentHttpOptions, typeof HTTP_OPTIONS.spec> = true;

/** The adapter's options validated: its own, and the engine's. */
export interface ResolvedHttpOptions<TArgs extends unknown[]> {
  readonly headerName: string;
  readonly requiredFor: ReadonlySet<string>;
  readonly scope: ((event: HttpEvent) => string) | undefined;
  readonly problemTypeBase: string;
  readonly engine: ResolvedOptions<TArgs>;
}

/**
 * Validates the options once: the engine options the adapter sets itself are refused, the rest checked; the
 * engine's key is `selectKey` (the scoped header), its fingerprint the given one, else the request's.
 */
export function resolveHttpOptions<TArgs extends unknown[]>(
  options: object,
  defaultName: string,
  selectKey: (args: TArgs) => unknown,
): ResolvedHttpOptions<TArgs> {
  for (const [name, why] of Object.entries(REFUSED_OPTIONS)) {
    if (name in options) throw new IdempotencyConfigError(`\`${name}\` is not an option of makeIdempotentHttpHandler: ${why}`);
  }
  const { headerName, requiredFor: methods, scope, problemTypeBase, fingerprint: given, ...shared } = HTTP_OPTIONS.resolve(options);
  const values = {
    ...(defaultsOf(IDEMPOTENCY_SPEC) as ResolvedIdempotencyValues),
    ...shared,
    fingerprint: given === false ? undefined : (given ?? ((args: unknown[]) => httpFingerprint(args[0] as HttpEvent))),
    onMissingKey: 'throw' as const,
  };
  checkIdempotencyValues(values);
  return Object.freeze({
    headerName,
    requiredFor: methods,
    scope,
    problemTypeBase,
    engine: engineOptions<TArgs>(values, defaultName, selectKey),
  });
}
