/**
 * A message as `publish` stages it: validated against what its target takes, with its id, and in the form
 * the relay sends. Everything a target would refuse is refused here, at call time, with
 * {@link OutboxMessageError}: a staged message is one the relay can send.
 */
import { createHash } from 'node:crypto';
import { OutboxMessageError, type OutboxMessageProblem } from '../errors';
import { describe } from '../describe';
import { targetName, type EventBusTarget, type OutboxTarget } from './targets';

/** The SQS and SNS message attribute that carries the message's id. */
export const OUTBOX_MESSAGE_ID_ATTRIBUTE = 'outbox-message-id';

/** Largest message SQS and SNS take (body and attributes), and largest EventBridge entry, in bytes. */
export const MAX_MESSAGE_BYTES = 262_144;
/** Message attributes SQS delivers per message; one of them is {@link OUTBOX_MESSAGE_ID_ATTRIBUTE}. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** Longest `DelaySeconds` of an SQS message. */
export const MAX_DELAY_SECONDS = 900;
/** Longest message id and group id (SQS `MessageDeduplicationId`, `MessageGroupId`). */
const MAX_ID_LENGTH = 128;
const ID_CHARACTERS = /^[\x21-\x7e]+$/;
const ATTRIBUTE_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/;
const RESERVED_ATTRIBUTE_PREFIX = /^(aws\.|amazon\.)/i;
// Characters SQS refuses in a body (outside XML 1.0's allowed set).
// eslint-disable-next-line no-control-regex -- the allowed control characters are the point
const INVALID_BODY_CHARACTERS = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** An SQS/SNS message attribute as the relay sends it. */
export interface MessageAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

/** A staged message: what the relay sends. */
export interface OutboxMessage {
  /** Its id: a consumer drops repeats by it. */
  readonly id: string;
  readonly target: OutboxTarget;
  /** The SQS/SNS message body, or the EventBridge entry's `Detail` (with `outboxMessageId`). */
  readonly body: string;
  readonly groupId?: string;
  /** SQS/SNS message attributes, besides {@link OUTBOX_MESSAGE_ID_ATTRIBUTE}. */
  readonly attributes?: Readonly<Record<string, MessageAttribute>>;
  readonly delaySeconds?: number;
}

/** Options of `publish`. */
export interface PublishOptions {
  /**
   * The message's id, which consumers drop repeats by (1 to 128 printable ASCII characters, unique within
   * the execution). Give one when the message has a natural id (an event id) that must stay the same
   * however the producing code changes.
   * @default - derived from the idempotency key and the message's position among the execution's messages,
   *   the same on every attempt (as `downstreamKey`)
   */
  readonly id?: string;
  /**
   * The message group of a FIFO queue or topic (required there); on a standard queue or topic, the group of
   * a fair queue. Not for event buses.
   * @default - none (refused on a FIFO target)
   */
  readonly groupId?: string;
  /**
   * SQS/SNS message attributes (strings or numbers), at most 9: the tenth is `outbox-message-id`. Not for
   * event buses.
   * @default {}
   */
  readonly attributes?: Readonly<Record<string, string | number>>;
  /**
   * Seconds (0 to 900) SQS keeps the message invisible after it is sent. Standard SQS queues only: FIFO
   * queues, SNS and EventBridge have no per-message delay.
   * @default 0
   */
  readonly delaySeconds?: number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof PublishOptions>(['id', 'groupId', 'attributes', 'delaySeconds']);

/** The default id of the message at `position` among the execution's messages of record `key`. */
export function defaultMessageId(key: string, position: number): string {
  return createHash('sha256').update(`outbox\u0000${key}\u0000${position}`).digest('hex');
}

/**
 * Validates a message for its target and builds the staged form.
 * @param defaultId the id to use when the options give none
 * @throws OutboxMessageError naming what the target cannot take; nothing is staged
 */
export function stageMessage(
  target: OutboxTarget,
  message: unknown,
  options: PublishOptions,
  defaultId: string,
  key: string | undefined,
): OutboxMessage {
  const refuse = (problem: OutboxMessageProblem, what: string): never => {
    throw new OutboxMessageError(`publish() to ${targetName(target)}: ${what}; nothing was staged`, {
      problem,
      target: targetName(target),
      key,
    });
  };
  const id = checkId(options, defaultId, refuse);
  const groupId = checkGroup(target, options.groupId, refuse);
  const delaySeconds = checkDelay(target, options.delaySeconds, refuse);
  if (target.kind === 'eventbridge') return eventMessage(target, message, options, id, refuse);
  const body = typeof message === 'string' ? message : json(message, refuse);
  if (body.length === 0) refuse('body', 'the message body is empty');
  if (INVALID_BODY_CHARACTERS.test(body))
    refuse('body', 'the message body has characters SQS and SNS refuse (outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF)');
  const attributes = checkAttributes(options.attributes, refuse);
  const bytes =
    Buffer.byteLength(body) + attributeBytes({ ...attributes, [OUTBOX_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: id } });
  if (bytes > MAX_MESSAGE_BYTES)
    refuse(
      'size',
      `the message is ${bytes} bytes (body and attributes), above the ${MAX_MESSAGE_BYTES} ${target.kind === 'sqs' ? 'SQS' : 'SNS'} takes`,
    );
  return Object.freeze({
    id,
    target,
    body,
    ...(groupId === undefined ? {} : { groupId }),
    ...(attributes === undefined ? {} : { attributes }),
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
  });
}

type Refuse = (problem: OutboxMessageProblem, what: string) => never;

/** The message's id (the option's, else `defaultId`), after refusing options that are not known. */
function checkId(options: PublishOptions, defaultId: string, refuse: Refuse): string {
  if (options === null || typeof options !== 'object') refuse('option', `expected the options to be an object, got ${describe(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) refuse('option', `unknown option \`${name}\` (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  const id = options.id ?? defaultId;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !ID_CHARACTERS.test(id)) {
    refuse('id', `expected \`id\` to be 1 to ${MAX_ID_LENGTH} printable ASCII characters, got ${describe(options.id)}`);
  }
  return id;
}

