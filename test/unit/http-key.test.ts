import fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN } from '../../lib/http';
import { parseIdempotencyKey, readKeyHeader } from '../../lib/http/key';
import { functionUrlEvent, httpApiEvent, restApiEvent } from '../helpers/http-events';

const UUID = '8e03978e-40d5-43e8-bc93-6894a57f9324';

describe('parseIdempotencyKey', () => {
  it('accepts a Structured Field string, as the draft specifies, and returns the key without its quotes', () => {
    expect(parseIdempotencyKey(`"${UUID}"`)).toEqual({ kind: 'present', key: UUID });
  });

  it('accepts a bare token, as many clients send, and gives the same key as the quoted form', () => {
    expect(parseIdempotencyKey(UUID)).toEqual({ kind: 'present', key: UUID });
  });

  it('ignores spaces and tabs around the value', () => {
    expect(parseIdempotencyKey(` \t"${UUID}"\t `)).toEqual({ kind: 'present', key: UUID });
  });

  it('accepts ULIDs, base64 and base64url tokens', () => {
    for (const key of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'q83vEjRWeJA=', 'q83v_EjR-WeJA', 'order:42/retry.1']) {
      expect(parseIdempotencyKey(key)).toEqual({ kind: 'present', key });
    }
  });

  it(`accepts a key of exactly ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`, () => {
    const key = 'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH);
    expect(parseIdempotencyKey(`"${key}"`)).toEqual({ kind: 'present', key });
  });

  it(`refuses a key longer than ${IDEMPOTENCY_KEY_MAX_LENGTH} characters, naming the limit and the length`, () => {
    expect(parseIdempotencyKey('k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH + 1))).toEqual({
      kind: 'invalid',
      rule: 'must be at most 255 characters long, got 256',
    });
  });

  it('refuses an empty value and an empty quoted string', () => {
    expect(parseIdempotencyKey('')).toEqual({ kind: 'invalid', rule: 'must not be empty' });
    expect(parseIdempotencyKey('""')).toEqual({ kind: 'invalid', rule: 'must not be empty' });
    expect(parseIdempotencyKey('   ')).toEqual({ kind: 'invalid', rule: 'must not be empty' });
  });

  it('refuses a space inside the key, naming the character and its position', () => {
    expect(parseIdempotencyKey('"order 42"')).toEqual({
      kind: 'invalid',
      rule: 'must contain only visible ASCII characters other than double quote, comma and backslash, got " " at position 6',
    });
  });

  it('refuses non-ASCII characters', () => {
    expect(parseIdempotencyKey('clé')).toEqual({
      kind: 'invalid',
      rule: 'must contain only visible ASCII characters other than double quote, comma and backslash, got "é" at position 3',
    });
  });

  it('refuses a backslash (Structured Field escapes are not supported in keys)', () => {
    expect(parseIdempotencyKey('"a\\"b"')).toMatchObject({ kind: 'invalid' });
    expect(parseIdempotencyKey('a\\b')).toEqual({
      kind: 'invalid',
      rule: 'must contain only visible ASCII characters other than double quote, comma and backslash, got "\\\\" at position 2',
    });
  });

  it('refuses an opening quote without a closing one', () => {
    expect(parseIdempotencyKey(`"${UUID}`)).toEqual({ kind: 'invalid', rule: 'must end with a double quote when it starts with one' });
  });

  it('refuses a comma-separated list, the form of a header sent twice through an HTTP API', () => {
    expect(parseIdempotencyKey('"a", "b"')).toEqual({
      kind: 'invalid',
      rule: 'must hold a single key, got a comma-separated list (was the header sent twice?)',
    });
  });

  it('refuses Structured Field parameters after the string', () => {
    expect(parseIdempotencyKey('"abc";v=1')).toEqual({ kind: 'invalid', rule: 'must end with a double quote when it starts with one' });
  });
});

describe('parseIdempotencyKey properties', () => {
  const allowed = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) =>
    IDEMPOTENCY_KEY_PATTERN.test(c),
  );
  const validKey = fc.string({ unit: fc.constantFrom(...allowed), minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH });

  it('allows exactly the visible ASCII characters other than double quote, comma and backslash', () => {
    expect(allowed).toHaveLength(94 - 3);
    expect(allowed).not.toEqual(expect.arrayContaining(['"', ',', '\\']));
  });

  it('gives the same key for the bare and the quoted form of any valid key', () => {
    fc.assert(
      fc.property(validKey, (key) => {
        expect(parseIdempotencyKey(key)).toEqual({ kind: 'present', key });
        expect(parseIdempotencyKey(`"${key}"`)).toEqual({ kind: 'present', key });
      }),
    );
  });

  it('refuses any key with a character outside the allowed set inside it', () => {
    const outside = fc.constantFrom(' ', '\t', '"', ',', '\\', '\u00e9', '\u0000', '\u007f');
    const shortKey = fc.string({ unit: fc.constantFrom(...allowed), minLength: 2, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH - 1 });
    fc.assert(
      fc.property(shortKey, outside, fc.nat(), (key, bad, at) => {
        // Inside the key: spaces and tabs around the value are optional whitespace, a leading quote opens a string.
        const index = 1 + (at % (key.length - 1));
        expect(parseIdempotencyKey(`${key.slice(0, index)}${bad}${key.slice(index)}`).kind).toBe('invalid');
      }),
    );
  });
});

