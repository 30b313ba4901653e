/**
 * Attribute names of the default idempotency table schema, shared by the DynamoDB store and the test kit
 * so that a table created by one is the table the other expects.
 */

/** Name of the partition key attribute (type `S`) of an idempotency table. */
export const DEFAULT_KEY_ATTR = 'id';

/** Name of the attribute DynamoDB's Time To Live reads (epoch seconds) on an idempotency table. */
export const DEFAULT_TTL_ATTR = 'expiration';

/**
 * Environment variable holding the idempotency table's name. The CDK constructs set it on the functions
 * they wire to a table; `DynamoDBStore` reads it when `tableName` is omitted.
 */
export const IDEMPOTENCY_TABLE_NAME_ENV = 'IDEMPOTENCY_TABLE_NAME';
