import { IdempotencyConfigError } from '../errors';
import { describe } from '../describe';
import { checkExpression } from './check';
import { jmespathEngine } from './jmespath-engine';
import { evaluatePlainPath, parsePlainPath } from './plain-path';

/** A selector of part of the wrapped function's arguments. */
export type Selector<TArgs extends unknown[]> = string | ((...args: TArgs) => unknown);

/**
 * Turns a selector option into a function. A string is a JMESPath expression on the first argument: a plain
 * path (`orderId`, `body.orderId`, `items[0]`) is evaluated natively and needs no JMESPath engine; any other
 * expression is compiled now by the engine (loaded on this first use), so a syntax error is reported at wrap time.
 */
export function compileSelector<TArgs extends unknown[]>(option: string, selector: Selector<TArgs> | undefined): (args: TArgs) => unknown {
  if (selector === undefined) return (args) => args[0];
  if (typeof selector === 'function') return (args) => selector(...args);
  if (typeof selector === 'string') {
    const path = parsePlainPath(selector);
    if (path) return (args) => evaluatePlainPath(args[0], path);
    const jmespath = jmespathEngine();
    let ast: unknown;
    try {
      ast = jmespath.compile(selector);
    } catch (error) {
      throw new IdempotencyConfigError(
        `Expected \`${option}\` to be a valid JMESPath expression, got ${JSON.stringify(selector)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const problem = checkExpression(ast);
    if (problem !== undefined) {
      throw new IdempotencyConfigError(
        `Expected \`${option}\` to be a valid JMESPath expression, got ${JSON.stringify(selector)}: ${problem}`,
      );
    }
    return (args) => {
      try {
        return jmespath.search(args[0], selector);
      } catch (error) {
        throw new SelectorError(
          `The JMESPath \`${option}\` ${JSON.stringify(selector)} failed on this input: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    };
  }
  throw new IdempotencyConfigError(`Expected \`${option}\` to be a function or a JMESPath string, got ${describe(selector)}`);
}

/** A JMESPath expression failed on one input (a function given the wrong type, say). */
export class SelectorError extends Error {
  public override name = 'SelectorError';
}
