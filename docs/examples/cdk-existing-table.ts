// docs/examples/cdk-existing-table.ts
import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IdempotencyTable, type IIdempotencyTable } from 'effectively-once/constructs';

export function existingTables(stack: Stack, fn: lambda.Function, key: kms.IKey): IIdempotencyTable[] {
  const byName = IdempotencyTable.fromTableName(stack, 'ByName', 'orders-idempotency'); // this account and Region
  const byArn = IdempotencyTable.fromTableArn(stack, 'ByArn', 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders');
  const withKey = IdempotencyTable.fromTableAttributes(stack, 'WithKey', { tableName: 'payments', encryptionKey: key });
  withKey.configureFunction(fn); // grant (key actions included) + IDEMPOTENCY_TABLE_NAME
  return [byName, byArn, withKey];
}
