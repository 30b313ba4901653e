// docs/examples/cdk-multi-region.ts
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { IdempotencyTable, IdempotentQueueConsumer } from 'effectively-once/constructs';

// Your handler. It must not use commitWith: a strongly consistent table refuses transactions.
const entry = path.join(__dirname, '../src/shipments-consumer.ts');

// One stack per Region; the stack of the first Region creates the table and its replicas.
export function createApp(): App {
  const app = new App();
  const primary = new Stack(app, 'ShipmentsUsEast1', { env: { region: 'us-east-1' } });
  const table = new IdempotencyTable(primary, 'Idempotency', {
    tableName: 'shipments-idempotency', // the same name in every Region
    replicaRegions: ['us-east-2'], // three Regions in all: us-east-1, us-east-2 and the witness
    witnessRegion: 'us-west-2', // or two replicaRegions and no witness
  });
  new IdempotentQueueConsumer(primary, 'Shipments', { entry, table });

  // In the replica's Region, the consumer imports its replica by name (granted on that Region's ARN).
  const secondary = new Stack(app, 'ShipmentsUsEast2', { env: { region: 'us-east-2' } });
  new IdempotentQueueConsumer(secondary, 'Shipments', {
    entry,
    table: IdempotencyTable.fromTableName(secondary, 'Idempotency', 'shipments-idempotency'),
  });
  return app;
}
