// One keep-alive HTTP/1.1 connection to an upstream instance, its responses
// read by Node's own llhttp binding (the parser its http server runs) rather
// than undici's WebAssembly build: a third of the gateway's CPU per request
// went to undici (see docs/performance.md, "The gateway against nginx").

import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { AttemptFailure } from './forward.ts';

/** What a connection reports to the request it carries; callbacks run inside the parser, so they must not throw. */
export interface Exchange {
  /** The request line and headers, CRLF-terminated, the blank line included (latin1). */
  readonly head: string;
  readonly body: Buffer | undefined;
  /** A body written on as it arrives (its Content-Length is in `head`), with backpressure; instead of `body`. */
  readonly bodyStream: Readable | undefined;
  /** HEAD: the answer has headers only, whatever its Content-Length says. */
  readonly headOnly: boolean;
  /** No response headers within this, or no body chunk within this after them. */
  readonly timeoutMs: number;
  /** The final response's status and raw headers ([name, value, ...]); 1xx answers are skipped. */
  onHeaders(status: number, rawHeaders: string[]): void;
  /** A body chunk; false asks for a pause until `resume()`. */
  onData(chunk: Buffer): boolean;
  /** The read that brought the last chunks is parsed: anything held back for the end must go now. */
  flush(): void;
  onEnd(): void;
  /** The exchange failed; nothing more is reported. `failure` is 'connect' when no byte of the request left. */
  onError(failure: AttemptFailure, error: Error): void;
}

/** Node's HTTP parser binding, as `_http_common` exposes it (stable since Node 12; the http client uses it so). */
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  [key: number]: unknown;
}
interface ParserClass {
  new (): Parser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: ParserClass };

/** A socket error with its code (ECONNREFUSED…), or one of ours. */
export function connectionError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface ConnectionOwner {
  /** The connection finished an exchange and can take another. */
  released(connection: UpstreamConnection): void;
  /** The connection is gone (closed, failed, not reusable). */
  closed(connection: UpstreamConnection): void;
}

const ignoreError = (): void => {};

/**
 * A socket and its parser. Carries one exchange at a time (no pipelining: a
 * slow answer must not hold back the ones behind it); after a complete,
 * keep-alive answer the owner gets it back for the next.
 */
export class UpstreamConnection {
  readonly #socket: Socket;
  readonly #parser: Parser;
  readonly #owner: ConnectionOwner;
  #exchange: Exchange | undefined;
  #connected = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  /** Headers of an answer whose header block arrived in several reads. */
  #partialHeaders: string[] = [];
  #keepAlive = false;
  #headersSeen = false;
  /** The request body still being streamed upstream; the connection cannot be reused until it is all written. */
  #pumping: Readable | undefined;
  /** Detaches the pump from the body stream. */
  #stopPump: (() => void) | undefined;
  /** When the connection went back to its pool (performance.now()); 0 while busy. */
  idleSince = 0;

