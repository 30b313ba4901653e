/**
 * The plain-effect invariant: a notification sent with no idempotency key and outside the transaction may
 * be sent again for a business event only when a delivery of that event was stopped between sending it and
 * completing its record: an injected crash, a SIGKILL, or the function timeout (Lambda stops the process
 * there; the report counts these apart). Nothing downstream can tell the second notification from the
 * first. Any other repeat is a violation, including one after a completion the library gave up on.
 */
import type { InvariantResult } from './verify';

/** Invariant name, as the summary and the tests print it. */
export const PLAIN_EFFECT_INVARIANT = 'the plain effect repeats only where a crash hit between it and the completion';

const EXAMPLES = 5;

/** Counts behind the plain-effect invariant. */
export interface PlainEffectCounts {
  /** Plain effects sent in all. */
  readonly sent: number;
  /** Sent beyond the first, summed over the business events. */
  readonly repeats: number;
  /** Business events whose plain effect was sent more than once. */
  readonly eventsRepeated: number;
  /** Deliveries that sent the plain effect and then were crashed (or killed) before their record completed: repeats allowed. */
  readonly crashedAfterEffect: number;
  /** Repeats beyond what those deliveries allow, summed over the business events. */
  readonly unexplainedRepeats: number;
}

/**
 * Checks, per business event, repeats <= deliveries crashed between the effect and the completion.
 * @param sent plain effects sent per business event
 * @param crashedAfterEffect per business event, the deliveries that sent the effect and were crashed before completing
 * @param describe extra words on an offender (what its deliveries did), for the report
 */
export function checkPlainEffect(
  sent: ReadonlyMap<string, number>,
  crashedAfterEffect: ReadonlyMap<string, number>,
  describe: (eventId: string) => string = () => '',
): { result: InvariantResult; counts: PlainEffectCounts } {
  let total = 0;
  let repeats = 0;
  let eventsRepeated = 0;
  let unexplainedRepeats = 0;
  const offenders: string[] = [];
  for (const [eventId, count] of sent) {
    total += count;
    const repeated = Math.max(0, count - 1);
    if (repeated === 0) continue;
    repeats += repeated;
    eventsRepeated += 1;
    const allowed = crashedAfterEffect.get(eventId) ?? 0;
    if (repeated > allowed) {
      unexplainedRepeats += repeated - allowed;
      const extra = describe(eventId);
      offenders.push(
        `${eventId}: sent ${count} times, ${allowed} crash(es) between it and the completion${extra === '' ? '' : ` (${extra})`}`,
      );
    }
  }
  let crashed = 0;
  for (const count of crashedAfterEffect.values()) crashed += count;
  return {
    result: { name: PLAIN_EFFECT_INVARIANT, violations: offenders.length, examples: offenders.slice(0, EXAMPLES) },
    counts: { sent: total, repeats, eventsRepeated, crashedAfterEffect: crashed, unexplainedRepeats },
  };
}
