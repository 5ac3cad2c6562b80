// One attempt at sending a proxied request to one upstream instance through
// undici's dispatch API, streaming the answer straight into the client response.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { CONNECT_ERROR_CODES, RETRYABLE_STATUSES } from '@souk/chassis';
import { clientResponseHeaders } from './headers.ts';

/** How an attempt failed before any byte reached the client. */
export type AttemptFailure =
  /** The connection could not be opened: the upstream never saw the request. */
  | 'connect'
  /** The connection broke before a response: the upstream may have seen the request. */
  | 'reset'
  /** No response headers within the timeout. */
  | 'timeout';

export type AttemptOutcome =
  /** The upstream's answer went to the client; `complete` is false when its body broke off midway. */
  | { kind: 'responded'; status: number; complete: boolean }
  /** A 502/503/504 held back (body discarded) so that the caller can try another instance. */
  | { kind: 'retryable-status'; status: number }
  | { kind: 'failed'; failure: AttemptFailure; error: Error }
  /** The client went away; nothing more to send. */
  | { kind: 'client-gone' };

export interface AttemptRequest {
  dispatcher: Dispatcher;
  method: string;
  /** Path and query, unchanged from the client's request. */
  path: string;
  headers: string[];
  body: Buffer | undefined;
  timeoutMs: number;
  /** Hold back a 502/503/504 instead of passing it on (there is another instance to try). */
  holdRetryableStatus: boolean;
  requestId: string;
}

function classify(err: Error): AttemptFailure {
  const code = (err as { code?: string }).code ?? '';
  if (CONNECT_ERROR_CODES.has(code)) return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  return 'reset';
}

/** Sends the request once; never rejects. */
export function forward(res: ServerResponse, request: AttemptRequest): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const handler = new ForwardHandler(res, request, resolve);
    request.dispatcher.dispatch(
      {
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      },
      handler,
    );
  });
}

/** The attempt currently writing to a client response; lets module-level listeners find it without a closure per request. */
const ATTEMPT = Symbol('souk.gateway.attempt');
type Tracked = ServerResponse & { [ATTEMPT]?: ForwardHandler };

function onClientClose(this: Tracked): void {
  this[ATTEMPT]?.clientClosed();
}

function onClientDrain(this: Tracked): void {
  this[ATTEMPT]?.drained();
}

/**
 * A dispatch handler (undici's lowest-level API: no stream objects, no
 * promise per chunk) that writes the upstream response to the client response
 * with backpressure, or reports a failure while nothing has been sent yet.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #holding = false;
  #settled = false;
  #clientGone = false;
  readonly #res: Tracked;
  readonly #request: AttemptRequest;
  readonly #resolve: (outcome: AttemptOutcome) => void;

  constructor(res: ServerResponse, request: AttemptRequest, resolve: (outcome: AttemptOutcome) => void) {
    this.#res = res;
    this.#request = request;
    this.#resolve = resolve;
    this.#res[ATTEMPT] = this;
    res.on('close', onClientClose);
  }

  clientClosed(): void {
    if (this.#settled || this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new Error('client closed the connection'));
  }

  drained(): void {
    this.#controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#res.destroyed) this.clientClosed();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx answers are the hop's business (Node already answered any Expect: 100-continue).
    if (statusCode < 200) return;
    this.#status = statusCode;
    if (this.#request.holdRetryableStatus && RETRYABLE_STATUSES.has(statusCode)) {
      this.#holding = true;
      return;
    }
    this.#res.writeHead(statusCode, clientResponseHeaders(headers, this.#request.requestId));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#holding) return;
    if (!this.#res.write(chunk)) {
      controller.pause();
      this.#res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#holding) return this.#settle({ kind: 'retryable-status', status: this.#status });
    this.#res.end();
    this.#settle({ kind: 'responded', status: this.#status, complete: true });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#clientGone) return this.#settle({ kind: 'client-gone' });
    if (this.#res.headersSent) {
      // Too late for a problem document: cut the client connection so it sees a broken response, not a short one.
      this.#res.destroy(error);
      return this.#settle({ kind: 'responded', status: this.#status, complete: false });
    }
    this.#settle({ kind: 'failed', failure: classify(error), error });
  }

  #settle(outcome: AttemptOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    const res = this.#res;
    res.off('close', onClientClose);
    res.off('drain', onClientDrain);
    if (res[ATTEMPT] === this) res[ATTEMPT] = undefined;
    this.#resolve(outcome);
  }
}
