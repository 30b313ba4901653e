import type { Notifier } from '../../handlers/chaos-consumer';

/** The notifier refused a call: the invocation making it was already dead (see {@link FakeNotifier}). */
export class NotifierRefusedError extends Error {
  public constructor(eventId: string, reason: string) {
    super(`The notification of ${eventId} was not sent: ${reason}`);
    this.name = 'NotifierRefusedError';
  }
}

/**
 * A fake customer notifier (an email sender): no idempotency key, so every call it accepts reaches the
 * customer. It records the calls per business event, which is how the chaos suite counts the repeats of
 * a plain effect.
 */
export class FakeNotifier implements Notifier {
  /** Notifications sent per business event id. */
  public readonly sent = new Map<string, number>();
  /** Calls refused because `refuse` gave a reason. */
  public refused = 0;

  public constructor(
    private readonly options: {
      /**
       * Returns why the caller cannot reach the outside world any more (a Lambda invocation past its function
       * timeout has been stopped by the runtime), or `undefined` to send.
       */
      readonly refuse?: () => string | undefined;
      /** Called for each notification sent. */
      readonly onSent?: (eventId: string) => void;
    } = {},
  ) {}

  public async notify(input: Parameters<Notifier['notify']>[0]): Promise<void> {
    const reason = this.options.refuse?.();
    if (reason !== undefined) {
      this.refused += 1;
      throw new NotifierRefusedError(input.eventId, reason);
    }
    // Sent: from here on the customer has it, whatever happens to the caller.
    this.sent.set(input.eventId, (this.sent.get(input.eventId) ?? 0) + 1);
    this.options.onSent?.(input.eventId);
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Notifications sent in all. */
  public get total(): number {
    let total = 0;
    for (const count of this.sent.values()) total += count;
    return total;
  }
}
