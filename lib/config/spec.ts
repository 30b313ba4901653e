/**
 * An option set declared once: one object of entries `{ name → { check, default, doc } }`, from which the
 * unknown-name check (with a "did you mean"), the defaults, the messages (one format) and the docs tables'
 * test are derived. Validated options come back frozen.
 *
 * Messages, one format for every set:
 * - a value: ``Expected `<path>` <expectation>, got <value>`` (`path` is `name`, or `outer.name` for a nested set);
 * - a name: ``Unknown option `<path>` of <set>: did you mean `<name>`? (known options: a, b, c)`` (the
 *   suggestion only for a near name; a nested set's path names it, without "of <set>").
 */
import { describe } from '../describe';

/** The error class a set refuses with (`IdempotencyConfigError`, the testing kit's `TestKitConfigError`). */
export type ConfigErrorClass = new (message: string) => Error;

/** Where a value sits, for the message, and how to refuse it. */
export interface At {
  /** `name`, or `outer.name` inside a nested set. */
  readonly path: string;
  /** Throws ``Expected `<path>` <expectation>, got <value>`` (plus `note`, when given). */
  refuse(expectation: string, value: unknown, note?: string): never;
  /** Where a member of this value sits (`path.member`). */
  at(member: string): At;
}

/** Validates a given value (never `undefined`: absent options take their default) and returns what to keep. */
export type Check<T> = (value: unknown, at: At) => T;

/** One option: its check, its default, the one line the docs say about it. */
export interface OptionEntry<T> {
  readonly check: Check<T>;
  /** What an absent option is (not checked again): a literal documented as `@default` in the TSDoc. */
  readonly default?: T;
  /** The check runs on an absent option too, which it refuses. */
  readonly required?: true;
  /** One line: what the option is for. */
  readonly doc: string;
}

/** An option set's entries. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own value type
export type OptionSpec = Readonly<Record<string, OptionEntry<any>>>;

/** The value an entry resolves to: what its check returns, or `undefined` when it has neither default nor `required`. */
export type EntryValue<E> = E extends { readonly check: Check<infer T> }
  ? E extends { readonly default: unknown } | { readonly required: true }
    ? T
    : T | undefined
  : never;

/** A set's validated options: every name present (absent ones with their default or `undefined`), frozen. */
export type Resolved<S extends OptionSpec> = { readonly [K in keyof S]: EntryValue<S[K]> };

/**
 * Compiles to `true` only when the spec declares exactly the keys of the TSDoc interface `T`: the interface is
 * what users read, the spec what the code checks, and this keeps the two together.
 */
export type SameKeys<T, S> = [Exclude<keyof T, keyof S>, Exclude<keyof S, keyof T>] extends [never, never]
  ? true
  : { readonly missingFromSpec: Exclude<keyof T, keyof S>; readonly notInInterface: Exclude<keyof S, keyof T> };

/** A value as messages show it: `describe`'s words, and a short array's members. */
export function shown(value: unknown): string {
  if (!Array.isArray(value)) return describe(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  return json === undefined || json.length > 80 ? 'an array' : `an array (${json})`;
}

/** Where `path` sits, refusing with `error`. */
export function atPath(path: string, error: ConfigErrorClass): At {
  return {
    path,
    refuse(expectation, value, note) {
      throw new error(`Expected \`${path}\` ${expectation}, got ${shown(value)}${note === undefined ? '' : ` ${note}`}`);
    },
    at: (member) => atPath(`${path}.${member}`, error),
  };
}

/** Edit distance of two short names (insertions, deletions, substitutions, and swaps of neighbours). */
function distance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Uint16Array((a.length + 1) * width);
  const cell = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * width] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, cell(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return cell(a.length, b.length);
}

/**
 * The known name `name` most likely meant: the same but for case, the one name it begins, or the nearest at most
 * two edits away (one for short names).
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = known.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const longer = known.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  if (name.length >= 4 && longer.length === 1) return longer[0];
  const budget = name.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** An option set: its name (for messages), its entries, and the error it refuses with. */
export class OptionSet<S extends OptionSpec> {
  /** The option names, in declaration order. */
  public readonly names: readonly string[];

  public constructor(
    /** The function or class the options are given to (`makeIdempotent`, `DynamoDBStore`), for messages. */
    public readonly set: string,
    public readonly spec: S,
    public readonly error: ConfigErrorClass,
  ) {
    this.names = Object.freeze(Object.keys(spec));
  }

  /** Refuses a name the set does not declare, suggesting a near one. */
  public checkNames(given: object, path = ''): void {
    for (const name of Object.keys(given)) {
      if (Object.prototype.hasOwnProperty.call(this.spec, name)) continue;
      const near = nearestName(name, this.names);
      throw new this.error(
        `Unknown option \`${path}${name}\`${path === '' ? ` of ${this.set}` : ''}${near === undefined ? '' : `: did you mean \`${path}${near}\`?`} (known options: ${this.names.join(', ')})`,
      );
    }
  }

  /**
   * Validates `given`: an object (else refused as the whole set), no unknown name, each option checked (absent
   * ones take their default), in declaration order. Returns the values, frozen.
   * @param path where the set sits, for a nested set (`localCache`)
   */
  public resolve(given: unknown, path?: string): Resolved<S> {
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new this.error(
        `Expected ${path === undefined ? `the options of ${this.set}` : `\`${path}\``} to be an object, got ${describe(given)}`,
      );
    }
    this.checkNames(given, path === undefined ? '' : `${path}.`);
    const values: Record<string, unknown> = {};
    for (const name of this.names) {
      const entry = this.spec[name] as OptionEntry<unknown>;
      const value = (given as Record<string, unknown>)[name];
      // Where the value sits is made only for a value to check: most options of a call are absent.
      values[name] =
        value === undefined && entry.required !== true
          ? entry.default
          : entry.check(value, atPath(path === undefined ? name : `${path}.${name}`, this.error));
    }
    return Object.freeze(values) as Resolved<S>;
  }

  /** Refuses with this set's error, in the one format (for a check that relates two options). */
  public at(path: string): At {
    return atPath(path, this.error);
  }
}

/** Declares an option set. */
export function defineOptions<S extends OptionSpec>(set: string, spec: S, error: ConfigErrorClass): OptionSet<S> {
  return new OptionSet(set, spec, error);
}

/** A check for a nested option set (an object with its own names, `visibility`, say). */
export function nested<S extends OptionSpec>(options: OptionSet<S>): Check<Resolved<S>> {
  return (value: unknown, where: At) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      where.refuse(`to be an object (${options.names.join(', ')})`, value);
    return options.resolve(value, where.path);
  };
}

/** Some of a set's entries (an adapter that takes part of the idempotency options). */
export function pick<S extends OptionSpec, const K extends keyof S & string>(spec: S, names: readonly K[]): Pick<S, K> {
  return Object.fromEntries(names.map((name) => [name, spec[name]])) as Pick<S, K>;
}

/** Each entry's default (`undefined` for an entry without one): what an empty options object resolves to. */
export function defaultsOf<S extends OptionSpec>(spec: S): { readonly [K in keyof S]: S[K]['default'] } {
  return Object.fromEntries(Object.entries(spec).map(([name, entry]) => [name, entry.default])) as {
    readonly [K in keyof S]: S[K]['default'];
  };
}
