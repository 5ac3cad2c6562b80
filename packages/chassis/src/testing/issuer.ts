// A token issuer for tests of services that need a caller: an ES256 key, its
// JWKS as a key source, and access tokens shaped like identity's.

import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { randomUUID } from 'node:crypto';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../config.ts';
import type { KeySource } from '../auth/jwt-verifier.ts';

export interface TestIssuer {
  jwks: JSONWebKeySet;
  keySource: KeySource;
  /** An access token; a customer unless roles say otherwise. */
  token(claims?: {
    sub?: string;
    roles?: string[];
    scopes?: string[];
    email?: string;
    clientId?: string;
    expiresInSeconds?: number;
    /** Defaults to the issuer's audience (internal unless created with another); DEFAULT_EXTERNAL_AUDIENCE for a user's own token. */
    audience?: string;
  }): Promise<string>;
  /**
   * A service's own token source (client_credentials shape: the client id as subject, no roles), for
   * StartOptions.serviceToken; `scopes` are the capabilities its client is granted (none by default).
   */
  serviceToken(clientId?: string, scopes?: string[]): () => Promise<string>;
}

export async function createTestIssuer(options: { issuer?: string; audience?: string } = {}): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const issuer: TestIssuer = {
    jwks,
    keySource: async () => jwks,
    serviceToken:
      (clientId = 'svc-test', scopes = []) =>
      () =>
        issuer.token({ sub: clientId, clientId, roles: [], scopes }),
    token: (claims = {}) =>
      new SignJWT({
        roles: claims.roles ?? ['customer'],
        scope: (claims.scopes ?? []).join(' '),
        ...(claims.email ? { email: claims.email } : {}),
        ...(claims.clientId ? { client_id: claims.clientId } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(options.issuer ?? DEFAULT_ISSUER)
        .setAudience(claims.audience ?? options.audience ?? DEFAULT_AUDIENCE)
        .setSubject(claims.sub ?? randomUUID())
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(`${claims.expiresInSeconds ?? 300}s`)
        .sign(privateKey),
  };
  return issuer;
}

let shared: Promise<TestIssuer> | undefined;

/**
 * One issuer for the whole test process. Stand-in producers accept its tokens, so a consumer under
 * test, given `serviceToken: issuer.serviceToken(..., [eventsReadScope(producer)])`, reads their feeds.
 */
export function sharedTestIssuer(): Promise<TestIssuer> {
  return (shared ??= createTestIssuer());
}
