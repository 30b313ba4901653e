import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { IdempotencyConfigError } from '../../lib/errors';
import { ANONYMOUS_SCOPE, makeIdempotentHttpHandler, type IdempotentHttpOptions } from '../../lib/http';
import { hashValue } from '../../lib/keys/hash';
import { InMemoryStore } from '../../lib/persistence/memory';
import { lambdaContext, restApiEvent } from '../helpers/http-events';

const ok = async (): Promise<APIGatewayProxyResult> => ({ statusCode: 200, body: 'ok' });
const store = new InMemoryStore();

function wrapWith(options: unknown): () => unknown {
  return () => makeIdempotentHttpHandler(ok, options as IdempotentHttpOptions<APIGatewayProxyEvent>);
}

describe('makeIdempotentHttpHandler options', () => {
  it('refuses a handler that is not a function', () => {
    const attempt = (): unknown => makeIdempotentHttpHandler('nope' as never, { store });
    expect(attempt).toThrow(IdempotencyConfigError);
    expect(attempt).toThrow(`Expected makeIdempotentHttpHandler's first argument to be a function, got "nope"`);
  });

  it('refuses missing options', () => {
    expect(wrapWith(undefined)).toThrow(IdempotencyConfigError);
    expect(wrapWith(undefined)).toThrow('Expected options to be an object with at least `store`, got undefined');
  });

  it('refuses an unknown option, listing the known ones', () => {
    expect(wrapWith({ store, headername: 'X' })).toThrow(IdempotencyConfigError);
    expect(wrapWith({ store, headername: 'X' })).toThrow(
      'Unknown option `headername` of makeIdempotentHttpHandler: did you mean `headerName`? (known options: store, name, expiresAfterSeconds, leaseSeconds, localCache, maxResultBytes, logger, metrics, clock, clockSkewMs, completionRetrySeconds, onInProgress, fingerprint, headerName, requiredFor, scope, problemTypeBase)',
    );
  });

  it.each([
    ['key', 'the key is the request header (see `headerName`) scoped to the caller (`scope`) and the route'],
    ['onMissingKey', 'which methods require a key is `requiredFor`'],
    ['cacheErrors', 'responses below 500 are stored, 5xx responses and thrown errors release the key'],
    ['mode', "a retry must get 409 or the first response while the first request runs, which needs mode 'lease'"],
  ])('refuses the engine option `%s`, saying why', (name, why) => {
    expect(wrapWith({ store, [name]: undefined })).toThrow(IdempotencyConfigError);
    expect(wrapWith({ store, [name]: undefined })).toThrow(`\`${name}\` is not an option of makeIdempotentHttpHandler: ${why}`);
  });

  it('refuses a header name that is not an HTTP token', () => {
    expect(wrapWith({ store, headerName: 'Idempotency Key' })).toThrow(IdempotencyConfigError);
    expect(wrapWith({ store, headerName: 'Idempotency Key' })).toThrow(
      'Expected `headerName` to be a header name (an HTTP token such as "Idempotency-Key"), got "Idempotency Key"',
    );
  });

  it('refuses requiredFor that is not an array of methods', () => {
    expect(wrapWith({ store, requiredFor: 'POST' })).toThrow(
      "Expected `requiredFor` to be an array of HTTP methods such as ['POST', 'PATCH'], got \"POST\"",
    );
    expect(wrapWith({ store, requiredFor: ['POST', ''] })).toThrow(
      'Expected `requiredFor` to be an array of HTTP methods such as [\'POST\', \'PATCH\'], got ["POST",""]',
    );
  });

  it('refuses a scope that is not a function', () => {
    expect(wrapWith({ store, scope: 'sub' })).toThrow(IdempotencyConfigError);
    expect(wrapWith({ store, scope: 'sub' })).toThrow(
      'Expected `scope` to be a function of the event returning the caller\'s identity, got "sub"',
    );
  });

  it('refuses a fingerprint that is not a function, a JMESPath string or false', () => {
    expect(wrapWith({ store, fingerprint: true })).toThrow('Expected `fingerprint` to be a function, a JMESPath string or false, got true');
  });

  it('refuses a JMESPath fingerprint that does not compile, at wrap time', () => {
    expect(wrapWith({ store, fingerprint: 'body[' })).toThrow(IdempotencyConfigError);
    expect(wrapWith({ store, fingerprint: 'body[' })).toThrow('Expected `fingerprint` to be a valid JMESPath expression, got "body["');
  });

  it('refuses an empty problemTypeBase', () => {
    expect(wrapWith({ store, problemTypeBase: '' })).toThrow('Expected `problemTypeBase` to be a non-empty string (a URI prefix), got ""');
  });

  it('validates the engine options with the engine (one message per option)', () => {
    expect(wrapWith({ store, expiresAfterSeconds: -1 })).toThrow('Expected `expiresAfterSeconds` to be a positive number, got -1');
    expect(wrapWith({ store: {} })).toThrow('Expected `store` to be an IdempotencyStore');
  });

  it('allows several handlers with the default name in one process (the route is part of every key)', () => {
    expect(() => [makeIdempotentHttpHandler(ok, { store }), makeIdempotentHttpHandler(ok, { store })]).not.toThrow();
  });
});

describe('the stored key', () => {
  const previous = process.env['AWS_LAMBDA_FUNCTION_NAME'];
  afterEach(() => {
    if (previous === undefined) delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
    else process.env['AWS_LAMBDA_FUNCTION_NAME'] = previous;
  });

  it('is `<function name>.http#` and the hash of { scope, route, key }', async () => {
    process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'orders-api';
    const records = new InMemoryStore();
    const handler = makeIdempotentHttpHandler(ok, { store: records });

    await handler(restApiEvent({ resource: '/orders', headers: { 'Idempotency-Key': '"k-1"' }, body: '{}' }), lambdaContext());

    const key = `orders-api.http#${hashValue({ scope: ANONYMOUS_SCOPE, route: 'POST /orders', key: 'k-1' })}`;
    await expect(records.get(key, Date.now())).resolves.toMatchObject({ key, status: 'COMPLETED' });
  });
});
