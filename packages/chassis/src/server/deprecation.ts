// A route version on its way out says so on every answer: `Deprecation` (RFC 9745: since when, as
// `@<unix seconds>`), `Sunset` (RFC 8594: when it stops answering, an HTTP date) and a `Link` to its
// successor (rel="successor-version", RFC 5829), so clients and their logs notice long before the date.

import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Deprecation {
  deprecatedAt: Date;
  sunsetAt: Date;
  /** The path of the version that replaces it (a relative reference is fine). */
  successor: (request: FastifyRequest) => string;
}

export function deprecationHeaders(d: Deprecation, successor: string): Record<string, string> {
  return {
    deprecation: `@${Math.floor(d.deprecatedAt.getTime() / 1000)}`,
    sunset: d.sunsetAt.toUTCString(),
    link: `<${successor}>; rel="successor-version"`,
  };
}

/** An onSend hook for the deprecated route's options: `{ onSend: [deprecated(d)], … }`. */
export function deprecated(d: Deprecation) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    reply.headers(deprecationHeaders(d, d.successor(request)));
    return payload;
  };
}
