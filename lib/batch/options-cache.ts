/**
 * Batch processors take their options on every call, usually as `{ ...options, context }` or an object
 * literal holding the per-invocation Lambda context. This cache validates each distinct set of options once
 * and keeps what was built from it (the idempotency engines and their local caches) for later invocations.
 */

/**
 * Option sets remembered per store when the same options arrive in new objects on every call: beyond this,
 * the oldest is forgotten (and validated again if it comes back).
 */
export const REMEMBERED_OPTION_SETS = 16;

/** Options that change on every call and are read per call, so they never make two option sets differ. */
const PER_CALL_OPTIONS = /* @__PURE__ */ new Set(['context']);

const NO_STORE = {};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function significantKeys(options: object): string[] {
  return Object.keys(options)
    .filter((name) => !PER_CALL_OPTIONS.has(name) && (options as Record<string, unknown>)[name] !== undefined)
    .sort();
}

/**
 * Same option values: each identical, or plain objects (`localCache`, say) with identical members. Functions
 * compare by identity, so a new arrow function per call makes a new option set.
 */
export function sameOptions(a: object, b: object): boolean {
  const keysA = significantKeys(a);
  const keysB = significantKeys(b);
  if (keysA.length !== keysB.length || keysA.some((name, i) => name !== keysB[i])) return false;
  return keysA.every((name) => {
    const x = (a as Record<string, unknown>)[name];
    const y = (b as Record<string, unknown>)[name];
    if (Object.is(x, y)) return true;
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const inner = Object.keys(x);
    return (
      inner.length === Object.keys(y).length && inner.every((k) => Object.prototype.hasOwnProperty.call(y, k) && Object.is(x[k], y[k]))
    );
  });
}

/**
 * Remembers what `resolve` built from each options object: the same object again, or a new object with the
 * same values (per-call options such as `context` aside) as one of the last {@link REMEMBERED_OPTION_SETS}
 * seen with the same store, returns the earlier result without validating again.
 */
export class ResolvedOptionsCache<TOptions extends object, TResolved> {
  readonly #resolve: (options: TOptions) => TResolved;
  readonly #byObject = new WeakMap<object, TResolved>();
  readonly #byStore = new WeakMap<object, { options: object; resolved: TResolved }[]>();

  public constructor(resolve: (options: TOptions) => TResolved) {
    this.#resolve = resolve;
  }

  public get(options: TOptions): TResolved {
    if (options === null || typeof options !== 'object') return this.#resolve(options);
    const known = this.#byObject.get(options);
    if (known !== undefined) return known;
    const store = (options as { store?: unknown }).store;
    const storeKey = store !== null && typeof store === 'object' ? store : NO_STORE;
    const recent = this.#byStore.get(storeKey) ?? [];
    const match = recent.find((entry) => sameOptions(entry.options, options));
    if (match) {
      this.#byObject.set(options, match.resolved);
      return match.resolved;
    }
    const resolved = this.#resolve(options);
    this.#byObject.set(options, resolved);
    // A frozen copy: the caller may mutate its object later.
    recent.push({ options: Object.freeze({ ...options }), resolved });
    if (recent.length > REMEMBERED_OPTION_SETS) recent.shift();
    this.#byStore.set(storeKey, recent);
    return resolved;
  }
}
