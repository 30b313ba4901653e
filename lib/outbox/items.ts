/**
 * Outbox items: how staged messages are kept in the idempotency table until the relay has published them.
 *
 * The messages of one execution are Put, in the completion's transaction, as items of their own (usually
 * one; more when they do not fit in one item), keyed `outbox#<hash of record key and lease token>#<n>`.
 * An outbox item has no expiry: it stays until the relay has published its messages and deletes it, so a
 * relay that could not publish within the stream's 24 hours leaves them in the table for
 * `republishOutbox`. Each item has the attribute `outbox` (what the stream filter selects on) holding the
 * messages' ids, targets and options as JSON, and each message's body in an attribute of its own
 * (`outboxBody<i>`), stored as is.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { isTarget } from './targets';
import type { OutboxMessage } from './message';

/** The attribute every outbox item has, and no idempotency record: the stream filter selects on it. */
export const OUTBOX_ATTRIBUTE = 'outbox';
/** Prefix of the keys of outbox items. */
export const OUTBOX_KEY_PREFIX = 'outbox#';
const BODY_ATTRIBUTE = 'outboxBody';
/** Bytes of messages packed into one outbox item: DynamoDB items hold 400 KB, names and metadata included. */
const ITEM_BUDGET_BYTES = 380_000;
const FORMAT_VERSION = 1;

/** The messages of one outbox item, with the execution that committed them. */
export interface OutboxEnvelope {
  /** The idempotency record key of the execution that published them. */
  readonly key: string;
  /** When they were committed, epoch milliseconds. */
  readonly committedAt: number;
  readonly messages: readonly OutboxMessage[];
}

/** The messages of an execution in groups, one group per outbox item. */
export function packMessages(messages: readonly OutboxMessage[]): OutboxMessage[][] {
  const groups: OutboxMessage[][] = [];
  let bytes = Number.POSITIVE_INFINITY;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body) + Buffer.byteLength(JSON.stringify(metadataOf(message))) + 32;
    if (bytes + size > ITEM_BUDGET_BYTES) {
      groups.push([]);
      bytes = 0;
    }
    (groups[groups.length - 1] as OutboxMessage[]).push(message);
    bytes += size;
  }
  return groups;
}

/**
 * The outbox items of an execution's messages, as plain values (the shape of `TransactItems` Puts of
 * `@aws-sdk/lib-dynamodb`).
 */
export function outboxItems(
  keyAttr: string,
  key: string,
  token: string,
  messages: readonly OutboxMessage[],
  now: number,
): Record<string, unknown>[] {
  const base = createHash('sha256').update(`${key}\u0000${token}`).digest('hex');
  return packMessages(messages).map((group, n) => {
    const item: Record<string, unknown> = {
      [keyAttr]: `${OUTBOX_KEY_PREFIX}${base}#${n}`,
      [OUTBOX_ATTRIBUTE]: JSON.stringify({ v: FORMAT_VERSION, key, committedAt: now, messages: group.map(metadataOf) }),
    };
    group.forEach((message, i) => {
      item[`${BODY_ATTRIBUTE}${i}`] = message.body;
    });
    return item;
  });
}

function metadataOf(message: OutboxMessage): Omit<OutboxMessage, 'body'> {
  const { body: _body, ...metadata } = message;
  return metadata;
}

/** Why an outbox item could not be read. */
export class MalformedOutboxItemError extends Error {
  public override name = 'MalformedOutboxItemError';
}

/**
 * The messages of an outbox item (a stream record's `NewImage`, or an item read from the table);
 * `undefined` for an item that is not an outbox item.
 * @throws MalformedOutboxItemError for an outbox item that cannot be read
 */
export function readOutboxItem(image: Record<string, AttributeValue> | undefined): OutboxEnvelope | undefined {
  const text = image?.[OUTBOX_ATTRIBUTE]?.S;
  if (image === undefined || text === undefined) return undefined;
  let parsed: { v?: unknown; key?: unknown; committedAt?: unknown; messages?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new MalformedOutboxItemError(`the outbox attribute is not JSON (${(error as Error).message})`);
  }
  if (parsed.v !== FORMAT_VERSION || typeof parsed.key !== 'string' || !Array.isArray(parsed.messages)) {
    throw new MalformedOutboxItemError(`the outbox attribute is not format version ${FORMAT_VERSION}`);
  }
  const messages = (parsed.messages as Omit<OutboxMessage, 'body'>[]).map((metadata, i) => {
    const body = image[`${BODY_ATTRIBUTE}${i}`]?.S;
    if (body === undefined || typeof metadata?.id !== 'string' || !isTarget(metadata.target)) {
      throw new MalformedOutboxItemError(`message #${i} has no body, id or target`);
    }
    return { ...metadata, body } as OutboxMessage;
  });
  return { key: parsed.key, committedAt: Number(parsed.committedAt), messages };
}
