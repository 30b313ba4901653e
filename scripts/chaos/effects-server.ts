/**
 * The outside world of the process-kill chaos run: the fake payments API and the customer notifier as an
 * HTTP server in the parent process, so that what a consumer process did outside survives its SIGKILL.
 *
 * - `POST /charge` with an `Idempotency-Key` header: applied once per key (the first response is returned
 *   to repeats); a share of responses is lost after the charge was applied (the socket is destroyed).
 * - `POST /notify`: a plain effect, no key; every request is recorded, with the delivery that sent it.
 * - `GET /health`: 204, for a consumer's warm-up.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from './random';

/** Which delivery made a request: the consumer process, and its invocation there. */
export interface DeliveryRef {
  readonly child: number;
  readonly invocation: number;
}

/** Body of `POST /charge`. */
export interface ChargeRequest {
  readonly account: string;
  readonly amountCents: number;
  readonly reference: string;
  readonly delivery: DeliveryRef;
}

/** Body of `POST /notify`. */
export interface NotifyRequest {
  readonly eventId: string;
  readonly account: string;
  readonly amountCents: number;
  readonly chargeId: string;
  readonly delivery: DeliveryRef;
}

/** Header carrying the idempotency key of a charge. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** A running effects server. */
export interface EffectsServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Charges applied per reference (business event id). */
  readonly applied: ReadonlyMap<string, number>;
  /** Charge requests received (applied or answered from their key). */
  readonly chargeRequests: () => number;
  /** Charge responses lost after the charge was applied. */
  readonly lostResponses: () => number;
  /** Every notification received, in order. */
  readonly notifications: readonly NotifyRequest[];
  stop(): Promise<void>;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * Starts the server on a free port.
 * @param onNotify called when a notification has been recorded, before it is answered (the parent can kill
 *   the process that sent it right there, between the effect and the completion)
 */
export async function startEffectsServer(options: {
  readonly random: Random;
  readonly lostResponseRate: number;
  readonly onNotify?: (notification: NotifyRequest) => void;
}): Promise<EffectsServer> {
  const applied = new Map<string, number>();
  const byKey = new Map<string, { chargeId: string }>();
  const notifications: NotifyRequest[] = [];
  let chargeRequests = 0;
  let lostResponses = 0;
  let charges = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'POST' && request.url === '/charge') {
      const body = (await readJson(request)) as ChargeRequest;
      chargeRequests += 1;
      const keyHeader = request.headers[IDEMPOTENCY_KEY_HEADER];
      const key = typeof keyHeader === 'string' ? keyHeader : undefined;
      const seen = key === undefined ? undefined : byKey.get(key);
      if (seen !== undefined) {
        reply(response, 200, seen);
        return;
      }
      charges += 1;
      const receipt = { chargeId: `ch_${charges}` };
      applied.set(body.reference, (applied.get(body.reference) ?? 0) + 1);
      if (key !== undefined) byKey.set(key, receipt);
      if (options.random() < options.lostResponseRate) {
        lostResponses += 1;
        request.socket.destroy(); // applied; the answer never arrives
        return;
      }
      reply(response, 200, receipt);
      return;
    }
    if (request.method === 'POST' && request.url === '/notify') {
      const body = (await readJson(request)) as NotifyRequest;
      notifications.push(body);
      options.onNotify?.(body);
      reply(response, 204, {});
      return;
    }
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(204).end();
      return;
    }
    reply(response, 404, { message: `No route ${request.method ?? ''} ${request.url ?? ''}` });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { message: String(error) });
    });
  });
  // Killed consumers leave sockets behind: never let them keep the server open.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    applied,
    chargeRequests: () => chargeRequests,
    lostResponses: () => lostResponses,
    notifications,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
