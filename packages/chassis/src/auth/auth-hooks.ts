// Fastify pre-handlers that authenticate the caller and check roles and scopes.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../context.ts';
import { requestContext } from '../context.ts';
import { chassisErrors } from '../errors/codes.ts';
import type { JwtVerifier, KeySource } from './jwt-verifier.ts';
import type { ServiceScope } from './scopes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `ctx.auth.required()` / `ctx.auth.optional()`. */
    identity?: Identity;
  }
}

export interface Requirement {
  /** The caller needs at least one of these roles. */
  roles?: readonly string[];
  /** The caller needs all of these scopes (capabilities of auth/scopes.ts, so a typo does not compile). */
  scopes?: readonly ServiceScope[];
}

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface Auth {
  required(requirement?: Requirement): PreHandler;
  optional(): PreHandler;
  /** The caller behind a bearer token (for code that authenticates outside a route, like the gateway). */
  verify(token: string): Promise<Identity>;
  /** The caller behind a token already verified, without a promise; undefined when only `verify` can tell. */
  verifyCached(token: string): Identity | undefined;
  /**
   * A verifier of tokens meant for another audience, on the same keys: the gateway checks users' tokens
   * (AUTH_EXTERNAL_AUDIENCE) before it exchanges them; every route of a service takes internal tokens only.
   */
  forAudience(audience: string): Pick<JwtVerifier, 'verify' | 'verifyCached'>;
  /** Verify with keys from this source instead of identity's JWKS endpoint. */
  setKeySource(source: KeySource): void;
}

/** The token in an `Authorization: Bearer ...` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!match) throw chassisErrors.tokenInvalid('The Authorization header is not a Bearer token.');
  return match[1];
}

/** `audience` is what the routes accept; `verifierFor` gives the (cached) verifier of an audience. */
export function createAuth(
  audience: string,
  verifierFor: (audience: string) => JwtVerifier,
  setKeySource: (source: KeySource) => void,
): Auth {
  const verifier = () => verifierFor(audience);
  async function authenticate(request: FastifyRequest): Promise<Identity | undefined> {
    const token = bearerToken(request.headers.authorization);
    if (!token) return undefined;
    const identity = await verifier().verify(token);
    request.identity = identity;
    const ctx = requestContext();
    if (ctx) ctx.identity = identity;
    return identity;
  }

  return {
    required(requirement = {}) {
      return async (request) => {
        const identity = await authenticate(request);
        if (!identity) throw chassisErrors.tokenMissing({ headers: { 'www-authenticate': 'Bearer' } });
        const { roles, scopes } = requirement;
        if (roles?.length && !roles.some((r) => identity.roles.includes(r))) {
          throw chassisErrors.forbidden(`This needs the role ${roles.join(' or ')}.`);
        }
        const missing = (scopes ?? []).filter((s) => !identity.scopes.includes(s));
        if (missing.length) throw chassisErrors.forbidden(`This needs the scope ${missing.join(', ')}.`);
      };
    },
    optional() {
      return async (request) => {
        await authenticate(request);
      };
    },
    verify: (token) => verifier().verify(token),
    verifyCached: (token) => verifier().verifyCached(token),
    forAudience: (other) => verifierFor(other),
    setKeySource,
  };
}
