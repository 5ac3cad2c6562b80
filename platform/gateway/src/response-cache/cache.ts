// The gateway's response cache: anonymous GETs of the routes marked `cache`
// (the catalogue), kept as the service's Cache-Control allows, answered with
// its ETag (304 on If-None-Match), and dropped whole when the producer's
// events say something changed (invalidation.ts). It holds answers only while
// it hears those events: without them it would serve stale prices for up to
// max-age, so it bypasses itself until it hears them again.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { etagMatches } from '@souk/chassis';
import type { ResponseRecorder } from '../forward.ts';

/** Headers of the upstream's answer a hit sends again (the rest belonged to that exchange). */
const KEPT_HEADERS = new Set([
  'content-type',
  'cache-control',
  'etag',
  'last-modified',
  'content-language',
  // A deprecated version says so on every answer, hits included.
  'deprecation',
  'sunset',
  'link',
]);

export interface CachedAnswer {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly etag: string | undefined;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export interface CacheLimits {
  maxEntries: number;
  /** A larger answer passes through without being kept. */
  maxBodyBytes: number;
  /** All bodies together: a client sending a new query string each time cannot make the cache grow past it. */
  maxTotalBytes: number;
}

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

export interface ResponseCache {
  /** Whether the cache keeps answers now (it hears the invalidating events). */
  readonly active: () => boolean;
  lookup(key: string, now: number): CachedAnswer | undefined;
  /** A recorder that keeps the answer under `key` if it may be kept and nothing changed meanwhile. */
  recorder(key: string, now: () => number): ResponseRecorder;
  /** Drops every answer (something changed); answers in flight from before are not kept. */
  invalidate(): void;
  /** Start or stop keeping answers (the invalidating events are heard, or no longer). */
  setActive(active: boolean): void;
  readonly size: () => number;
  /** The bodies kept, in bytes. */
  readonly bytes: () => number;
}

/**
 * The freshness lifetime a shared cache may give an answer (RFC 9111 section 4.2.1): `s-maxage`, else
 * `max-age`; none (0) when it is private, `no-store` or `no-cache`.
 */
export function sharedMaxAgeSeconds(cacheControl: string | undefined): number {
  if (cacheControl === undefined) return 0;
  let maxAge = 0;
  let shared: number | undefined;
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name, value] = part.trim().split('=') as [string, string | undefined];
    if (name === 'no-store' || name === 'private' || name === 'no-cache') return 0;
    const seconds = value === undefined ? NaN : Number(value.replace(/"/g, ''));
    if (name === 'max-age' && Number.isInteger(seconds)) maxAge = seconds;
    if (name === 's-maxage' && Number.isInteger(seconds)) shared = seconds;
  }
  return Math.max(0, shared ?? maxAge);
}

export function createResponseCache(limits: CacheLimits): ResponseCache {
  const entries = new Map<string, CachedAnswer>();
  let generation = 0;
  let active = false;
  let totalBytes = 0;

  function drop(key: string): void {
    const old = entries.get(key);
    if (old === undefined) return;
    totalBytes -= old.body.length;
    entries.delete(key);
  }

  function clear(): void {
    entries.clear();
    totalBytes = 0;
  }

  function keep(key: string, answer: CachedAnswer): void {
    drop(key);
    // Oldest stored first out: a Map iterates in insertion order.
    while (entries.size > 0 && (entries.size >= limits.maxEntries || totalBytes + answer.body.length > limits.maxTotalBytes))
      drop(entries.keys().next().value!);
    entries.set(key, answer);
    totalBytes += answer.body.length;
  }

  return {
    active: () => active,
    lookup(key, now) {
      const answer = entries.get(key);
      if (answer === undefined) return undefined;
      if (answer.expiresAt <= now) {
        drop(key);
        return undefined;
      }
      return answer;
    },
    recorder(key, now) {
      const startedIn = generation;
      let status = 0;
      let headers: Record<string, string> | undefined;
      let lifetimeMs = 0;
      let chunks: Buffer[] | undefined;
      let bytes = 0;
      return {
        onHeaders(s, raw) {
          // Another attempt (a retry elsewhere) starts over.
          status = s;
          headers = {};
          chunks = [];
          bytes = 0;
          let vary = false;
          let cookie = false;
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i]!.toLowerCase();
            if (name === 'vary') vary = true;
            else if (name === 'set-cookie' || name === 'content-encoding') cookie = true;
            else if (KEPT_HEADERS.has(name)) headers[name] = raw[i + 1]!;
          }
          lifetimeMs = status === 200 && !vary && !cookie ? sharedMaxAgeSeconds(headers['cache-control']) * 1000 : 0;
          if (lifetimeMs === 0) chunks = undefined;
        },
        onData(chunk) {
          if (chunks === undefined) return;
          bytes += chunk.length;
          if (bytes > limits.maxBodyBytes) chunks = undefined;
          else chunks.push(chunk);
        },
        onEnd() {
          // Kept only if nothing changed since the request left: an answer read before a price change is stale.
          if (chunks === undefined || headers === undefined || !active || generation !== startedIn) return;
          const t = now();
          keep(key, { headers, body: Buffer.concat(chunks, bytes), etag: headers.etag, storedAt: t, expiresAt: t + lifetimeMs });
        },
      };
    },
    invalidate() {
      generation++;
      clear();
    },
    setActive(next) {
      if (next === active) return;
      active = next;
      generation++;
      clear();
    },
    size: () => entries.size,
    bytes: () => totalBytes,
  };
}

/** Answers from the cache: 304 when the client holds this version already, else the kept answer with its `Age`. */
export function answerFromCache(req: IncomingMessage, res: ServerResponse, answer: CachedAnswer, now: number): void {
  const age = String(Math.floor((now - answer.storedAt) / 1000));
  const requestId = String(req.headers['x-request-id']);
  if (answer.etag !== undefined && etagMatches(req.headers['if-none-match'], answer.etag)) {
    res.writeHead(304, {
      etag: answer.etag,
      'cache-control': answer.headers['cache-control'] ?? '',
      age,
      'x-request-id': requestId,
    });
    res.end();
    return;
  }
  res.writeHead(200, { ...answer.headers, 'content-length': answer.body.length, age, 'x-request-id': requestId });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}
