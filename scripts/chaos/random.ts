import { createHash } from 'node:crypto';
import { mulberry32 } from '../../lib/testing/faults';

/** A seeded generator of numbers in [0, 1) (the kit's mulberry32). */
export type Random = () => number;

/** A new generator for `seed`, separate per `stream` so that adding draws to one never shifts another. */
export function seeded(seed: number, stream: string): Random {
  return mulberry32(hashToInt(`${seed}|${stream}`));
}

/** A number in [0, 1) fixed by `seed` and `key`: the same delivery gets the same draw whatever the timing. */
export function draw(seed: number, key: string): number {
  return hashToInt(`${seed}|${key}`) / 2 ** 32;
}

function hashToInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
