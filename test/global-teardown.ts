/** Jest globalTeardown: stops the servers test/global-setup.ts started. */
import type {} from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__EO_LOCAL_SERVERS__;
  globalThis.__EO_LOCAL_SERVERS__ = undefined;
  await Promise.all([servers?.dynamodb?.stop(), servers?.sqs?.stop()]);
}
