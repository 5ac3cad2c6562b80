// HTTP caching of a route's answers (RFC 9111, RFC 9110 section 13): `Cache-Control` says who may keep
// them and how long, a strong `ETag` (a hash of the body) names the representation, and a request whose
// `If-None-Match` names it gets a 304 without the body. The gateway's response cache keeps what this
// allows (platform/gateway/src/response-cache/cache.ts); a browser or any cache on the way may too.

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CachePolicy {
  /** How long any cache may serve the answer without asking again. */
  maxAgeSeconds: number;
}

/** Route options: `app.get(path, { ...httpCache({ maxAgeSeconds: 60 }), schema }, handler)`. */
export function httpCache(policy: CachePolicy) {
  const cacheControl = `public, max-age=${policy.maxAgeSeconds}`;
  return {
    onSend: async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload;
      const tag = etagOf(payload);
      reply.header('cache-control', cacheControl).header('etag', tag);
      if (!etagMatches(request.headers['if-none-match'], tag)) return payload;
      reply.code(304).removeHeader('content-length').removeHeader('content-type');
      return null;
    },
  };
}

/** A strong validator: 20 bytes of SHA-1 of the body, base64url. */
export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** `If-None-Match` names this tag (weak comparison, as RFC 9110 section 13.1.2 asks for GET), or is `*`. */
export function etagMatches(header: string | string[] | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const opaque = tag.startsWith('W/') ? tag.slice(2) : tag;
  for (const raw of value.split(',')) {
    const candidate = raw.trim();
    if ((candidate.startsWith('W/') ? candidate.slice(2) : candidate) === opaque) return true;
  }
  return false;
}
