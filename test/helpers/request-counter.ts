import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Counts the requests a client sends, by command name (retries included: counted at the wire). */
export interface RequestCounter {
  /** Requests by command name, e.g. `{ PutItemCommand: 1 }`. */
  readonly counts: Record<string, number>;
  total(): number;
  reset(): void;
  remove(): void;
}

let sequence = 0;

/** Adds a counting middleware to `client` (inside the retry loop, so each attempt counts). */
export function countRequests(client: DynamoDBClient): RequestCounter {
  const counts: Record<string, number> = {};
  const name = `requestCounter${(sequence += 1)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name, priority: 'low' },
  );
  return {
    counts,
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    remove: () => {
      client.middlewareStack.remove(name);
    },
  };
}

/**
 * Makes the next response of `commandName` get lost after DynamoDB applied the request: the caller sees
 * a transient network error, so the SDK's retry meets its own write.
 */
export function loseNextResponse(client: DynamoDBClient, commandName: string): { lost(): number; remove(): void } {
  let pending = 1;
  let lost = 0;
  const name = `loseResponse${(sequence += 1)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === commandName && pending > 0) {
        pending -= 1;
        lost += 1;
        throw Object.assign(new Error('socket hang up (response lost after the request was applied)'), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      }
      return output;
    },
    { step: 'deserialize', name },
  );
  return { lost: () => lost, remove: () => void client.middlewareStack.remove(name) };
}
