import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeHandlerOutput,
  HandlerExecutionContext,
  MetadataBearer,
} from '@smithy/types';

/** Per SDK command (`TransactWriteItemsCommand`, ...): attempts, and the faults `withFaults` injected into them. */
export interface CommandFaults {
  readonly attempts: number;
  readonly throttled: number;
  readonly lostResponses: number;
}

/** Counts of a {@link tallyFaults} middleware. */
export type FaultTally = Readonly<Record<string, CommandFaults>>;

const NAME = 'chaosFaultTally';
/** withFaults marks the errors it injects with this phrase. */
const INJECTED = 'injected by effectively-once/testing';

/**
 * Counts, per command, the attempts of a client and the faults `withFaults` injected into them. Add it
 * AFTER the injectors: it then sits outside them (between the SDK's retry middleware and the injectors)
 * and sees each attempt's outcome as the retry strategy does.
 */
export function tallyFaults(client: DynamoDBClient): { counts(): FaultTally; remove(): void } {
  const counts: Record<string, { attempts: number; throttled: number; lostResponses: number }> = {};
  const middleware =
    (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<MetadataBearer>> => {
      const name = context.commandName ?? 'unknown';
      const entry = (counts[name] ??= { attempts: 0, throttled: 0, lostResponses: 0 });
      entry.attempts += 1;
      try {
        return await next(args);
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        if (message.includes(INJECTED)) {
          if ((error as { code?: unknown }).code === 'ECONNRESET' || (error as Error).name === 'TimeoutError') entry.lostResponses += 1;
          else entry.throttled += 1;
        }
        throw error;
      }
    };
  client.middlewareStack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: NAME, override: false });
  return {
    counts: () => Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, { ...c }])),
    remove: () => {
      client.middlewareStack.remove(NAME);
    },
  };
}

/** Sums the tally over some commands (all of them when `commands` is not given). */
export function sumFaults(tally: FaultTally, commands?: readonly string[]): CommandFaults {
  const sum = { attempts: 0, throttled: 0, lostResponses: 0 };
  for (const [name, c] of Object.entries(tally)) {
    if (commands !== undefined && !commands.includes(name)) continue;
    sum.attempts += c.attempts;
    sum.throttled += c.throttled;
    sum.lostResponses += c.lostResponses;
  }
  return sum;
}
