/**
 * The record as a hash (see scripts.ts for its fields), the arguments each script takes, and the error a
 * failed command becomes.
 */
import { IdempotencyConfigError, IdempotencyError, IdempotencyStoreError } from '../errors';
import { NETWORK_CODES } from '../persistence/transient';
import {
  RecordStatus,
  type ClaimInput,
  type CompleteInput,
  type IdempotencyRecord,
  type OutcomeKind,
  type StepCheckpoint,
} from '../persistence/store';

/** Prefix of the hash field of a step checkpoint. */
export const STEP_FIELD = 'step:';

function seconds(nowMs: number): string {
  return String(Math.floor(nowMs / 1000));
}

/** The server's expiry of a record that expires at `expiresAt` (epoch seconds), in epoch milliseconds. */
function expiryMs(expiresAt: number): string {
  return String(expiresAt * 1000);
}

/** Arguments of the claim script (`STRIDE.claim` of them). */
export function claimArgs(input: ClaimInput): string[] {
  return [
    seconds(input.now),
    input.token,
    String(input.leaseUntil),
    String(input.expiresAt),
    expiryMs(input.expiresAt),
    input.fingerprint ?? '',
    input.owner ?? '',
  ];
}

/** Arguments of the take-over script. */
export function takeOverArgs(input: ClaimInput & { readonly previousToken: string }): string[] {
  return [
    seconds(input.now),
    String(input.now),
    input.previousToken,
    input.token,
    String(input.leaseUntil),
    String(input.expiresAt),
    expiryMs(input.expiresAt),
    input.owner ?? '',
  ];
}

/** Arguments of the completion script (`STRIDE.complete` of them). */
export function completeArgs(input: CompleteInput): string[] {
  return [input.token, input.result, input.outcome, String(input.expiresAt), expiryMs(input.expiresAt)];
}

/** Arguments of the optimistic completion script. */
export function putCompletedArgs(input: CompleteInput): string[] {
  return [
    seconds(input.now),
    input.token,
    input.result,
    input.outcome,
    String(input.expiresAt),
    expiryMs(input.expiresAt),
    input.fingerprint ?? '',
  ];
}

/** Arguments of the release script (`STRIDE.release` of them). */
export function releaseArgs(input: { readonly token: string; readonly keepCheckpoints: boolean }): string[] {
  return [input.token, input.keepCheckpoints ? '1' : '0'];
}

/** Arguments of the extension script. */
export function extendArgs(input: { readonly token: string; readonly leaseUntil: number; readonly expiresAt: number }): string[] {
  return [input.token, String(input.leaseUntil), String(input.expiresAt), expiryMs(input.expiresAt)];
}

/** The names and values of HGETALL's reply: a flat list (scripts, iovalkey, ioredis) or an object (node-redis). */
function pairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply !== null && typeof reply === 'object') return Object.entries(reply).map(([name, value]) => [name, String(value)]);
  return [];
}

/** The record of a hash's fields as HGETALL returns them. */
export function toRecord(key: string, reply: unknown): IdempotencyRecord | undefined {
  const fields = new Map<string, string>();
  const steps: Record<string, StepCheckpoint> = {};
  for (const [name, value] of pairs(reply)) {
    if (name.startsWith(STEP_FIELD)) steps[name.slice(STEP_FIELD.length)] = JSON.parse(value) as StepCheckpoint;
    else fields.set(name, value);
  }
  const status = fields.get('status');
  const token = fields.get('token');
  if (status === undefined || token === undefined) return undefined;
  const optional = (name: string): Record<string, string> => {
    const value = fields.get(name);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    key,
    status: status === RecordStatus.Completed ? RecordStatus.Completed : RecordStatus.InProgress,
    token,
    expiresAt: Number(fields.get('expiresAt') ?? 0),
    leaseUntil: Number(fields.get('leaseUntil') ?? 0),
    ...optional('fingerprint'),
    ...optional('result'),
    ...(fields.has('outcome') ? { outcome: fields.get('outcome') as OutcomeKind } : {}),
    ...optional('owner'),
    steps,
  };
}

/**
 * Error replies a later attempt may not meet: a server loading its data or busy with a script, a cluster
 * resharding or failing over, a replica promoted while the write was in flight, too few replicas.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;

/** Messages of the clients when the connection is lost, closed or timed out (iovalkey, ioredis, redis). */
const TRANSIENT_MESSAGE =
  /Connection is closed|Command timed out|Stream isn't writeable|Reached the max retries per request|The client is closed|Socket closed unexpectedly|Connection timeout|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE/i;

/** True when `error` is worth retrying: the same command may succeed a moment later. */
export function isTransientValkeyError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (name === 'MaxRetriesPerRequestError' || name === 'ClientClosedError' || name === 'SocketClosedUnexpectedlyError') return true;
  if (typeof message !== 'string') return false;
  return TRANSIENT_REPLY.test(message) || TRANSIENT_MESSAGE.test(message);
}

/** The error of a failed command: our own pass through; a client's becomes an IdempotencyStoreError. */
export function storeError(error: unknown, key: string, action: string): IdempotencyError {
  if (error instanceof IdempotencyError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new IdempotencyStoreError(`Valkey failed to ${action} for idempotency record ${key} (${detail}); retry the invocation`, {
    key,
    cause: error,
    retryable: isTransientValkeyError(error),
  });
}

/** The refusal of `commitWith` writes: no transaction spans Valkey and DynamoDB. */
export function refuseStagedWrites(input: CompleteInput): void {
  if (input.writes.length === 0) return;
  throw new IdempotencyConfigError(
    `commitWith staged ${input.writes.length} DynamoDB write(s), but ValkeyStore cannot commit them: no transaction spans Valkey and DynamoDB, so nothing was written and the result was not stored. Use DynamoDBStore for commitWith, or make the writes idempotent steps`,
    { key: input.key },
  );
}
