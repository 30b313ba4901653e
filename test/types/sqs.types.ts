/* eslint-disable @typescript-eslint/no-unused-vars -- values here exist to be inspected by the type checker */
/**
 * Type tests of processSqsBatch, checked by `npm run typecheck` (tsc): the library's own SQS shapes are
 * interchangeable with `@types/aws-lambda`'s, and the parsed body type flows from `parse` or the type
 * argument into the handler, the key and the fingerprint. The `@ts-expect-error` lines must stay errors.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from 'aws-lambda';
import { InMemoryStore } from '../../lib';
import {
  processSqsBatch,
  type SqsBatchOptions,
  type SqsBatchResponse,
  type SqsClientLike,
  type SqsEvent,
  type SqsRecord,
} from '../../lib/sqs';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

interface Order {
  orderId: string;
  amount: number;
}

const store = new InMemoryStore();
declare const lambdaEvent: SQSEvent;

// A handler taking a Lambda SQSEvent and Context and returning processSqsBatch's response is an SQSHandler.
const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processSqsBatch<Order>(event, async (_record, { body }) => body.amount * 2, {
    store,
    key: (_record, { body }) => body.orderId,
    context,
  });
const asSqsHandler: SQSHandler = handler;

// A record handler written against @types/aws-lambda is accepted.
void processSqsBatch(lambdaEvent, async (record: SQSRecord): Promise<void> => void record.messageId);

// The event, record and response types are interchangeable with their @types/aws-lambda counterparts.
const ours: SqsEvent = lambdaEvent;
const back: SQSEvent = ours;
declare const lambdaRecord: SQSRecord;
const record: SqsRecord = lambdaRecord;
const recordBack: SQSRecord = record;
const response: SQSBatchResponse = { batchItemFailures: [] } satisfies SqsBatchResponse;

// The body type is inferred from parse.
void processSqsBatch(
  lambdaEvent,
  async (_record, { body }) => {
    expectType<Equals<typeof body, string[]>>();
  },
  { parse: (text: string) => text.split(',') },
);

// Key and fingerprint functions get the body type, and a wrong field is refused.
const options: SqsBatchOptions<Order> = {
  store,
  key: (_record, { body }) => body.orderId,
  fingerprint: (_record, { body }) => body.amount,
};
const wrong: SqsBatchOptions<Order> = {
  store,
  // @ts-expect-error -- Order has no customerId
  key: (_record, { body }) => body.customerId,
};

// An SQSClient of @aws-sdk/client-sqs is a visibility client.
declare const client: SQSClient;
const likeIt: SqsClientLike = client;
const withVisibility: SqsBatchOptions = { visibility: { client } };

// An unknown option, or a value outside an option's union, does not compile.
// @ts-expect-error -- a typo
const typo: SqsBatchOptions = { concurency: 3 };
// @ts-expect-error -- not one of 'skip-group' | 'stop'
const fifo: SqsBatchOptions = { fifoOnFailure: 'skip' };
