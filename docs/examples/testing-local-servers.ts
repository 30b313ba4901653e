// docs/examples/testing-local-servers.ts
import { createIdempotencyTable, startLocalDynamoDB, startLocalSqs } from 'effectively-once/testing';

export async function withLocalServers(): Promise<void> {
  const dynamo = await startLocalDynamoDB(); // DynamoDB Local (in memory) on a free port
  const table = await createIdempotencyTable(dynamo.client, 'idempotency'); // key `id`, TTL `expiration`
  const sqs = await startLocalSqs(); // fauxqs, in this process
  // dynamo.endpoint, sqs.endpoint: `http://127.0.0.1:PORT`; dynamo.client, sqs.client: ready-made clients
  console.log(`table ${table} on ${dynamo.endpoint}, SQS on ${sqs.endpoint}`);
  await Promise.all([dynamo.stop(), sqs.stop()]); // stop() kills exactly the process it started
}
