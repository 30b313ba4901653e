/**
 * On a multi-Region strongly consistent table, DynamoDB refuses a write that conflicts with one replicating
 * from another Region with `ReplicatedWriteConflictException` (nothing written). The store retries it like a
 * throttle: the claim and the completion go through, the work runs once. Injected on a real DynamoDB Local
 * client (DynamoDB Local has no multi-Region tables), with the SDK's default retries.
 */
import { DynamoDBStore, makeIdempotent } from '../../lib';
import { createTestTable, newDynamoClient } from '../helpers/local';

interface Order {
  readonly orderId: string;
}

/** A client whose first `times` requests of `command` are refused as a replicated write conflict, unsent. */
function conflictingClient(command: string, times: number): { client: ReturnType<typeof newDynamoClient>; refused: () => number } {
  const client = newDynamoClient();
  let refused = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && refused < times) {
        refused += 1;
        throw Object.assign(new Error('Write conflict with a replicated write from another Region'), {
          name: 'ReplicatedWriteConflictException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'replicatedWriteConflict' },
  );
  return { client, refused: () => refused };
}

let tableName: string;
beforeAll(async () => {
  tableName = await createTestTable('replicated');
});

it.each([
  ['claim', 'PutItemCommand'],
  ['completion', 'UpdateItemCommand'],
])('retries a %s refused with ReplicatedWriteConflictException, and runs the work once', async (_what, command) => {
  const { client, refused } = conflictingClient(command, 2);
  let runs = 0;
  const handler = makeIdempotent(
    async (order: Order) => {
      runs += 1;
      return `accepted ${order.orderId}`;
    },
    { store: new DynamoDBStore({ tableName, client }), key: 'orderId', name: `conflict-${command}` },
  );
  await expect(handler({ orderId: 'o-1' })).resolves.toBe('accepted o-1');
  await expect(handler({ orderId: 'o-1' })).resolves.toBe('accepted o-1');
  expect(refused()).toBe(2);
  expect(runs).toBe(1);
});
