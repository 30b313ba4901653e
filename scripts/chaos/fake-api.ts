import type { PaymentsApi } from '../../handlers/chaos-consumer';
import type { Random } from './random';

/** The fake API lost the response of a request it applied. */
export class ApiResponseLostError extends Error {
  public constructor(reference: string) {
    super(`The payments API applied the charge of ${reference} but its response was lost (injected)`);
    this.name = 'ApiResponseLostError';
  }
}

/**
 * A fake payments API that behaves like real ones: a request with an idempotency key already seen is not
 * applied again (the first response is returned); a request without a key is always applied. A share of
 * responses is lost after the charge was applied.
 */
export class FakePaymentsApi implements PaymentsApi {
  /** Requests received (applied or not). */
  public requests = 0;
  /** Requests answered from an idempotency key already seen. */
  public deduplicated = 0;
  /** Responses lost after applying the charge. */
  public lostResponses = 0;
  /** Applied charges per reference (business event id). */
  public readonly applied = new Map<string, number>();
  readonly #byKey = new Map<string, { chargeId: string }>();
  #charges = 0;

  public constructor(
    private readonly random: Random,
    private readonly lostResponseRate: number,
  ) {}

  public async charge(input: Parameters<PaymentsApi['charge']>[0]): Promise<{ chargeId: string }> {
    this.requests += 1;
    await new Promise((resolve) => setImmediate(resolve));
    const seen = input.idempotencyKey === undefined ? undefined : this.#byKey.get(input.idempotencyKey);
    if (seen !== undefined) {
      this.deduplicated += 1;
      return seen;
    }
    this.#charges += 1;
    const response = { chargeId: `ch_${this.#charges}` };
    this.applied.set(input.reference, (this.applied.get(input.reference) ?? 0) + 1);
    if (input.idempotencyKey !== undefined) this.#byKey.set(input.idempotencyKey, response);
    if (this.random() < this.lostResponseRate) {
      this.lostResponses += 1;
      throw new ApiResponseLostError(input.reference);
    }
    return response;
  }

  /** Total charges applied. */
  public get charges(): number {
    return this.#charges;
  }
}