describe('readKeyHeader', () => {
  it.each(['Idempotency-Key', 'idempotency-key', 'IDEMPOTENCY-KEY', 'iDeMpOtEnCy-KeY'])(
    'finds the header named %s in a REST event, whatever the case',
    (name) => {
      expect(readKeyHeader(restApiEvent({ headers: { [name]: UUID } }), 'Idempotency-Key')).toEqual({ kind: 'present', key: UUID });
    },
  );

  it('finds the header in HTTP API and Function URL events (whose header names arrive lower-cased)', () => {
    expect(readKeyHeader(httpApiEvent({ headers: { 'Idempotency-Key': UUID } }), 'Idempotency-Key')).toEqual({
      kind: 'present',
      key: UUID,
    });
    expect(readKeyHeader(functionUrlEvent({ headers: { 'Idempotency-Key': UUID } }), 'Idempotency-Key')).toEqual({
      kind: 'present',
      key: UUID,
    });
  });

  it('matches a configured header name case-insensitively', () => {
    expect(readKeyHeader(httpApiEvent({ headers: { 'x-request-key': 'k1' } }), 'X-Request-Key')).toEqual({ kind: 'present', key: 'k1' });
  });

  it('reports no header as absent', () => {
    expect(readKeyHeader(restApiEvent(), 'Idempotency-Key')).toEqual({ kind: 'absent' });
    expect(readKeyHeader(functionUrlEvent(), 'Idempotency-Key')).toEqual({ kind: 'absent' });
  });

  it('reports a REST event without any headers (null maps) as absent', () => {
    const event = { ...restApiEvent(), headers: null, multiValueHeaders: null };
    expect(readKeyHeader(event, 'Idempotency-Key')).toEqual({ kind: 'absent' });
  });

  it('refuses a header sent twice, as a REST event shows it in multiValueHeaders', () => {
    const event = restApiEvent({ multiValueHeaders: { 'Idempotency-Key': ['a', 'b'] } });
    expect(event.headers['Idempotency-Key']).toBe('b');
    expect(readKeyHeader(event, 'Idempotency-Key')).toEqual({ kind: 'invalid', rule: 'must be sent once, got 2 values' });
  });

  it('refuses a header sent twice under two spellings', () => {
    const event = restApiEvent({ headers: { 'Idempotency-Key': 'a', 'idempotency-key': 'a' } });
    expect(readKeyHeader(event, 'Idempotency-Key')).toEqual({ kind: 'invalid', rule: 'must be sent once, got 2 values' });
  });

  it('refuses a header sent twice, as an HTTP API joins it with a comma', () => {
    const event = httpApiEvent({ headers: { 'idempotency-key': '"a","b"' } });
    expect(readKeyHeader(event, 'Idempotency-Key')).toMatchObject({ kind: 'invalid', rule: expect.stringContaining('comma-separated') });
  });

  it('ignores non-string values of other headers (only the key header is read)', () => {
    const event = { ...restApiEvent({ headers: { 'Idempotency-Key': UUID } }), headers: { 'Idempotency-Key': UUID, 'Content-Length': 12 } };
    expect(readKeyHeader(event as unknown as APIGatewayProxyEvent, 'Idempotency-Key')).toEqual({ kind: 'present', key: UUID });
  });
});

describe('readKeyHeader on malformed events (the gateway always sends header values as strings)', () => {
  const restWith = (changes: Record<string, unknown>): APIGatewayProxyEvent => ({
    ...restApiEvent({ headers: { 'Idempotency-Key': UUID } }),
    ...changes,
  });

  it('refuses a numeric key header value with IdempotencyConfigError instead of coercing it', () => {
    const attempt = (): unknown =>
      readKeyHeader(restWith({ headers: { 'Idempotency-Key': 123 }, multiValueHeaders: null }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('the key header `headers["Idempotency-Key"]` is 123, but the gateway always sends header values as strings');
  });

  it('refuses a key header value that is an array in `headers`', () => {
    const attempt = (): unknown =>
      readKeyHeader(restWith({ headers: { 'idempotency-key': [UUID] }, multiValueHeaders: null }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('the key header `headers["idempotency-key"]` is an array');
  });

  it('refuses a numeric value in the multiValueHeaders list of the key header', () => {
    const attempt = (): unknown => readKeyHeader(restWith({ multiValueHeaders: { 'Idempotency-Key': [UUID, 7] } }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('the key header `multiValueHeaders["Idempotency-Key"][1]` is 7');
  });

  it('refuses a multiValueHeaders entry of the key header that is not an array (a string would be read character by character)', () => {
    const attempt = (): unknown => readKeyHeader(restWith({ multiValueHeaders: { 'Idempotency-Key': 'abc' } }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('`multiValueHeaders["Idempotency-Key"]` is "abc", but the gateway always sends an array of strings');
  });

  it('refuses a `headers` member that is not an object', () => {
    const attempt = (): unknown =>
      readKeyHeader(restWith({ headers: `Idempotency-Key: ${UUID}`, multiValueHeaders: null }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(
      '`headers` is "Idempotency-Key: 8e03978e-40d5-43e8-bc93-6894a57f9324", but the gateway always sends an object of header names to strings',
    );
  });

  it('refuses a `multiValueHeaders` member that is not an object', () => {
    const attempt = (): unknown => readKeyHeader(restWith({ multiValueHeaders: [[UUID]] }), 'Idempotency-Key');
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow('`multiValueHeaders` is an array, but the gateway always sends an object of header names to arrays of strings');
  });
});
