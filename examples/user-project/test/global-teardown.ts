// examples/user-project/test/global-teardown.ts
export default async function globalTeardown(): Promise<void> {
  await globalThis.__DYNAMODB__?.stop();
}
