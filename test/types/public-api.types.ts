/* eslint-disable @typescript-eslint/no-unused-vars -- values here exist to be inspected by the type checker */
/**
 * Type tests of the public API, checked by `npm run typecheck` (tsc): inference must carry the event and
 * result types through the wrappers, and misuse must not compile.
 */
import {
  DynamoDBStore,
  InMemoryStore,
  idempotencyMiddleware,
  makeIdempotent,
  step,
  type IdempotencyOptions,
  type IdempotencyStore,
  type RecordResolution,
} from '../../lib';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

interface OrderEvent {
  orderId: string;
  amount: number;
}
interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

const store: IdempotencyStore = new InMemoryStore();

// The wrapped function keeps its parameters and its (awaited) result.
const handler = makeIdempotent(async (event: OrderEvent, _context: LambdaContextLike) => ({ charged: event.amount }), {
  store,
  key: (event) => event.orderId,
  fingerprint: (event) => [event.amount],
});
expectType<Equals<Parameters<typeof handler>, [event: OrderEvent, _context: LambdaContextLike]>>();
expectType<Equals<ReturnType<typeof handler>, Promise<{ charged: number }>>>();

// The way out of a stuck record takes the same arguments as the call.
expectType<Equals<Parameters<typeof handler.release>, [event: OrderEvent, _context: LambdaContextLike]>>();
expectType<Equals<ReturnType<typeof handler.release>, Promise<RecordResolution>>>();
void handler.completeStep('charge', { charged: 1 }, { orderId: 'o', amount: 1 }, { getRemainingTimeInMillis: () => 1 });
// @ts-expect-error -- the arguments must be the call's
void handler.release({ orderId: 'o' });

// onReplay gets and returns the wrapped function's result type.
makeIdempotent(async (event: OrderEvent) => ({ charged: event.amount }), {
  store,
  onReplay: (value, { key }) => ({ charged: value.charged + key.length }),
});
makeIdempotent(async (event: OrderEvent) => ({ charged: event.amount }), {
  store,
  // @ts-expect-error -- a replay must keep the result's type
  onReplay: (value) => String(value.charged),
});

// A synchronous function becomes async.
const sync = makeIdempotent((n: number) => n * 2, { store });
expectType<Equals<ReturnType<typeof sync>, Promise<number>>>();

// Key selectors see the wrapped function's arguments.
makeIdempotent(async (event: OrderEvent) => event.amount, {
  store,
  // @ts-expect-error: `orderID` is not a field of OrderEvent
  key: (event) => event.orderID,
});

// The store option is required and must be a store.
// @ts-expect-error: missing store
makeIdempotent(async (event: OrderEvent) => event, { key: 'orderId' });
// @ts-expect-error: not a store
makeIdempotent(async (event: OrderEvent) => event, { store: { tableName: 'x' } });

// Option values are typed.
// @ts-expect-error: onInProgress takes 'throw' | 'wait'
makeIdempotent(async (event: OrderEvent) => event, { store, onInProgress: 'block' });

// step returns what its function returns.
async function inside(): Promise<void> {
  const value = await step('s', async () => ({ id: 1 }));
  expectType<Equals<typeof value, { id: number }>>();
}
void inside;

// Options are reusable between the wrapper and the middleware.
const shared: IdempotencyOptions<[OrderEvent, unknown]> = { store: new DynamoDBStore({ tableName: 't' }), key: 'orderId' };
idempotencyMiddleware<OrderEvent>(shared);
