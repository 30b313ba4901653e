/**
 * Faults injected at a Valkey client by wrapping it (never a mock store): throttling (an error reply before
 * the command reaches the server, as a busy or resharding server answers) and lost answers (the command
 * applied, its reply lost as a reset connection would lose it). Every command the store sends is counted.
 */
import { mulberry32 } from '../../../lib/testing/faults';
import type { ValkeyCallClient, ValkeyClient } from '../../../lib/valkey';

/** What to inject, as shares of the commands sent. */
export interface ValkeyFaultOptions {
  readonly seed: number;
  /** Share of commands refused before they reach the server. @default 0 */
  readonly throttleRate?: number;
  /** Share of commands applied whose reply is lost. @default 0 */
  readonly lostAnswerRate?: number;
  /** Only these commands get faults (the first word, upper case). @default - every command */
  readonly commands?: readonly string[];
}

/** What was sent and injected, by command (EVALSHA counted under the script's first line name when known). */
export interface ValkeyFaultTally {
  commands: number;
  throttled: number;
  lostAnswers: number;
  readonly byCommand: Record<string, number>;
}

/** A client that injects faults into `client`'s commands, and their tally. */
export function withValkeyFaults(client: ValkeyClient, options: ValkeyFaultOptions): { client: ValkeyCallClient; tally: ValkeyFaultTally } {
  const random = mulberry32(options.seed);
  const send = (args: string[]): Promise<unknown> =>
    'call' in client ? client.call(args[0] as string, ...args.slice(1)) : client.sendCommand(args);
  const tally: ValkeyFaultTally = { commands: 0, throttled: 0, lostAnswers: 0, byCommand: {} };
  const only = options.commands === undefined ? undefined : new Set(options.commands);
  const wrapped: ValkeyCallClient = {
    call: async (command, ...args) => {
      const name = command.toUpperCase();
      tally.commands += 1;
      tally.byCommand[name] = (tally.byCommand[name] ?? 0) + 1;
      const faulty = only === undefined || only.has(name);
      if (faulty && random() < (options.throttleRate ?? 0)) {
        tally.throttled += 1;
        throw Object.assign(new Error('TRYAGAIN injected throttle: the command was not sent'), { name: 'ReplyError' });
      }
      const reply = await send([command, ...args]);
      if (faulty && random() < (options.lostAnswerRate ?? 0)) {
        tally.lostAnswers += 1;
        throw Object.assign(new Error('read ECONNRESET (injected: the command was applied, its answer lost)'), { code: 'ECONNRESET' });
      }
      return reply;
    },
  };
  return { client: wrapped, tally };
}
