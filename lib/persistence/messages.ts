/** Error messages shared by the stores (`InMemoryStore`, `DynamoDBStore`): the same failure in the same words. */

/** Message of a lease-lost error, shared by the stores. */
export function leaseLostMessage(key: string, action: string): string {
  return `Could not ${action} for idempotency record ${key}: this invocation's lease was taken over by another invocation (or the record is gone), so nothing was written. The invocation that holds the lease completes the work; raise leaseSeconds if handlers outlive their lease.`;
}
