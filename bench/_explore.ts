import { PutItemCommand, UpdateItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDB, createIdempotencyTable } from '../lib/testing';

async function main(): Promise<void> {
  const t0 = Date.now();
  const ddb = await startLocalDynamoDB();
  console.log('started in', Date.now() - t0, 'ms');
  const client = ddb.client;
  const table = await createIdempotencyTable(client, 'explore');
  const r = await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'x' }, a: { S: 'hello' } }, ReturnConsumedCapacity: 'TOTAL' }));
  console.log('consumed put', JSON.stringify(r.ConsumedCapacity));
  const u = await client.send(new UpdateItemCommand({ TableName: table, Key: { id: { S: 'x' } }, UpdateExpression: 'SET b = :b', ExpressionAttributeValues: { ':b': { S: 'y'.repeat(2000) } }, ReturnConsumedCapacity: 'TOTAL' }));
  console.log('consumed update', JSON.stringify(u.ConsumedCapacity));
  const g = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'x' } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
  console.log('consumed get', JSON.stringify(g.ConsumedCapacity));
  const tw = Date.now();
  let i = 0;
  for (let block = 0; block < 12; block++) {
    const times: number[] = [];
    for (let k = 0; k < 500; k++) {
      const s = process.hrtime.bigint();
      await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: `k${i++}` }, a: { S: 'hello' } } }));
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`block ${block} (${i}): median ${times[250]!.toFixed(3)} p90 ${times[450]!.toFixed(3)} elapsed ${Date.now() - tw}ms`);
  }
  await ddb.stop();
}
main().catch((e) => { console.error(e); process.exit(1); });
