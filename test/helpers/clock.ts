/** A clock tests move by hand, to expire leases and records without sleeping. */
export interface ManualClock {
  (): number;
  advance(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}
