// Request bodies at the edge: a small one is read into memory, up to a limit,
// so that a retry on another instance can send it again; a large one with a
// Content-Length is streamed to one instance (see `bodyPlan`).

import type { IncomingMessage } from 'node:http';

/** Why a body could not be read. */
export type BodyFailure = 'too-large' | 'aborted';

export class BodyError extends Error {
  /** `closeConnection`: the rest of the body is too big to drop; answer with `Connection: close`. */
  constructor(
    readonly reason: BodyFailure,
    readonly closeConnection = false,
  ) {
    super(reason === 'too-large' ? 'request body exceeds the limit' : 'client aborted the request body');
    this.name = 'BodyError';
  }
}

/**
 * How much of an oversized body is read and dropped so that the 413 reaches
 * the client (closing while it still sends makes its TCP stack answer with a
 * reset, which can swallow the 413). Past this the connection is cut.
 */
const DISCARD_FACTOR = 8;

/** True when the request announces a body (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** How a request's body travels upstream. */
export type BodyPlan =
  /** Read whole (at most `limit` bytes), then sent with each attempt. */
  | { kind: 'buffer'; limit: number }
  /** Sent on as it arrives, to one instance only: `length` bytes (its Content-Length). */
  | { kind: 'stream'; length: number };

/**
 * Decides for a request that has a body (`hasBody`). Up to `bufferBytes` it is read whole: most API bodies
 * are small, and a buffered body can be retried on another instance. A larger one with a Content-Length
 * up to `limit` streams, so the gateway holds a few chunks of it, not the whole; Node's parser stops at
 * the declared length. A chunked body has no length to check in advance: it is read whole, up to
 * `bufferBytes` (a larger one is refused: send it with a Content-Length).
 */
export function bodyPlan(req: IncomingMessage, bufferBytes: number, limit: number): BodyPlan {
  if (req.headers['transfer-encoding'] !== undefined) return { kind: 'buffer', limit: Math.min(bufferBytes, limit) };
  const declared = Number(req.headers['content-length']);
  if (declared <= bufferBytes || declared > limit) return { kind: 'buffer', limit };
  return { kind: 'stream', length: declared };
}

/** Reads and drops the rest of the body, up to a bound, keeping the connection reusable. */
function discardRest(req: IncomingMessage, limit: number, alreadyRead: number): void {
  let dropped = alreadyRead;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit * DISCARD_FACTOR) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/**
 * The whole body of a request that has one (check `hasBody` first: most
 * requests have none, and skipping the promise matters on the hot path).
 * Rejects with a BodyError('too-large') as soon as the declared or received
 * size passes `limit`; the rest is then read and dropped.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    if (declared > limit * DISCARD_FACTOR) return Promise.reject(new BodyError('too-large', true));
    discardRest(req, limit, 0);
    return Promise.reject(new BodyError('too-large'));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        discardRest(req, limit, size);
        reject(new BodyError('too-large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      reject(new BodyError('aborted'));
    };
    const onClose = () => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}
