/**
 * One user's source, decorated with `@idempotent`, that must compile with no error both as TypeScript 5
 * standard decorators (`standard/tsconfig.json`, and `npm run typecheck`) and as legacy
 * `experimentalDecorators` (`legacy/tsconfig.json`), then run: test/unit/decorator-compile.test.ts
 * compiles it with each tsconfig and calls {@link demonstrate} and {@link decorateField} in the emitted
 * JavaScript. The `@ts-expect-error` lines are misuses that must stay compile errors in both modes.
 */
import { idempotent, InMemoryStore } from 'effectively-once';

interface OrderEvent {
  orderId: string;
  amount: number;
}
interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

const store = new InMemoryStore();

class OrderHandler {
  public readonly charges: string[] = [];

  public constructor(private readonly currency: string) {}

  @idempotent({ store, key: 'orderId', name: 'decorated-orders' })
  public async handler(event: OrderEvent, _context: LambdaContextLike): Promise<{ charged: string; runs: number }> {
    this.charges.push(event.orderId);
    return { charged: `${event.amount} ${this.currency}`, runs: this.charges.length };
  }

  // A selector function typed by the method's first argument, and a static method.
  @idempotent({ store, key: (event: OrderEvent) => event.orderId, name: 'decorated-refunds' })
  public static async refund(event: OrderEvent): Promise<string> {
    return `refunded ${event.orderId}`;
  }
}

/** What the emitted JavaScript does when called: one first run, one replay, each with its own receiver. */
export async function demonstrate(): Promise<{
  first: unknown;
  duplicate: unknown;
  otherInstance: unknown;
  charges: string[];
  otherCharges: string[];
  refund: string;
}> {
  const context: LambdaContextLike = { getRemainingTimeInMillis: () => 30_000 };
  const orders = new OrderHandler('EUR');
  const handler = orders.handler.bind(orders); // how a Lambda module exports a method
  const first = await handler({ orderId: 'o-1', amount: 5 }, context);
  const duplicate = await handler({ orderId: 'o-1', amount: 5 }, context);
  const other = new OrderHandler('USD');
  const otherInstance = await other.handler({ orderId: 'o-2', amount: 7 }, context);
  const refund = await OrderHandler.refund({ orderId: 'o-1', amount: 5 });
  return { first, duplicate, otherInstance, charges: orders.charges, otherCharges: other.charges, refund };
}

/** A field is not a method: a compile error, and an `IdempotencyConfigError` when the class is defined. */
export function decorateField(): unknown {
  class Misused {
    // @ts-expect-error -- @idempotent decorates methods, not fields
    @idempotent({ store, key: 'orderId', name: 'decorated-field' })
    public handler = async (event: OrderEvent): Promise<string> => event.orderId;
  }
  return new Misused();
}

/** Misuses that must not compile (never called). */
export function misuses(): unknown {
  class Misused {
    // @ts-expect-error -- the method must be async: the decorated method returns a promise
    @idempotent({ store, key: 'orderId' })
    public handler(event: OrderEvent): string {
      return event.orderId;
    }

    // @ts-expect-error -- the key selector must accept the method's arguments
    @idempotent({ store, key: (id: number) => id })
    public async charge(event: OrderEvent): Promise<string> {
      return event.orderId;
    }

    // @ts-expect-error -- an accessor is not a method
    @idempotent({ store, key: 'orderId' })
    public get total(): Promise<number> {
      return Promise.resolve(1);
    }
  }
  return Misused;
}
