import type { AccountCharge } from '../../handlers/chaos-consumer';
import { between, seeded } from './random';

/** Which of the two queues a message goes to. */
export type QueueKind = 'standard' | 'fifo';

/** One SQS message to send. */
export interface OutgoingMessage {
  readonly queue: QueueKind;
  readonly body: string;
  /** FIFO: the message group (the account, or the poison message's own group). */
  readonly groupId: string;
  /** FIFO: a deduplication id of its own, so that SQS does not deduplicate the copies. */
  readonly deduplicationId: string;
  /** `event` or `poison`. */
  readonly kind: 'event' | 'poison';
  /** The business event id, or the poison message's id. */
  readonly id: string;
  /** Which copy of its event this is, from 0. */
  readonly copy: number;
}

/** What a chaos run sends. */
export interface Workload {
  readonly events: readonly AccountCharge[];
  /** Every message, in send order. */
  readonly messages: readonly OutgoingMessage[];
  /** Ids of the poison messages: the only messages that belong in a DLQ. */
  readonly poison: ReadonlySet<string>;
}

/** Accounts the events charge (and FIFO message groups). */
export const ACCOUNTS = 100;
/** One message in this many is a poison message (a body the consumer cannot parse); at least one. */
export const POISON_EVERY = 200;
/** Copies of a business event: one to three. */
const MAX_COPIES = 3;
/** How far (in events) a copy sent "soon after" its first copy lands. */
const NEAR_COPY_SPREAD = 20;

/**
 * `messages` SQS messages: business events each sent one to three times (a producer retrying, a
 * replay), each copy with its own FIFO deduplication id and on either queue, plus a few poison messages
 * (unless `poison` is false). Half the later copies follow their first copy closely (concurrent
 * duplicates), the others anywhere.
 */
export function makeWorkload(messages: number, seed: number, options: { readonly poison?: boolean } = {}): Workload {
  const random = seeded(seed, 'workload');
  const poisonCount = options.poison === false ? 0 : Math.max(1, Math.floor(messages / POISON_EVERY));
  let left = messages - poisonCount;
  const events: AccountCharge[] = [];
  const copiesOf: number[] = [];
  while (left > 0) {
    const copies = Math.min(left, between(random, 1, MAX_COPIES));
    events.push({
      eventId: `evt-${seed}-${events.length}`,
      account: `acct-${between(random, 0, ACCOUNTS - 1)}`,
      amountCents: between(random, 100, 10_000),
    });
    copiesOf.push(copies);
    left -= copies;
  }
  const placed: Array<{ at: number; message: OutgoingMessage }> = [];
  const queueOf = (): QueueKind => (random() < 0.5 ? 'standard' : 'fifo');
  events.forEach((event, index) => {
    const body = JSON.stringify(event);
    for (let copy = 0; copy < (copiesOf[index] ?? 1); copy += 1) {
      const at = copy === 0 ? index + random() : random() < 0.5 ? index + random() * NEAR_COPY_SPREAD : random() * events.length;
      placed.push({
        at,
        message: {
          queue: queueOf(),
          body,
          groupId: event.account,
          deduplicationId: `${event.eventId}-copy-${copy}`,
          kind: 'event',
          id: event.eventId,
          copy,
        },
      });
    }
  });
  const poison = new Set<string>();
  for (let index = 0; index < poisonCount; index += 1) {
    const id = `poison-${seed}-${index}`;
    poison.add(id);
    placed.push({
      at: random() * events.length,
      message: {
        queue: queueOf(),
        body: `${id}: not an account charge`,
        groupId: id,
        deduplicationId: id,
        kind: 'poison',
        id,
        copy: 0,
      },
    });
  }
  placed.sort((a, b) => a.at - b.at);
  return { events, messages: placed.map((p) => p.message), poison };
}
