/**
 * The errors `withFaults` injects, shaped as the AWS SDK v3 and Node's HTTP stack raise them, so that the SDK's
 * retry strategy and the library classify them as they would the real ones.
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';

/** A request id as AWS writes them (32 upper-case letters and digits), drawn from `random`. */
export function fakeRequestId(random: () => number): string {
  return Array.from({ length: 32 }, () => Math.floor(random() * 36).toString(36))
    .join('')
    .toUpperCase();
}

/** A throttling error as the SDK deserialises it (a DynamoDB exception class when there is one). */
export function throttlingError(name: string, serviceId: string | undefined, requestId: string): Error {
  const message = 'Rate of requests exceeds the allowed throughput (injected by effectively-once/testing withFaults).';
  const $metadata = { httpStatusCode: 400, requestId, attempts: 1, totalRetryDelay: 0 };
  if (serviceId === 'DynamoDB') {
    const candidate = (dynamodb as Record<string, unknown>)[name];
    if (typeof candidate === 'function' && candidate.prototype instanceof dynamodb.DynamoDBServiceException) {
      const Exception = candidate as new (options: { message: string; $metadata: object }) => Error;
      return new Exception({ message, $metadata });
    }
  }
  return Object.assign(new Error(message), {
    name,
    $fault: 'client' as const,
    $metadata,
    $retryable: { throttling: true },
  });
}

/** The error Node's HTTP stack (or the SDK's handler) raises when a response never arrives. */
export function networkError(kind: 'ECONNRESET' | 'TimeoutError'): Error {
  if (kind === 'TimeoutError') {
    return Object.assign(new Error('Request timed out (response lost, injected by effectively-once/testing)'), {
      name: 'TimeoutError',
    });
  }
  return Object.assign(new Error('socket hang up (response lost, injected by effectively-once/testing)'), {
    code: 'ECONNRESET',
  });
}

/** The error a request to a service that is down fails with: the connection is refused. */
export function unreachableError(): Error {
  return Object.assign(new Error('connect ECONNREFUSED (service unreachable, injected by effectively-once/testing)'), {
    code: 'ECONNREFUSED',
  });
}
