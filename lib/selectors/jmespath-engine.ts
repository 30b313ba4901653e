/**
 * The JMESPath engine (the `jmespath` package), loaded on the first expression that is not a plain path
 * (`./plain-path`): a handler whose keys are plain paths or functions never evaluates its code.
 *
 * `require` inside a function: in the CommonJS build Node loads the package on that call; the ES module
 * build (`scripts/build-esm.ts`) bundles the package into this module as a CommonJS closure that the same
 * call evaluates, so no `require` remains there and a user's bundler keeps the evaluation lazy. The load
 * must be synchronous: selectors are compiled, and their syntax errors reported, when a handler is wrapped.
 */

/** What the library uses of the `jmespath` package (`compile` is exported, though its types omit it). */
export interface JmespathEngine {
  compile(expression: string): unknown;
  search(data: unknown, expression: string): unknown;
}

let engine: JmespathEngine | undefined;

/** The engine, loaded on the first call. */
export function jmespathEngine(): JmespathEngine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  engine ??= require('jmespath') as JmespathEngine;
  return engine;
}
