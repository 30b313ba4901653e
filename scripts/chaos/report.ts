import type { ChaosSummary } from './engine';
import type { ProcessChaosSummary } from './processes';
import { INVARIANTS, type InvariantResult } from './verify';

const n = (value: number): string => value.toLocaleString('en-US');

/** The rows of the summary table: label and value, for one or several runs. */
function rows(summary: ChaosSummary): Array<[string, string]> {
  const c = summary.crashes;
  const f = summary.faults;
  const p = summary.plainEffect;
  return [
    [
      'messages sent',
      `${n(summary.messagesSent)} (${n(summary.businessEvents)} business events sent 1-3 times, ${n(summary.poisonMessages)} poison)`,
    ],
    ['deliveries', n(summary.deliveries)],
    ['duplicates suppressed', n(summary.duplicatesSuppressed)],
    [
      'crashes injected',
      `${n(c.total)} (${n(c.thrown)} thrown, ${n(c.abandoned)} abandoned past the lease; before claim ${n(c.byPoint['before-claim'])}, ` +
        `after claim ${n(c.byPoint['record-start'])}, after external call ${n(c.byPoint['after-external-call'])}, ` +
        `between steps ${n(c.byPoint['between-steps'])}, after plain effect ${n(c.byPoint['after-plain-effect'])}, ` +
        `after commit ${n(c.byPoint['after-commit'])})`,
    ],
    [
      'faults injected',
      `${n(f.total)} (DynamoDB, SDK default retries: ${n(f.throttled)} of ${n(f.requests)} attempts throttled, ${n(f.lostResponses)} responses lost; ` +
        `payments API: ${n(f.apiLostResponses)} responses lost)`,
    ],
    ...(summary.slowStore
      ? [
          [
            'faults of time (slow store)',
            `${n(f.slowAnswers)} DynamoDB answers late by up to twice the lease, ${n(f.outaged)} requests throttled in 3 s outages every 20 s`,
          ] as [string, string],
        ]
      : []),
    [
      'DynamoDB faults by command',
      `completions, checkpoints and batched writes (UpdateItem, TransactWriteItems, BatchExecuteStatement): ${n(f.completions.throttled)} throttled, ` +
        `${n(f.completions.lostResponses)} lost of ${n(f.completions.requests)}; ${commandFaults(summary)}`,
    ],
    [
      'plain effect (notifications)',
      `${n(p.sent)} sent, ${n(p.repeats)} repeats (${n(p.eventsRepeated)} events), ${n(p.crashedAfterEffect)} crash points between it and the completion ` +
        `(${n(p.crashedAfterEffect - p.timedOutAfterEffect - p.gaveUpStoring)} injected crashes, ${n(p.timedOutAfterEffect)} stopped by the function timeout, ${n(p.timedOutDuringCompletion)} of them with the completion in flight, ` +
        `${n(p.gaveUpStoring)} completions given up in time with IdempotencyStoreError), ` +
        `${n(p.unexplainedRepeats)} repeats beyond them; returned with it not stored: ${n(p.notStored)}${notStoredErrors(p.notStoredErrors)}; ` +
        `${n(p.refusedPastTimeout)} refused past the function timeout`,
    ],
    ['handler timeouts', n(summary.handlerTimeouts)],
    [
      'effects applied',
      `${n(summary.effects.ledgerEntries)} ledger entries, ${n(summary.effects.externalCalls)} external calls ` +
        `(${n(summary.effects.externalRequests)} requests)`,
    ],
    ['violations', n(summary.violations)],
    ['time', `${(summary.durationMs / 1000).toFixed(1)} s`],
  ];
}

/** Faults per command, e.g. `TransactWriteItems: 270 throttled, 66 lost of 1,363`. */
function commandFaults(summary: ChaosSummary): string {
  return Object.entries(summary.faults.byCommand)
    .filter(([, c]) => c.lostResponses + c.throttled > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `${name.replace(/Command$/, '')}: ${n(c.throttled)} throttled, ${n(c.lostResponses)} lost of ${n(c.attempts)}`)
    .join('; ');
}

/** A Markdown table of one run. */
export function formatSummary(summary: ChaosSummary): string {
  const lines = [`| ${summary.mode}, seed ${summary.seed}, crash rate ${summary.crashRate} | |`, '|---|---:|'];
  for (const [label, value] of rows(summary)) lines.push(`| ${label} | ${value} |`);
  return lines.join('\n');
}

/** The invariants of a run, one line each, with a few offenders of those that failed. */
export function formatInvariants(summary: { readonly invariants: readonly InvariantResult[] }): string {
  return summary.invariants
    .map((invariant) => {
      const mark = invariant.violations === 0 ? 'ok  ' : 'FAIL';
      const examples = invariant.examples.length === 0 ? '' : `\n       e.g. ${invariant.examples.join('\n            ')}`;
      return `  ${mark} ${invariant.name}: ${n(invariant.violations)} violation(s)${examples}`;
    })
    .join('\n');
}