/** The staged form of an event: its detail (a JSON object) with the message id as `outboxMessageId`. */
function eventMessage(target: EventBusTarget, message: unknown, options: PublishOptions, id: string, refuse: Refuse): OutboxMessage {
  if (options.attributes !== undefined) refuse('attributes', 'an event bus takes no message attributes (put them in the detail)');
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    refuse('body', `an event's detail must be a JSON object, got ${describe(message)}`);
  }
  const body = json({ ...message, outboxMessageId: id }, refuse);
  const bytes = Buffer.byteLength(target.source) + Buffer.byteLength(target.detailType) + Buffer.byteLength(body);
  if (bytes > MAX_MESSAGE_BYTES) {
    refuse('size', `the event is ${bytes} bytes (source, detail-type and detail), above the ${MAX_MESSAGE_BYTES} of an EventBridge entry`);
  }
  return Object.freeze({ id, target, body });
}

function json(value: unknown, refuse: Refuse): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return refuse('body', `the message cannot be serialised as JSON (${(error as Error).message})`);
  }
  return text === undefined ? refuse('body', `the message must be a string or a JSON value, got ${describe(value)}`) : text;
}

function checkGroup(target: OutboxTarget, groupId: unknown, refuse: Refuse): string | undefined {
  if (groupId === undefined) {
    if (target.kind !== 'eventbridge' && target.fifo)
      refuse('group', `a FIFO ${target.kind === 'sqs' ? 'queue' : 'topic'} needs \`groupId\``);
    return undefined;
  }
  if (target.kind === 'eventbridge') refuse('group', 'an event bus has no message groups');
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > MAX_ID_LENGTH || !ID_CHARACTERS.test(groupId)) {
    refuse('group', `expected \`groupId\` to be 1 to ${MAX_ID_LENGTH} printable ASCII characters, got ${describe(groupId)}`);
  }
  return groupId;
}

function checkDelay(target: OutboxTarget, delay: unknown, refuse: Refuse): number | undefined {
  if (delay === undefined) return undefined;
  if (target.kind !== 'sqs' || target.fifo) {
    refuse(
      'delay',
      `\`delaySeconds\` is for standard SQS queues only (${target.kind === 'sqs' ? 'a FIFO queue delays every message by its queue setting' : `this is ${target.kind === 'sns' ? 'an SNS topic' : 'an event bus'}`})`,
    );
  }
  if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
    refuse('delay', `expected \`delaySeconds\` to be a whole number from 0 to ${MAX_DELAY_SECONDS}, got ${describe(delay)}`);
  }
  return delay;
}

function checkAttributes(attributes: unknown, refuse: Refuse): Record<string, MessageAttribute> | undefined {
  if (attributes === undefined) return undefined;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    refuse('attributes', `expected \`attributes\` to be an object of strings and numbers, got ${describe(attributes)}`);
  }
  const entries = Object.entries(attributes as Record<string, unknown>);
  if (entries.length > MAX_MESSAGE_ATTRIBUTES - 1) {
    refuse(
      'attributes',
      `${entries.length} attributes, above the ${MAX_MESSAGE_ATTRIBUTES - 1} a message may have besides ${OUTBOX_MESSAGE_ID_ATTRIBUTE} (SQS delivers ${MAX_MESSAGE_ATTRIBUTES})`,
    );
  }
  const out: Record<string, MessageAttribute> = {};
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || RESERVED_ATTRIBUTE_PREFIX.test(name) || name === OUTBOX_MESSAGE_ID_ATTRIBUTE) {
      refuse(
        'attributes',
        `attribute name ${JSON.stringify(name)} is not allowed (1 to 256 of A-Z a-z 0-9 _ - ., no leading, trailing or double dot, no AWS./Amazon. prefix, not ${OUTBOX_MESSAGE_ID_ATTRIBUTE})`,
      );
    }
    if (typeof value === 'string' && value.length > 0) {
      out[name] = { DataType: 'String', StringValue: value };
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      out[name] = { DataType: 'Number', StringValue: String(value) };
    } else {
      refuse('attributes', `attribute ${JSON.stringify(name)} must be a non-empty string or a finite number, got ${describe(value)}`);
    }
  }
  return out;
}

/** Bytes of message attributes as SQS counts them: name, data type and value of each. */
function attributeBytes(attributes: Record<string, MessageAttribute>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue),
    0,
  );
}

/** The size SQS/SNS/EventBridge count for a staged message (for batching under the request limit). */
export function messageBytes(message: OutboxMessage): number {
  if (message.target.kind === 'eventbridge') {
    return Buffer.byteLength(message.target.source) + Buffer.byteLength(message.target.detailType) + Buffer.byteLength(message.body);
  }
  return (
    Buffer.byteLength(message.body) +
    attributeBytes({ ...message.attributes, [OUTBOX_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: message.id } })
  );
}