  /**
   * `open` makes the socket (plain, or TLS to an `https:` instance); `connectEvent` is when it can carry
   * a request: 'connect', or 'secureConnect' once the handshake checked the instance's certificate.
   */
  constructor(open: () => Socket, connectEvent: 'connect' | 'secureConnect', connectTimeoutMs: number, owner: ConnectionOwner) {
    this.#owner = owner;
    const socket = open();
    this.#socket = socket;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientNone);
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => void this.#partialHeaders.push(...headers);
    parser[HTTPParser.kOnHeadersComplete] = (
      _major: number,
      _minor: number,
      headers: string[] | undefined,
      _method: unknown,
      _url: unknown,
      status: number,
      _message: unknown,
      upgrade: boolean,
      keepAlive: boolean,
    ) => this.#headersComplete(headers, status, upgrade, keepAlive);
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => this.#body(chunk);
    parser[HTTPParser.kOnMessageComplete] = () => this.#complete();
    this.#parser = parser;

    const connectTimer = setTimeout(
      () => this.#fail(connectionError(`connect timeout after ${connectTimeoutMs} ms`, 'ETIMEDOUT')),
      connectTimeoutMs,
    );
    // The timeout covers the TCP connect only (done by the kernel even while the instance is busy); a TLS
    // handshake waits on the instance's event loop and counts against the exchange's own timeout instead.
    socket.once('connect', () => clearTimeout(connectTimer));
    socket.once(connectEvent, () => {
      clearTimeout(connectTimer);
      this.#connected = true;
    });
    socket.on('data', (data: Buffer) => {
      const result = parser.execute(data);
      if (result instanceof Error) this.#fail(result);
      else this.#exchange?.flush();
    });
    socket.on('end', () => {
      // An answer delimited by the end of the stream completes here; anything unfinished fails.
      const result = this.#exchange ? parser.finish() : undefined;
      if (result instanceof Error) this.#fail(result);
      else this.#fail(connectionError('upstream closed the connection', 'ECONNRESET'));
    });
    socket.on('error', (err: Error) => this.#fail(err));
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.#fail(connectionError('upstream connection closed', 'ECONNRESET'));
    });
  }

  get busy(): boolean {
    return this.#exchange !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the exchange's request on this (idle) connection. */
  start(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#headersSeen = false;
    this.idleSince = 0;
    this.#socket.ref();
    this.#timer = setTimeout(() => this.#timeout(), exchange.timeoutMs);
    const socket = this.#socket;
    if (exchange.body) {
      socket.cork();
      socket.write(exchange.head, 'latin1');
      socket.write(exchange.body);
      socket.uncork();
    } else {
      socket.write(exchange.head, 'latin1');
      if (exchange.bodyStream) this.#pump(exchange.bodyStream);
    }
  }

  /** Writes a streamed body as it arrives; each chunk restarts the timeout (a slow upload is not a slow upstream). */
  #pump(stream: Readable): void {
    const socket = this.#socket;
    this.#pumping = stream;
    const onData = (chunk: Buffer) => {
      this.#timer?.refresh();
      if (!socket.write(chunk)) {
        stream.pause();
        socket.once('drain', onDrain);
      }
    };
    const onDrain = () => stream.resume();
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      socket.off('drain', onDrain);
      this.#stopPump = undefined;
    };
    const onEnd = () => {
      stop();
      this.#pumping = undefined;
    };
    this.#stopPump = stop;
    stream.on('data', onData);
    stream.once('end', onEnd);
    // A client that stops sending midway closes its response too: the exchange is aborted from there (ForwardAttempt).
  }

  /** Stops reading (backpressure from the client). */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** Gives up the current exchange (the client went away) and the connection with it: its answer is unread. */
  abort(): void {
    this.#exchange = undefined;
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPump?.();
    clearTimeout(this.#timer);
    this.#socket.on('error', ignoreError);
    this.#socket.destroy();
    const parser = this.#parser;
    // Freed once the parser's own stack has unwound (as node:http does).
    setImmediate(() => parser.close());
    this.#owner.closed(this);
  }

  #headersComplete(headers: string[] | undefined, status: number, upgrade: boolean, keepAlive: boolean): number {
    const raw = headers ?? this.#partialHeaders;
    this.#partialHeaders = [];
    const exchange = this.#exchange;
    if (!exchange) return 1;
    // 1xx: informational, the final answer follows on the same stream (101 cannot happen: Upgrade never goes upstream).
    if (status < 200 && status !== 101) return 1;
    if (upgrade || status === 101) {
      this.#fail(connectionError('unexpected protocol upgrade from upstream', 'EPROTO'));
      return 1;
    }
    this.#keepAlive = keepAlive;
    this.#headersSeen = true;
    this.#timer?.refresh();
    exchange.onHeaders(status, raw);
    // 1 tells llhttp that no body follows (HEAD); 204 and 304 it knows itself.
    return exchange.headOnly ? 1 : 0;
  }

  #body(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#timer?.refresh();
    if (!exchange.onData(chunk)) this.#socket.pause();
  }

  #complete(): void {
    const exchange = this.#exchange;
    if (!exchange || !this.#headersSeen) return;
    clearTimeout(this.#timer);
    this.#exchange = undefined;
    // Trailers of a chunked answer arrive through kOnHeaders too: they must not prefix the next answer's headers.
    if (this.#partialHeaders.length > 0) this.#partialHeaders = [];
    exchange.onEnd();
    // Answered before the whole body went up (an early 4xx): the rest would open the next request, so the connection goes.
    if (this.#keepAlive && !this.#closed && !this.#pumping) {
      this.idleSince = performance.now();
      this.#socket.unref();
      this.#owner.released(this);
    } else {
      this.close();
    }
  }

  #timeout(): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = undefined;
    const what = this.#headersSeen ? 'body chunk' : 'response headers';
    exchange.onError('timeout', connectionError(`no ${what} within ${exchange.timeoutMs} ms`, 'ETIMEDOUT'));
    this.close();
  }

  #fail(error: Error): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    // Before the connection opened, no byte of the request went out: safe to send elsewhere, whatever the method.
    if (exchange) exchange.onError(this.#connected ? 'reset' : 'connect', error);
    this.close();
  }
}
