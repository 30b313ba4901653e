/**
 * The contract every IdempotencyStore keeps, as a reusable suite: run against InMemoryStore (unit) and
 * DynamoDBStore (integration), so both stores are held to the same semantics.
 */
import { randomUUID } from 'node:crypto';
import { IdempotencyLeaseLostError } from '../../lib';
import { RecordStatus, type IdempotencyStore } from '../../lib/store';

const NOW = 1_800_000_000_000;
const SEC = Math.floor(NOW / 1000);

export function describeStoreContract(label: string, makeStore: () => Promise<IdempotencyStore> | IdempotencyStore): void {
  describe(`${label} keeps the store contract`, () => {
    let store: IdempotencyStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    const key = (): string => `contract#${randomUUID()}`;
    const claim = (k: string, token: string, overrides: Partial<{ leaseUntil: number; expiresAt: number; now: number }> = {}) =>
      store.claim({ key: k, token, leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, ...overrides });
    const complete = (k: string, token: string, now = NOW) =>
      store.complete({ key: k, token, result: '"done"', outcome: 'value', expiresAt: SEC + 3600, writes: [], now });

    it('claims an absent key', async () => {
      await expect(claim(key(), 't1')).resolves.toEqual({ claimed: true, steps: {} });
    });

    it('returns the live record instead of claiming it again', async () => {
      const k = key();
      await claim(k, 't1');
      const result = await claim(k, 't2');
      expect(result.claimed).toBe(false);
      expect(!result.claimed && result.existing).toMatchObject({
        key: k,
        status: RecordStatus.InProgress,
        token: 't1',
        leaseUntil: NOW + 10_000,
      });
    });

    it('claims a key whose record expired', async () => {
      const k = key();
      await claim(k, 't1', { expiresAt: SEC - 1 });
      await expect(claim(k, 't2')).resolves.toEqual({ claimed: true, steps: {} });
    });

    it('takes over an ended lease and keeps the checkpoints', async () => {
      const k = key();
      await claim(k, 't1', { leaseUntil: NOW - 1 });
      await store.checkpoint({ key: k, token: 't1', step: 's1', checkpoint: { state: 'done', result: '1' } });
      const result = await store.takeOver({
        key: k,
        token: 't2',
        previousToken: 't1',
        leaseUntil: NOW + 5_000,
        expiresAt: SEC + 3600,
        now: NOW,
      });
      expect(result).toEqual({ claimed: true, steps: { s1: { state: 'done', result: '1' } } });
    });

    it('refuses to take over a lease that has not ended', async () => {
      const k = key();
      await claim(k, 't1');
      const result = await store.takeOver({
        key: k,
        token: 't2',
        previousToken: 't1',
        leaseUntil: NOW + 5_000,
        expiresAt: SEC + 3600,
        now: NOW,
      });
      expect(result.claimed).toBe(false);
      expect(!result.claimed && result.existing.token).toBe('t1');
    });

    describe('durable execution owners', () => {
      const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-1/0c8f';
      const OTHER = 'arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-2/7d1e';
      const takeOver = (k: string, token: string, previousToken: string, owner?: string) =>
        store.takeOver({
          key: k,
          token,
          previousToken,
          leaseUntil: NOW + 5_000,
          expiresAt: SEC + 3600,
          now: NOW,
          ...(owner === undefined ? {} : { owner }),
        });

      it('stores the owner of a claim and returns it with the record', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await expect(store.get(k, NOW)).resolves.toMatchObject({ token: 't1', owner: ARN });
        const again = await claim(k, 't2');
        expect(!again.claimed && again.existing.owner).toBe(ARN);
      });

      it('lets the owner take over its record while the lease is live, keeping the checkpoints', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await store.checkpoint({ key: k, token: 't1', step: 's1', checkpoint: { state: 'done', result: '1' } });
        await expect(takeOver(k, 't2', 't1', ARN)).resolves.toEqual({ claimed: true, steps: { s1: { state: 'done', result: '1' } } });
        await expect(store.get(k, NOW)).resolves.toMatchObject({ token: 't2', owner: ARN, leaseUntil: NOW + 5_000 });
      });

      it('refuses a live lease to another owner and to a taker without one', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        const other = await takeOver(k, 't2', 't1', OTHER);
        expect(!other.claimed && other.existing).toMatchObject({ token: 't1', owner: ARN });
        const none = await takeOver(k, 't3', 't1');
        expect(!none.claimed && none.existing).toMatchObject({ token: 't1', owner: ARN });
      });

      it('refuses the owner a take-over when the token it saw is no longer there', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await takeOver(k, 't2', 't1', ARN);
        const stale = await takeOver(k, 't3', 't1', ARN);
        expect(!stale.claimed && stale.existing.token).toBe('t2');
      });

      it('gives an ended lease to a taker without an owner, and removes the previous owner', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW - 1, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await expect(takeOver(k, 't2', 't1')).resolves.toEqual({ claimed: true, steps: {} });
        const record = await store.get(k, NOW);
        expect(record?.token).toBe('t2');
        expect(record?.owner).toBeUndefined();
      });

      it('keeps the owner on the completed record', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await complete(k, 't1');
        await expect(store.get(k, NOW)).resolves.toMatchObject({ status: RecordStatus.Completed, owner: ARN });
      });

      it('never lets the owner take over a completed record', async () => {
        const k = key();
        await store.claim({ key: k, token: 't1', leaseUntil: NOW + 10_000, expiresAt: SEC + 3600, now: NOW, owner: ARN });
        await complete(k, 't1');
        const result = await takeOver(k, 't2', 't1', ARN);
        expect(!result.claimed && result.existing).toMatchObject({ status: RecordStatus.Completed, token: 't1' });
      });
    });

    it('completes for the token holder and returns the result to the next claim', async () => {
      const k = key();
      await claim(k, 't1');
      await complete(k, 't1');
      const result = await claim(k, 't2');
      expect(!result.claimed && result.existing).toMatchObject({ status: RecordStatus.Completed, result: '"done"', outcome: 'value' });
    });

    it('refuses completion, checkpoints and lease extension by another token with IdempotencyLeaseLostError', async () => {
      const k = key();
      await claim(k, 't1');
      await expect(complete(k, 'intruder')).rejects.toThrow(IdempotencyLeaseLostError);
      await expect(store.checkpoint({ key: k, token: 'intruder', step: 's', checkpoint: { state: 'started' } })).rejects.toThrow(
        IdempotencyLeaseLostError,
      );
      await expect(store.extendLease({ key: k, token: 'intruder', leaseUntil: NOW + 99_000, expiresAt: SEC + 7200 })).rejects.toThrow(
        IdempotencyLeaseLostError,
      );
    });

    it('succeeds without writing when the completion is retried after it was applied (its own completed record)', async () => {
      const k = key();
      await claim(k, 't1');
      await complete(k, 't1');
      await expect(complete(k, 't1')).resolves.toBeUndefined();
      await expect(store.get(k, NOW)).resolves.toMatchObject({ status: RecordStatus.Completed, token: 't1', result: '"done"' });
    });

    it('never releases a completed record, not even for the token that completed it', async () => {
      const k = key();
      await claim(k, 't1');
      await complete(k, 't1');
      await store.release({ key: k, token: 't1', keepCheckpoints: false });
      await store.release({ key: k, token: 't1', keepCheckpoints: true });
      await expect(store.get(k, NOW)).resolves.toMatchObject({ status: RecordStatus.Completed, token: 't1' });
    });

    it('moves the expiry with the lease when the lease is extended', async () => {
      const k = key();
      await claim(k, 't1');
      await store.extendLease({ key: k, token: 't1', leaseUntil: NOW + 7_200_000, expiresAt: SEC + 7300 });
      await expect(store.get(k, NOW)).resolves.toMatchObject({ leaseUntil: NOW + 7_200_000, expiresAt: SEC + 7300 });
    });

    it('releases by deleting, and counts an already-gone record as released', async () => {
      const k = key();
      await claim(k, 't1');
      await store.release({ key: k, token: 't1', keepCheckpoints: false });
      await expect(store.get(k, NOW)).resolves.toBeUndefined();
      await expect(store.release({ key: k, token: 't1', keepCheckpoints: false })).resolves.toBeUndefined();
    });

    it("refuses to release another token's record", async () => {
      const k = key();
      await claim(k, 't1');
      await expect(store.release({ key: k, token: 'intruder', keepCheckpoints: false })).rejects.toThrow(IdempotencyLeaseLostError);
      await expect(store.get(k, NOW)).resolves.toMatchObject({ token: 't1' });
    });

    it('releases with keepCheckpoints by ending the lease and keeping the steps', async () => {
      const k = key();
      await claim(k, 't1');
      await store.checkpoint({ key: k, token: 't1', step: 'a', checkpoint: { state: 'done', result: '"A"' } });
      await store.release({ key: k, token: 't1', keepCheckpoints: true });
      await expect(store.get(k, NOW)).resolves.toMatchObject({ leaseUntil: 0, steps: { a: { state: 'done', result: '"A"' } } });
    });

    it('writes a completed record optimistically once, and returns the winner to a second writer', async () => {
      const k = key();
      const input = { key: k, result: '1', outcome: 'value' as const, expiresAt: SEC + 3600, writes: [], now: NOW };
      await expect(store.putCompleted({ ...input, token: 'a' })).resolves.toEqual({ written: true });
      const second = await store.putCompleted({ ...input, token: 'b', result: '2' });
      expect(second.written).toBe(false);
      expect(!second.written && second.existing).toMatchObject({ token: 'a', result: '1', status: RecordStatus.Completed });
    });

    it('reports an expired record as absent on a read', async () => {
      const k = key();
      await claim(k, 't1', { expiresAt: SEC - 1 });
      await expect(store.get(k, NOW)).resolves.toBeUndefined();
    });
  });
}
