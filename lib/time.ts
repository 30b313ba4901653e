/**
 * Waiting, the one way the library waits: `sleep` for a pause, `backoffMs` for the pause before the next
 * attempt of something that failed or found nothing yet. Both read the global timer when called, so a test or
 * the simulator that replaces `setTimeout` with a virtual clock controls every wait of the library.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How the pause between attempts grows. */
export interface Backoff {
  /** The pause after the first attempt, in milliseconds. */
  readonly firstMs: number;
  /** The longest pause, in milliseconds. */
  readonly maxMs: number;
  /**
   * `full`: a random pause between 0 and the capped exponential one (spreads retries of many callers);
   * `around`: between half and one and a half times it.
   */
  readonly jitter?: 'none' | 'full' | 'around';
}

/** The pause after attempt `attempt` (1 for the first): `firstMs` doubled per attempt, capped at `maxMs`. */
export function backoffMs(backoff: Backoff, attempt: number): number {
  const capped = Math.min(backoff.maxMs, backoff.firstMs * 2 ** (attempt - 1));
  if (backoff.jitter === 'full') return Math.random() * capped;
  if (backoff.jitter === 'around') return capped * (0.5 + Math.random());
  return capped;
}