/** A Markdown table of one process-kill run. */
export function formatProcessSummary(summary: ProcessChaosSummary): string {
  const k = summary.kills;
  const p = summary.plainEffect;
  const rows: Array<[string, string]> = [
    [
      'messages sent',
      `${n(summary.messagesSent)} (${n(summary.businessEvents)} business events sent 1-3 times, ${n(summary.poisonMessages)} poison)`,
    ],
    ['consumer processes', `${n(summary.processes)} at a time; ${n(summary.replacements)} replacements started`],
    [
      'SIGKILLs',
      `${n(k.total)} (${n(k.random)} at random moments, ${n(k.afterNotification)} as a notification arrived; ${n(k.skipped)} skipped: a record received more than 3 times)`,
    ],
    [
      'processes ended by a function timeout',
      `${n(summary.timeouts)}${summary.timeoutDetails.length === 0 ? '' : `: ${summary.timeoutDetails.join('; ')}`}`,
    ],
    ['processes ended otherwise', n(summary.unexpectedExits)],
    [
      'deliveries',
      `${n(summary.deliveries)} (${n(summary.acknowledged)} acknowledged, ${n(summary.killedMidInvocation)} killed mid-invocation)`,
    ],
    [
      'plain effect (notifications)',
      `${n(p.sent)} sent, ${n(p.repeats)} repeats (${n(p.eventsRepeated)} events); sent by deliveries whose process then died mid-invocation: ` +
        `${n(p.crashedAfterEffect)} (${n(p.killedAfterEffect)} SIGKILLed, ${n(p.timedOutAfterEffect)} stopped by the function timeout); ${n(p.unexplainedRepeats)} repeats beyond them`,
    ],
    [
      'effects applied',
      `${n(summary.effects.ledgerEntries)} ledger entries, ${n(summary.effects.externalCalls)} external calls ` +
        `(${n(summary.effects.externalRequests)} requests, ${n(summary.apiLostResponses)} responses lost)`,
    ],
    ['violations', n(summary.violations)],
    ['time', `${(summary.durationMs / 1000).toFixed(1)} s`],
  ];
  const lines = [`| ${summary.processes} processes killed at random, seed ${summary.seed} | |`, '|---|---:|'];
  for (const [label, value] of rows) lines.push(`| ${label} | ${value} |`);
  for (const error of summary.childErrors) lines.push(`\nchild error: ${error}`);
  return lines.join('\n');
}

/** The short rows compared side by side by the demo. */
function shortRows(summary: ChaosSummary): Array<[string, string]> {
  return [
    ['messages sent', n(summary.messagesSent)],
    ['business events', n(summary.businessEvents)],
    ['deliveries', n(summary.deliveries)],
    ['duplicates suppressed', n(summary.duplicatesSuppressed)],
    ['crashes injected', n(summary.crashes.total)],
    ['faults injected', n(summary.faults.total)],
    ['ledger entries written', n(summary.effects.ledgerEntries)],
    ['external calls applied (charges)', n(summary.effects.externalCalls)],
    ['plain effects sent (notifications)', n(summary.plainEffect.sent)],
    ['violations', n(summary.violations)],
    ...summary.invariants.map((i): [string, string] => [`  ${SHORT_INVARIANT_NAMES[i.name] ?? i.name}`, n(i.violations)]),
    ['time', `${(summary.durationMs / 1000).toFixed(1)} s`],
  ];
}

/** The invariants as the demo's table names them, so that it fits an 80-column terminal. */
const SHORT_INVARIANT_NAMES: Readonly<Record<string, string>> = {
  [INVARIANTS.ledger]: 'one ledger entry per event',
  [INVARIANTS.external]: 'one external call per event',
  [INVARIANTS.lost]: 'no event lost',
  [INVARIANTS.balances]: 'balances add up',
  [INVARIANTS.inProgress]: 'nothing left in progress',
  [INVARIANTS.dlq]: 'DLQs hold only poison messages',
  [INVARIANTS.drained]: 'queues drained',
};

/** Several runs side by side (the demo: with and without effectively-once), within 80 columns. */
export function formatComparison(summaries: readonly ChaosSummary[]): string {
  const table = [['', ...summaries.map((s) => (s.mode === 'plain' ? 'without' : 'effectively-once'))]];
  const columns = summaries.map(shortRows);
  columns[0]?.forEach(([label], index) => table.push([label, ...columns.map((col) => col[index]?.[1] ?? '')]));
  const widths = (table[0] ?? []).map((_, col) => Math.max(...table.map((row) => (row[col] ?? '').length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, col) => (col === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(table[0] ?? []), rule, ...table.slice(1).map(line)].join('\n');
}

/** ` (completion errors: IdempotencyStoreError ×2)`, or nothing when none failed. */
function notStoredErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '' : ` (completion errors: ${entries.map(([name, count]) => `${name} ×${count}`).join(', ')})`;
}
