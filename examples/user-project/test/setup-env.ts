// examples/user-project/test/setup-env.ts
// Runs in each jest worker before a test file's imports: the handler's `new DynamoDBStore()` then finds its
// table, and the SDK's default client the local server (no AWS account, no credentials of yours).
process.env.IDEMPOTENCY_TABLE_NAME = 'idempotency';
process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.DYNAMODB_ENDPOINT;
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
