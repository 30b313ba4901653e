/**
 * `onReplay` transforms what a duplicate gets, never a first run's result; cached errors are rethrown as
 * they are.
 */
import { IdempotencyConfigError, InMemoryStore, makeIdempotent, type IdempotencyOptions } from '../../lib';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('onReplay', () => {
  it('transforms replays only, with the record key', async () => {
    const seen: string[] = [];
    const charge = makeIdempotent(async (event: { id: string }) => ({ charged: event.id, replayed: false }), {
      store: new InMemoryStore(),
      key: 'id',
      name: 'on-replay',
      logger: quiet,
      onReplay: (value, { key }) => {
        seen.push(key);
        return { ...value, replayed: true };
      },
    });
    await expect(charge({ id: 'a' })).resolves.toEqual({ charged: 'a', replayed: false });
    await expect(charge({ id: 'a' })).resolves.toEqual({ charged: 'a', replayed: true });
    expect(seen).toEqual([expect.stringMatching(/^on-replay#[0-9a-f]{64}$/)]);
  });

  it('leaves cached errors alone: they are rethrown, marked replayed', async () => {
    const onReplay = jest.fn((value: string) => value);
    const handler = makeIdempotent(
      async (_event: { id: string }): Promise<string> => {
        throw Object.assign(new Error('card declined'), { name: 'CardDeclined' });
      },
      { store: new InMemoryStore(), key: 'id', name: 'on-replay-errors', logger: quiet, cacheErrors: () => true, onReplay },
    );
    await expect(handler({ id: 'b' })).rejects.toThrow('card declined');
    await expect(handler({ id: 'b' })).rejects.toMatchObject({ name: 'CardDeclined', replayed: true });
    expect(onReplay).not.toHaveBeenCalled();
  });

  it('is refused at wrap time when it is not a function', () => {
    const options = { store: new InMemoryStore(), name: 'on-replay-bad', onReplay: 'mark' } as unknown as IdempotencyOptions<[unknown]>;
    expect(() => makeIdempotent(async (_event: unknown) => 1, options)).toThrow(
      new IdempotencyConfigError('Expected `onReplay` to be a function, got "mark"'),
    );
  });
});
