/**
 * `releaseStreamRecord`: the way out of a stream record whose idempotency record is stuck on an interrupted
 * `atMostOnce` step, with the event it arrived in and the options `processStreamBatch` uses.
 */
import { IdempotencyConfigError, IdempotencyKeyError, InMemoryStore, step, type IdempotencyLogger } from '../../lib';
import { processStreamBatch, releaseStreamRecord, type KinesisBatchOptions } from '../../lib/streams';
import { base64, kafkaRecords, kinesisEvent, kinesisRecord, kinesisRecords, mskEvent } from '../helpers/stream-events';

const quiet: IdempotencyLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A handler whose `ship` step (at most once) throws the first time it runs, leaving its record stuck. */
function shipper(): { readonly sent: unknown[]; readonly handler: (record: unknown, info: { data: unknown }) => Promise<void> } {
  const sent: unknown[] = [];
  let fail = true;
  const handler = async (_record: unknown, { data }: { data: unknown }): Promise<void> => {
    await step(
      'ship',
      () => {
        sent.push(data);
        if (fail) {
          fail = false;
          throw new Error('carrier timed out');
        }
        return 'shipped';
      },
      { atMostOnce: true },
    );
  };
  return { sent, handler };
}

describe('releaseStreamRecord', () => {
  it('marks the interrupted step of a Kinesis record done, so the next delivery replays it and goes on', async () => {
    const options: KinesisBatchOptions = { store: new InMemoryStore(), logger: quiet };
    const event = kinesisEvent(kinesisRecords([{ parcel: 1 }]));
    const record = event.Records[0]!;
    const { sent, handler } = shipper();
    const failed = { batchItemFailures: [{ itemIdentifier: record.kinesis.sequenceNumber }] };
    await expect(processStreamBatch(event, handler, options)).resolves.toEqual(failed);
    await expect(processStreamBatch(event, handler, options)).resolves.toEqual(failed);
    await expect(releaseStreamRecord(event, record, options, { step: 'ship', result: 'shipped (reconciled)' })).resolves.toBe('stepDone');
    await expect(processStreamBatch(event, handler, options)).resolves.toEqual({ batchItemFailures: [] });
    expect(sent).toEqual([{ parcel: 1 }]);
  });

  it('deletes the stuck record of a Kafka record, so the next delivery runs it afresh', async () => {
    const options = { store: new InMemoryStore(), logger: quiet };
    const event = mskEvent(kafkaRecords('orders', 0, [{ parcel: 2 }]));
    const record = Object.values(event.records)[0]![0]!;
    let runs = 0;
    const handler = async (): Promise<void> => {
      await step(
        'ship',
        () => {
          runs += 1;
          if (runs === 1) throw new Error('carrier timed out');
        },
        { atMostOnce: true },
      );
    };
    await expect(processStreamBatch(event, handler, options)).rejects.toThrow(/1 of 1 Kafka partition\(s\) failed/);
    await expect(releaseStreamRecord(event, record, options)).resolves.toBe('released');
    await expect(processStreamBatch(event, handler, options)).resolves.toEqual({ batchItemFailures: [] });
    expect(runs).toBe(2);
  });

  it('refuses a record that is not one of the event’s records, and options without a store', async () => {
    const event = kinesisEvent(kinesisRecords([{ parcel: 3 }]));
    const stranger = kinesisRecord({ data: { parcel: 3 } });
    await expect(releaseStreamRecord(event, stranger, { store: new InMemoryStore() })).rejects.toThrow(
      new IdempotencyConfigError('releaseStreamRecord: `record` must be one of the records of `event` (the same object)'),
    );
    await expect(releaseStreamRecord(event, event.Records[0]!, {})).rejects.toThrow(
      new IdempotencyConfigError('releaseStreamRecord needs the `store` option: pass the options processStreamBatch uses'),
    );
  });

  it('fails with IdempotencyKeyError when the record cannot be decoded', async () => {
    const record = kinesisRecord({ data: 'unused' });
    record.kinesis.data = base64('{not json');
    const error = await releaseStreamRecord(kinesisEvent([record]), record, { store: new InMemoryStore() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyError);
    expect((error as Error).message).toBe('Could not decode the stream record, so its idempotency record cannot be found');
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });
});
