/**
 * What the consumer processes of the process-kill chaos run and their parent tell each other: the
 * configuration a child gets, the lines it appends to its delivery log, and its IPC messages.
 *
 * The delivery log is the record the invariants rely on: each line is written with a synchronous write
 * before the child moves on, so a line in the file happened, and an invocation with a `start` line and no
 * `end` line was still running when its process died.
 */
import { readFileSync } from 'node:fs';

/** Environment variable carrying a child's {@link ChildConfig} as JSON. */
export const CHILD_CONFIG_ENV = 'EO_CHAOS_CHILD_CONFIG';
/** Exit code of a child whose invocation reached its function timeout (Lambda stops the runtime there). */
export const TIMEOUT_EXIT_CODE = 124;

/** Everything a consumer process needs. */
export interface ChildConfig {
  readonly child: number;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly idempotencyTable: string;
  readonly ledgerTable: string;
  readonly queueUrls: readonly string[];
  /** The effects server (payments API and notifier). */
  readonly effectsUrl: string;
  /** The delivery log to append to. */
  readonly logFile: string;
  /** Function timeout of each invocation, in milliseconds. */
  readonly timeoutMs: number;
}

/** One record of an invocation, as logged. */
export interface LoggedRecord {
  readonly messageId: string;
  /** The business event (or poison message) id. */
  readonly id: string;
  readonly receiveCount: number;
}

/** A line of a child's delivery log. */
export type LogLine =
  | { readonly t: 'ready'; readonly child: number; readonly pid: number; readonly at: number }
  | { readonly t: 'start'; readonly child: number; readonly inv: number; readonly at: number; readonly records: readonly LoggedRecord[] }
  | {
      readonly t: 'end';
      readonly child: number;
      readonly inv: number;
      readonly at: number;
      /** Records reported failed (left for redelivery); the others were acknowledged. */
      readonly failed: readonly string[];
      /** The invocation threw (the whole batch failed). */
      readonly error?: string;
    }
  | { readonly t: 'timeout'; readonly child: number; readonly inv: number; readonly at: number }
  | { readonly t: 'stopped'; readonly child: number; readonly at: number };

/** A child's IPC message to its parent (for live decisions only: the log is the record). */
export type ChildMessage =
  | { readonly t: 'ready' }
  | { readonly t: 'start'; readonly inv: number; readonly records: number; readonly maxReceiveCount: number }
  | { readonly t: 'end'; readonly inv: number };

/** The parent's IPC message to a child. */
export type ParentMessage = { readonly t: 'stop' };

/** Reads a delivery log; a line cut short by a kill mid-write is skipped (it never completed). */
export function readLog(file: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial last line
    }
  }
  return lines;
}
