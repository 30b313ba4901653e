/** The library's logging: the logger interface it writes through, and the default logger. */
import { DEFAULT_LOG_LEVEL } from './defaults';

/**
 * What the library logs through. A Powertools `Logger` fits (pass one to route the library's lines
 * through your logger's settings); so does any object with these methods.
 */
export interface IdempotencyLogger {
  debug(message: string, ...extra: unknown[]): void;
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 } as const;
type Level = keyof typeof LEVELS;

/**
 * The default logger: structured JSON lines on stdout (the fields a Powertools Logger writes: `level`,
 * `message`, `timestamp`, `service`, plus `error` and any extra object), at WARN and above.
 *
 * It is a few lines rather than a Powertools `Logger` so that a Lambda bundle of the library stays small;
 * pass your own Powertools `Logger` (or any logger with these four methods) as the `logger` option to
 * route the library's lines through it.
 */
export function createDefaultLogger(level: Level = DEFAULT_LOG_LEVEL): IdempotencyLogger {
  const threshold = LEVELS[level];
  const write = (lineLevel: Level, message: string, extra: unknown[]): void => {
    if (LEVELS[lineLevel] < threshold) return;
    const line: Record<string, unknown> = {
      level: lineLevel,
      message,
      timestamp: new Date().toISOString(),
      service: 'effectively-once',
    };
    for (const item of extra) {
      if (item instanceof Error) line['error'] = describeError(item);
      else if (item !== null && typeof item === 'object') Object.assign(line, item);
      else if (item !== undefined) line['extra'] = item;
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (message, ...extra) => write('DEBUG', message, extra),
    info: (message, ...extra) => write('INFO', message, extra),
    warn: (message, ...extra) => write('WARN', message, extra),
    error: (message, ...extra) => write('ERROR', message, extra),
  };
}

function describeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  const key = (error as { key?: unknown }).key;
  if (key !== undefined) out['key'] = key;
  if (error.cause instanceof Error) out['cause'] = describeError(error.cause);
  return out;
}

let sharedLogger: IdempotencyLogger | undefined;

/** The default logger, one for the whole process, created on first use. */
export function sharedDefaultLogger(): IdempotencyLogger {
  sharedLogger ??= createDefaultLogger();
  return sharedLogger;
}
