import { IdempotencyConfigError, InMemoryStore, makeIdempotent, commitWith } from '../../lib';
import { describeStoreContract } from '../helpers/store-contract';

describeStoreContract('InMemoryStore', () => new InMemoryStore());

describe('InMemoryStore', () => {
  it('refuses staged DynamoDB writes with IdempotencyConfigError', async () => {
    const handler = makeIdempotent(
      async (_event: { id: string }) => {
        commitWith({ Put: { TableName: 't', Item: { id: 'x' } } });
      },
      { store: new InMemoryStore(), key: 'id', name: 'memory-commit' },
    );
    const error = await handler({ id: '1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(/InMemoryStore cannot commit DynamoDB writes: use DynamoDBStore/);
  });
});
