import { IDEMPOTENCY_KEY_CHARACTERS, IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN } from './constants';
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
 * headers with commas, which {@link parseIdempotencyKey} refuses.
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

function headerValues(event: HttpEvent, lowerName: string): string[] {
  const values: string[] = [];
  const multi = 'multiValueHeaders' in event ? event.multiValueHeaders : undefined;
  if (multi) {
    for (const [name, list] of Object.entries(multi)) {
      if (name.toLowerCase() === lowerName && list) values.push(...list);
    }
    if (values.length > 0) return values;
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === lowerName && value !== undefined && value !== null) values.push(value);
  }
  return values;
}
