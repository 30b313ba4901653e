/**
 * The network round trip of the Lambda model: every request attempt waits `ms` before it goes to the
 * wire, idle (a timer, no CPU), as a function in a VPC waits for DynamoDB's answer. DynamoDB Local
 * answers from the same machine in well under a millisecond of network time, so without it the
 * benchmark would reward sending many requests one after another.
 *
 * The middleware sits at the `finalizeRequest` step with low priority, inside the SDK's retry middleware
 * (`finalizeRequest`, high priority): each attempt, retries included, pays the round trip.
 * test/bench/round-trip.test.ts counts the attempts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Waits `ms` milliseconds without using the CPU. */
export type Sleep = (ms: number) => Promise<void>;

/** The middleware's name in the client's stack. */
export const ROUND_TRIP_MIDDLEWARE = 'benchRoundTrip';

const timerSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Adds a wait of `ms` milliseconds to every attempt of every request `client` sends (a no-op for 0).
 * Node's timers fire at least `ms` later, usually within the next millisecond.
 * @param sleep how to wait (a timer; tests pass a counting one)
 * @throws RangeError when `ms` is negative or not finite
 */
export function addRoundTrip(client: Pick<DynamoDBClient, 'middlewareStack'>, ms: number, sleep: Sleep = timerSleep): void {
  if (!(Number.isFinite(ms) && ms >= 0))
    throw new RangeError(`Expected the round trip to be a finite number of milliseconds ≥ 0, got ${ms}`);
  if (ms === 0) return;
  client.middlewareStack.add(
    (next) => async (args) => {
      await sleep(ms);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: ROUND_TRIP_MIDDLEWARE },
  );
}
