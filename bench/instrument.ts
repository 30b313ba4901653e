/**
 * Counts the DynamoDB requests of each measured iteration with SDK middleware. The middleware only appends
 * the command name, its input and how it ended to the current log (a few hundred nanoseconds); sizes and
 * billing are computed after the iteration's clock and CPU readings, so they never count as its cost.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LoggedRequest } from './billing';

/** Where the requests of the running iteration go. */
export interface RequestLog {
  readonly requests: LoggedRequest[];
  /** Attempts on the wire (retries included): equal to `requests.length` unless the SDK retried. */
  attempts: number;
}

let current: RequestLog | undefined;
/** When true, every request asks DynamoDB for `ReturnConsumedCapacity: 'TOTAL'` (validation pass only). */
let askCapacity = false;

/** Starts a new log for the next iteration and returns it. */
export function beginLog(): RequestLog {
  current = { requests: [], attempts: 0 };
  return current;
}

/** Stops logging (requests after this are not attributed to any iteration). */
export function endLog(): void {
  current = undefined;
}

/** Turns the consumed-capacity cross-check on or off (it changes the requests, so never while timing). */
export function setCapacityCheck(on: boolean): void {
  askCapacity = on;
}

interface ConsumedCapacityLike {
  CapacityUnits?: number;
}

function reportedUnits(output: unknown): number | undefined {
  const consumed = (output as { ConsumedCapacity?: ConsumedCapacityLike | ConsumedCapacityLike[] } | undefined)?.ConsumedCapacity;
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

/**
 * Commands whose reported capacity the billing model is checked against. Not `TransactWriteItems`:
 * DynamoDB Local reports 2 units for a transaction of any number of small items, where DynamoDB bills 2
 * per item and KB.
 */
const CHECKED_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'GetItemCommand', 'BatchGetItemCommand']);

/** Adds the logging middleware to `client` (once). Every library under test sends through this client. */
export function instrument(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const log = current;
      if (log === undefined) return next(args);
      const command = context.commandName ?? 'unknown';
      const check = askCapacity && CHECKED_COMMANDS.has(command);
      const input = check ? { ...(args.input as Record<string, unknown>), ReturnConsumedCapacity: 'TOTAL' } : args.input;
      try {
        const result = await next(check ? { ...args, input } : args);
        const units = askCapacity ? reportedUnits(result.output) : undefined;
        const responses = (result.output as { Responses?: { Error?: { Code?: string } }[] } | undefined)?.Responses;
        const statementErrors = command === 'BatchExecuteStatementCommand' ? (responses ?? []).map((r) => r.Error?.Code) : undefined;
        log.requests.push({
          command,
          input,
          ...(units === undefined ? {} : { reportedUnits: units }),
          ...(statementErrors === undefined ? {} : { statementErrors }),
        });
        return result;
      } catch (error) {
        log.requests.push({ command, input, errorName: (error as Error).name });
        throw error;
      }
    },
    { step: 'initialize', name: 'benchRequestLog', priority: 'high' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      if (current !== undefined) current.attempts += 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchAttemptCount', priority: 'low' },
  );
}
