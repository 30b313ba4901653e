import { kinesisBatch } from '../../bench/streams';

function payloads(event: ReturnType<typeof kinesisBatch>): { orderId: string }[] {
  return event.Records.map((record) => JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as { orderId: string });
}

describe("the Kinesis scenario's batches", () => {
  it('are ten consecutive records of one shard, in increasing sequence order', () => {
    const event = kinesisBatch();
    const shards = new Set(event.Records.map((record) => record.eventID.split(':')[0]));
    const sequences = event.Records.map((record) => BigInt(record.kinesis.sequenceNumber));

    expect(event.Records).toHaveLength(10);
    expect(shards.size).toBe(1);
    expect(sequences.every((sequence, index) => index === 0 || sequence > (sequences[index - 1] as bigint))).toBe(true);
  });

  it('carry a fresh order in every record, as JSON in the base64 data', () => {
    const orders = payloads(kinesisBatch());

    expect(new Set(orders.map((order) => order.orderId)).size).toBe(10);
    expect(orders[0]).toEqual({ orderId: expect.any(String) as unknown, amount: 129.9, currency: 'EUR' });
  });

  it('never repeat an event id from one batch to the next (the floor keys on them)', () => {
    const first = kinesisBatch().Records.map((record) => record.eventID);
    const second = new Set(kinesisBatch().Records.map((record) => record.eventID));

    expect(first.some((id) => second.has(id))).toBe(false);
  });
});
