import { DynamoDBStore } from '../../lib';
import { createTestTable, dynamoClient } from '../helpers/local';
import { describeStoreContract } from '../helpers/store-contract';

describeStoreContract(
  'DynamoDBStore',
  async () => new DynamoDBStore({ tableName: await createTestTable('contract'), client: dynamoClient() }),
);
