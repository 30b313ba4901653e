/**
 * Internal: the grants of an idempotency table, shared by {@link IdempotencyTable} and the imported
 * tables. The public entry points are `grantIdempotency` and `configureFunction` of `IIdempotencyTable`.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { IDEMPOTENCY_TABLE_NAME_ENV } from '../lib/persistence/schema';
import { IDEMPOTENCY_KEY_ACTIONS, IDEMPOTENCY_TABLE_ACTIONS } from './defaults';

/** What a grant needs to know of a table. */
interface GrantedTable {
  readonly tableName: string;
  readonly tableArn: string;
  readonly encryptionKey?: kms.IKey;
}

/** `IDEMPOTENCY_TABLE_ACTIONS` on the table only, plus `IDEMPOTENCY_KEY_ACTIONS` on its customer managed key. */
export function grantIdempotencyOnTable(table: GrantedTable, grantee: iam.IGrantable): iam.Grant {
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: [...IDEMPOTENCY_TABLE_ACTIONS],
    resourceArns: [table.tableArn],
  });
  if (table.encryptionKey) {
    table.encryptionKey.grant(grantee, ...IDEMPOTENCY_KEY_ACTIONS);
  }
  return grant;
}

/** The grant plus the table-name environment variable `DynamoDBStore` reads. */
export function configureFunctionForTable(table: GrantedTable, fn: lambda.Function): iam.Grant {
  fn.addEnvironment(IDEMPOTENCY_TABLE_NAME_ENV, table.tableName);
  return grantIdempotencyOnTable(table, fn);
}
