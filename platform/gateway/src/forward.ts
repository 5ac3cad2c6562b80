// One attempt at sending a proxied request to one upstream instance over the
// gateway's keep-alive connections, streaming the answer straight into the
// client response.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { RETRYABLE_STATUSES } from '@souk/chassis';
import { clientResponseHeaders } from './headers.ts';
import type { UpstreamConnection } from './upstream-connection.ts';
import type { ConnectionPool, PooledExchange } from './upstream-pools.ts';

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
  pool: ConnectionPool;
  method: string;
  /** Request line and headers, blank line included (`upstreamRequestHead`). */
  head: string;
  body: Buffer | undefined;
  /** A body sent on as it arrives (its length is in `head`); set only when `body` is not. */
  bodyStream: IncomingMessage | undefined;
  timeoutMs: number;
  /** Hold back a 502/503/504 instead of passing it on (there is another instance to try). */
  holdRetryableStatus: boolean;
  requestId: string;
  /** Sees the answer as it goes to the client (the response cache keeps what it may); none for most requests. */
  recorder?: ResponseRecorder | undefined;
}

/** A copy of an answer passed to the client: its status and headers, its chunks, and whether it ended whole. */
export interface ResponseRecorder {
  onHeaders(status: number, rawHeaders: readonly string[]): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/** Sends the request once; never rejects. */
export function forward(res: ServerResponse, request: AttemptRequest): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const attempt = new ForwardAttempt(res, request, resolve);
    if (res.destroyed) return attempt.clientClosed();
    request.pool.send(attempt);
  });
}

/** The attempt currently writing to a client response; lets module-level listeners find it without a closure per request. */
const ATTEMPT = Symbol('souk.gateway.attempt');
type Tracked = ServerResponse & { [ATTEMPT]?: ForwardAttempt };

function onClientClose(this: Tracked): void {
  this[ATTEMPT]?.clientClosed();
}

function onClientDrain(this: Tracked): void {
  this[ATTEMPT]?.connection?.resume();
}

/**
 * The exchange of one attempt: writes the upstream response to the client
 * response with backpressure, or reports a failure while nothing has been
 * sent yet.
 */
class ForwardAttempt implements PooledExchange {
  readonly head: string;
  readonly body: Buffer | undefined;
  readonly bodyStream: IncomingMessage | undefined;
  readonly headOnly: boolean;
  readonly timeoutMs: number;
  connection: UpstreamConnection | undefined = undefined;
  #status = 0;
  #holding = false;
  #settled = false;
  /** The body chunk not yet written (see onData). */
  #pending: Buffer | undefined;
  readonly #res: Tracked;
  readonly #request: AttemptRequest;
  readonly #resolve: (outcome: AttemptOutcome) => void;

  constructor(res: ServerResponse, request: AttemptRequest, resolve: (outcome: AttemptOutcome) => void) {
    this.head = request.head;
    this.body = request.body;
    this.bodyStream = request.bodyStream;
    this.headOnly = request.method === 'HEAD';
    this.timeoutMs = request.timeoutMs;
    this.#res = res;
    this.#request = request;
    this.#resolve = resolve;
    this.#res[ATTEMPT] = this;
    res.on('close', onClientClose);
  }

  clientClosed(): void {
    if (this.#settled || this.#res.writableFinished) return;
    // Its answer will not be read: the connection goes with it (or the request never leaves the queue).
    if (this.connection) this.connection.abort();
    else this.#request.pool.cancel(this);
    this.#settle({ kind: 'client-gone' });
  }

  onHeaders(status: number, rawHeaders: string[]): void {
    this.#status = status;
    if (this.#request.holdRetryableStatus && RETRYABLE_STATUSES.has(status)) {
      this.#holding = true;
      return;
    }
    this.#request.recorder?.onHeaders(status, rawHeaders);
    this.#res.writeHead(status, clientResponseHeaders(rawHeaders, this.#request.requestId));
  }

  onData(chunk: Buffer): boolean {
    if (this.#holding || this.#settled) return true;
    this.#request.recorder?.onData(chunk);
    // A chunk waits until the end of the read that brought it (flush): when the answer ends in the same read,
    // as most do, it goes out with end(), one write of headers and body without the cork and nextTick of write().
    const previous = this.#pending;
    this.#pending = chunk;
    return previous === undefined || this.#write(previous);
  }

  flush(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined && !this.#settled && !this.#write(pending)) this.connection?.pause();
  }

  #write(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true;
    this.#res.once('drain', onClientDrain);
    return false;
  }

  onEnd(): void {
    if (this.#holding) return this.#settle({ kind: 'retryable-status', status: this.#status });
    if (this.#settled) return;
    const last = this.#pending;
    this.#pending = undefined;
    if (last === undefined) this.#res.end();
    else this.#res.end(last);
    this.#request.recorder?.onEnd();
    this.#settle({ kind: 'responded', status: this.#status, complete: true });
  }

  onError(failure: AttemptFailure, error: Error): void {
    if (this.#settled) return;
    this.#pending = undefined;
    if (this.#res.headersSent) {
      // Too late for a problem document: cut the client connection so it sees a broken response, not a short one.
      this.#res.destroy(error);
      return this.#settle({ kind: 'responded', status: this.#status, complete: false });
    }
    this.#settle({ kind: 'failed', failure, error });
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
