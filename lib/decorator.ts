/** `@idempotent(options)`: makeIdempotent as a method decorator, for standard and legacy decorators alike. */
import { IdempotencyConfigError } from './errors';
import { describe } from './describe';
import { makeIdempotent } from './make-idempotent';
import type { IdempotencyOptions } from './options';

/**
 * `unknown` when the `key` and `fingerprint` selectors of the options accept the decorated method's
 * arguments; otherwise a type no decorator context or descriptor has, so the decoration does not compile.
 */
type SelectorsAccept<TArgs extends unknown[], Args extends unknown[]> = ((...args: TArgs) => unknown) extends (...args: Args) => unknown
  ? unknown
  : { readonly 'the key and fingerprint selectors of @idempotent must accept the method arguments': TArgs };

/**
 * What {@link idempotent} returns: a decorator of async methods, called by TypeScript 5 standard
 * decorators as `(method, context)` and by legacy `experimentalDecorators` as
 * `(prototype, name, descriptor)`. A method that does not return a promise, a field, an accessor or a
 * class does not compile as its target.
 */
export interface IdempotentMethodDecorator<TArgs extends unknown[], TResult> {
  /** TypeScript 5 standard decorators. */
  <This, Args extends unknown[], R extends TResult>(
    method: (this: This, ...args: Args) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>> & SelectorsAccept<TArgs, Args>,
  ): (this: This, ...args: Args) => Promise<R>;
  /** Legacy decorators (`experimentalDecorators: true`). */
  <Args extends unknown[], R extends TResult>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<(...args: Args) => Promise<R>> & SelectorsAccept<TArgs, Args>,
  ): TypedPropertyDescriptor<(...args: Args) => Promise<R>>;
}

/**
 * Makes an async method idempotent: {@link makeIdempotent} applied to the method, with the same options
 * and behaviour. The method runs with the instance it was called on as `this`, and a Lambda context as
 * its second argument gives the invocation's deadline (the lease and store retries), as for a handler
 * wrapped by `makeIdempotent`.
 *
 * ```ts
 * class OrderHandler {
 *   @idempotent({ store, key: 'orderId' })
 *   async handler(event: OrderEvent, context: Context): Promise<Receipt> {
 *     return this.payments.charge(event);
 *   }
 * }
 * const orders = new OrderHandler();
 * export const handler = orders.handler.bind(orders);
 * ```
 *
 * It works with TypeScript 5 standard decorators and with `experimentalDecorators`. The method is wrapped
 * once, when the class is defined, so every instance shares its records (the options, the store
 * included, belong to the method). The default `name` is `<function name>.<method name>`, as for a
 * function of that name given to `makeIdempotent`: two classes with a decorated method of the same name
 * need a `name` option each (the second decoration throws `IdempotencyConfigError` otherwise).
 *
 * @param options the options of `makeIdempotent`; selectors written as functions must accept the method's
 *   arguments
 * @throws IdempotencyConfigError when the options are invalid, or when it decorates anything but a method
 */
// `any` by default, as in IdempotencyOptions: options with string selectors and no onReplay fit any method.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function idempotent<TArgs extends unknown[] = any[], TResult = any>(
  options: IdempotencyOptions<TArgs, TResult>,
): IdempotentMethodDecorator<TArgs, TResult> {
  const wrap = (method: unknown, what: string): unknown => {
    if (typeof method !== 'function') {
      throw new IdempotencyConfigError(`@idempotent decorates methods; ${what} is ${describe(method)}`);
    }
    return makeIdempotent(method as (...args: unknown[]) => Promise<unknown>, options as unknown as IdempotencyOptions<unknown[]>);
  };
  const decorate = (...args: unknown[]): unknown => {
    const [value, second, third] = args;
    if (isStandardContext(second)) {
      if (second.kind !== 'method') {
        throw new IdempotencyConfigError(`@idempotent decorates methods; it was applied to the ${second.kind} ${nameOf(second.name)}`);
      }
      return wrap(value, `method ${nameOf(second.name)}`);
    }
    if (typeof second === 'string' || typeof second === 'symbol') {
      const descriptor = third as PropertyDescriptor | undefined;
      if (descriptor === undefined || descriptor === null) {
        throw new IdempotencyConfigError(`@idempotent decorates methods; it was applied to the property ${nameOf(second)}`);
      }
      if (descriptor.get !== undefined || descriptor.set !== undefined) {
        throw new IdempotencyConfigError(`@idempotent decorates methods; it was applied to the accessor ${nameOf(second)}`);
      }
      return { ...descriptor, value: wrap(descriptor.value, `method ${nameOf(second)}`) };
    }
    throw new IdempotencyConfigError(
      `@idempotent decorates methods; it was called with ${args.map((arg) => describe(arg)).join(', ')} (a class, or not as a decorator)`,
    );
  };
  return decorate as IdempotentMethodDecorator<TArgs, TResult>;
}

/** A standard decorator's context: an object with a string `kind` ('method', 'field', 'class', ...). */
function isStandardContext(value: unknown): value is { readonly kind: string; readonly name: string | symbol | undefined } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function nameOf(name: string | symbol | undefined): string {
  return typeof name === 'symbol' ? name.toString() : `\`${String(name)}\``;
}
