/**
 * A custom `requestHandler` for SDK clients whose service has no local server here (SNS, EventBridge): it
 * records every HTTP request the real client serialises and answers with the responses a test scripts, so
 * tests see the real request shapes, batching and the SDK's own retries.
 */
import { Readable } from 'node:stream';

/** One HTTP request as the SDK sent it. */
export interface SentRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A scripted answer: status, content type and body text. */
export interface ScriptedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A request handler that answers each request with `answer(request, index)`. */
export function scriptedHandler(answer: (request: SentRequest, index: number) => ScriptedResponse): {
  readonly requests: SentRequest[];
  readonly handler: { handle(request: { headers: Record<string, string>; body?: unknown }): Promise<{ response: unknown }> };
} {
  const requests: SentRequest[] = [];
  return {
    requests,
    handler: {
      async handle(request) {
        const sent = { headers: request.headers, body: bodyText(request.body) };
        requests.push(sent);
        const reply = answer(sent, requests.length - 1);
        return {
          response: {
            statusCode: reply.status,
            headers: { 'content-type': reply.contentType, 'x-amzn-requestid': `req-${requests.length}` },
            body: Readable.from([Buffer.from(reply.body)]),
          },
        };
      },
    },
  };
}

/** The form fields of an SNS (query protocol) request body. */
export function formFields(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** An SNS PublishBatch answer: ids that succeeded, and failures `{ id, code, senderFault }`. */
export function snsPublishBatchResponse(
  ok: readonly string[],
  failed: readonly { id: string; code: string; senderFault: boolean }[] = [],
): ScriptedResponse {
  const members = (xs: string[]): string => xs.map((x) => `<member>${x}</member>`).join('');
  return {
    status: 200,
    contentType: 'text/xml',
    body:
      '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult>' +
      `<Successful>${members(ok.map((id) => `<Id>${id}</Id><MessageId>m-${id}</MessageId>`))}</Successful>` +
      `<Failed>${members(failed.map((f) => `<Id>${f.id}</Id><Code>${f.code}</Code><SenderFault>${f.senderFault}</SenderFault><Message>scripted</Message>`))}</Failed>` +
      '</PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>',
  };
}

/** An SNS error answer (e.g. `Throttling`, 400). */
export function snsError(status: number, code: string): ScriptedResponse {
  return {
    status,
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>scripted</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  };
}

/** An EventBridge PutEvents answer: per entry, an event id or an error code. */
export function putEventsResponse(entries: readonly ({ ok: true } | { error: string })[]): ScriptedResponse {
  return {
    status: 200,
    contentType: 'application/x-amz-json-1.1',
    body: JSON.stringify({
      FailedEntryCount: entries.filter((e) => 'error' in e).length,
      Entries: entries.map((e, i) => ('error' in e ? { ErrorCode: e.error, ErrorMessage: 'scripted' } : { EventId: `e-${i}` })),
    }),
  };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return body === undefined || body === null ? '' : JSON.stringify(body);
}
