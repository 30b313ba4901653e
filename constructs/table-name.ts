import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ConstructValidationError } from './errors';

/** DynamoDB table names: 3 to 255 characters of `a-z A-Z 0-9 _ - .`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * Refuses at synth time a table name DynamoDB would refuse at deploy time (an unresolved token is left to
 * CloudFormation). The message names the value.
 */
export function checkTableName(scope: IConstruct, tableName: unknown): void {
  if (tableName === undefined) return;
  if (typeof tableName !== 'string') {
    throw new ConstructValidationError(scope, 'tableName', `tableName must be a string, got ${typeof tableName} ${String(tableName)}`);
  }
  if (Token.isUnresolved(tableName) || TABLE_NAME.test(tableName)) return;
  const shown =
    tableName.length > 60 ? `${JSON.stringify(tableName.slice(0, 60))}… (${tableName.length} characters)` : JSON.stringify(tableName);
  throw new ConstructValidationError(
    scope,
    'tableName',
    `tableName ${shown} is not a DynamoDB table name: 3 to 255 characters, each a letter, a digit, '_', '-' or '.'`,
  );
}
