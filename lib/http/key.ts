import { IDEMPOTENCY_KEY_CHARACTERS, IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN } from './constants';
import { describe } from '../describe';
import { malformed } from './request';
import type { HttpEvent } from './types';

/** What the key header of a request holds. */
export type KeyHeader =
  | { readonly kind: 'absent' }
  /** `rule` completes "The <header> header …", e.g. "must be at most 255 characters long, got 300". */
  | { readonly kind: 'invalid'; readonly rule: string }
  | { readonly kind: 'present'; readonly key: string };

const ABSENT: KeyHeader = Object.freeze({ kind: 'absent' });

/**
 * Reads the key header (name compared case-insensitively) from a REST, HTTP API or Function URL event.
 * A REST event's `multiValueHeaders` shows every occurrence; HTTP APIs and Function URLs join repeated
 * headers with commas, which {@link parseIdempotencyKey} refuses. Throws `IdempotencyConfigError` for a
 * malformed event: a header map that is not an object, or a key header value that is not a string (the
 * gateway always sends strings, so a number there never comes from a client: it is not coerced, and not
 * answered as a client's mistake with 400).
 */
export function readKeyHeader(event: HttpEvent, headerName: string): KeyHeader {
  const values = headerValues(event, headerName.toLowerCase());
  if (values.length === 0) return ABSENT;
  if (values.length > 1) return { kind: 'invalid', rule: `must be sent once, got ${values.length} values` };
  return parseIdempotencyKey(values[0] as string);
}

/**
 * Parses one header value: a Structured Field string (`"…"`, as the draft specifies) or a bare token (as many
 * clients send); both give the same key. Surrounding spaces and tabs are ignored.
 */
export function parseIdempotencyKey(raw: string): KeyHeader {
  const text = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text.includes(',')) {
    return { kind: 'invalid', rule: 'must hold a single key, got a comma-separated list (was the header sent twice?)' };
  }
  let key = text;
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) {
      return { kind: 'invalid', rule: 'must end with a double quote when it starts with one' };
    }
    key = text.slice(1, -1);
  }
  if (key.length === 0) return { kind: 'invalid', rule: 'must not be empty' };
  if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    return { kind: 'invalid', rule: `must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters long, got ${key.length}` };
  }
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    const index = [...key].findIndex((char) => !IDEMPOTENCY_KEY_PATTERN.test(char));
    const char = [...key][index] ?? '';
    return {
      kind: 'invalid',
      rule: `must contain only ${IDEMPOTENCY_KEY_CHARACTERS}, got ${JSON.stringify(char)} at position ${index + 1}`,
    };
  }
  return { kind: 'present', key };
}

/**
 * Every value of the key header. The header maps must be objects (or absent: `null` in REST events), and the
 * key header's values strings, as the gateway always sends them; anything else is a malformed event
 * (`IdempotencyConfigError`), never coerced: the adapter keys nothing on a value no client could have sent.
 * Other headers are not looked at.
 */
function headerValues(event: HttpEvent, lowerName: string): string[] {
  const values: string[] = [];
  const multi = headerMap(event, 'multiValueHeaders', 'arrays of strings');
  if (multi) {
    for (const [name, list] of Object.entries(multi)) {
      if (name.toLowerCase() !== lowerName || list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        throw malformed(
          `\`multiValueHeaders[${JSON.stringify(name)}]\` is ${describe(list)}, but the gateway always sends an array of strings`,
        );
      }
      list.forEach((value: unknown, index) => values.push(headerValue(value, `multiValueHeaders[${JSON.stringify(name)}][${index}]`)));
    }
    if (values.length > 0) return values;
  }
  for (const [name, value] of Object.entries(headerMap(event, 'headers', 'strings') ?? {})) {
    if (name.toLowerCase() === lowerName && value !== undefined && value !== null)
      values.push(headerValue(value, `headers[${JSON.stringify(name)}]`));
  }
  return values;
}

/** `event[member]` as a map of header names, or `undefined` when absent. */
function headerMap(
  event: HttpEvent,
  member: 'headers' | 'multiValueHeaders',
  values: string,
): Readonly<Record<string, unknown>> | undefined {
  const map: unknown = (event as unknown as Readonly<Record<string, unknown>>)[member];
  if (map === undefined || map === null) return undefined;
  if (typeof map !== 'object' || Array.isArray(map)) {
    throw malformed(`\`${member}\` is ${describe(map)}, but the gateway always sends an object of header names to ${values}`);
  }
  return map as Readonly<Record<string, unknown>>;
}

function headerValue(value: unknown, where: string): string {
  if (typeof value !== 'string') {
    throw malformed(`the key header \`${where}\` is ${describe(value)}, but the gateway always sends header values as strings`);
  }
  return value;
}
