/**
 * `@idempotent(options)` on class methods (TypeScript 5 standard decorators, as this test file is compiled),
 * against DynamoDB Local. The classes are defined inside the tests, once the table exists: a decorator runs
 * when its class is defined. The same user source compiled with `experimentalDecorators` is compiled and run
 * by test/unit/decorator-compile.test.ts.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDBStore, IdempotencyConfigError, idempotent } from '../../lib';
import { hashValue } from '../../lib/keys/hash';
import { createLambdaContext } from '../../lib/testing';
import { manualClock } from '../helpers/clock';
import { createTestTable, dynamoClient } from '../helpers/local';

interface PaymentEvent {
  paymentId: string;
  amountCents: number;
}

let tableName: string;
let store: DynamoDBStore;

beforeAll(async () => {
  tableName = await createTestTable('decorator');
  store = new DynamoDBStore({ tableName, client: dynamoClient() });
});

/** The record of `paymentId` under the operation `name`, as stored. */
async function storedRecord(name: string, paymentId: string): Promise<{ status: string; leaseUntil: number }> {
  const out = await dynamoClient().send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: `${name}#${hashValue(paymentId)}` } }, ConsistentRead: true }),
  );
  if (!out.Item) throw new Error(`no record for ${paymentId}`);
  return { status: String(out.Item['status']?.S), leaseUntil: Number(out.Item['leaseUntil']?.N) };
}

/** A fake payment provider: one entry per charge it made. */
class PaymentProvider {
  public readonly charges: string[] = [];
  public charge(event: PaymentEvent): string {
    this.charges.push(event.paymentId);
    return `ch_${event.paymentId}_${this.charges.length}`;
  }
}

describe('@idempotent on a handler method', () => {
  it('runs the first call, stores its result and replays it to a duplicate', async () => {
    class Payments {
      public readonly provider = new PaymentProvider();

      @idempotent({ store, key: 'paymentId', name: 'first-call' })
      public async handler(event: PaymentEvent, _context: Context): Promise<{ chargeId: string }> {
        return { chargeId: this.provider.charge(event) };
      }
    }
    const payments = new Payments();
    const event = { paymentId: 'p-1', amountCents: 500 };

    const first = await payments.handler(event, createLambdaContext());
    const duplicate = await payments.handler(event, createLambdaContext());

    expect(first).toEqual({ chargeId: 'ch_p-1_1' });
    expect(duplicate).toEqual(first);
    expect(payments.provider.charges).toEqual(['p-1']);
    await expect(storedRecord('first-call', 'p-1')).resolves.toMatchObject({ status: 'COMPLETED' });
  });

  it('calls the method with the instance it was called on as `this`, through a bound export as Lambda calls it', async () => {
    class Payments {
      public constructor(public readonly provider: PaymentProvider) {}

      @idempotent({ store, key: 'paymentId', name: 'receivers' })
      public async handler(event: PaymentEvent): Promise<string> {
        return this.provider.charge(event);
      }
    }
    const eu = new Payments(new PaymentProvider());
    const us = new Payments(new PaymentProvider());
    const handler = eu.handler.bind(eu); // `export const handler = payments.handler.bind(payments)`

    await expect(handler({ paymentId: 'p-eu', amountCents: 1 })).resolves.toBe('ch_p-eu_1');
    await expect(us.handler({ paymentId: 'p-us', amountCents: 1 })).resolves.toBe('ch_p-us_1');

    expect(eu.provider.charges).toEqual(['p-eu']);
    expect(us.provider.charges).toEqual(['p-us']);
  });

  it("shares the method's records between instances: a duplicate through another instance is replayed", async () => {
    class Payments {
      public constructor(public readonly provider: PaymentProvider) {}

      @idempotent({ store, key: 'paymentId', name: 'shared-records' })
      public async handler(event: PaymentEvent): Promise<string> {
        return this.provider.charge(event);
      }
    }
    const one = new Payments(new PaymentProvider());
    const other = new Payments(new PaymentProvider());

    const first = await one.handler({ paymentId: 'p-2', amountCents: 1 });
    await expect(other.handler({ paymentId: 'p-2', amountCents: 1 })).resolves.toBe(first);
    expect(other.provider.charges).toEqual([]);
  });

  it("takes the Lambda context from the method's second argument: the claim's lease is its remaining time less 1 s", async () => {
    const clock = manualClock();
    let leaseSeen: number | undefined;
    class Payments {
      @idempotent({ store, key: 'paymentId', name: 'context-lease', clock })
      public async handler(event: PaymentEvent, _context: Context): Promise<string> {
        leaseSeen = (await storedRecord('context-lease', event.paymentId)).leaseUntil;
        return event.paymentId;
      }
    }

    await new Payments().handler({ paymentId: 'p-3', amountCents: 1 }, createLambdaContext({ timeoutMs: 42_000, now: clock }));

    expect(leaseSeen).toBe(clock() + 42_000 - 1_000);
  });

  it('validates the options once, when the class is defined: invalid ones fail there with IdempotencyConfigError', () => {
    const defineClass = (): unknown =>
      class Payments {
        @idempotent({ store, key: 'paymentId', name: 'bad-options', expiresAfterSeconds: -1 })
        public async handler(event: PaymentEvent): Promise<string> {
          return event.paymentId;
        }
      };

    expect(defineClass).toThrow(IdempotencyConfigError);
    expect(defineClass).toThrow('Expected `expiresAfterSeconds` to be a positive number, got -1');
  });

  it('refuses two decorated methods that would share a default name, naming the option to pass', () => {
    const options = { store, key: 'paymentId' };
    class Invoices {
      @idempotent(options)
      public async settle(event: PaymentEvent): Promise<string> {
        return event.paymentId;
      }
    }
    void Invoices;
    const defineSecond = (): unknown =>
      class Refunds {
        @idempotent(options)
        public async settle(event: PaymentEvent): Promise<string> {
          return event.paymentId;
        }
      };

    expect(defineSecond).toThrow(IdempotencyConfigError);
    expect(defineSecond).toThrow('would share the default name "local.settle"');
  });
});

describe('@idempotent on what is not a method', () => {
  it('refuses an accessor with IdempotencyConfigError when the class is defined', () => {
    const defineClass = (): unknown =>
      class Payments {
        // @ts-expect-error -- an accessor is not a method
        @idempotent({ store, name: 'getter' })
        public get pending(): Promise<number> {
          return Promise.resolve(0);
        }
      };

    expect(defineClass).toThrow(IdempotencyConfigError);
    expect(defineClass).toThrow('@idempotent decorates methods; it was applied to the getter `pending`');
  });

  it('refuses a class with IdempotencyConfigError', () => {
    const defineClass = (): unknown => {
      // @ts-expect-error -- a class is not a method
      @idempotent({ store, name: 'class' })
      class Payments {}
      return Payments;
    };

    expect(defineClass).toThrow(IdempotencyConfigError);
    expect(defineClass).toThrow('@idempotent decorates methods; it was applied to the class `Payments`');
  });
});
