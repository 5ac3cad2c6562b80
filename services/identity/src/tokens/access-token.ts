// Access tokens: JWTs (RFC 9068 profile) signed ES256 with the current key.
// The claims are built by a pure function; signing is the only I/O-free crypto step.

import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface AccessTokenSubject {
  /** `sub`: the user id, or the client id for client_credentials. */
  subject: string;
  clientId: string;
  roles: readonly string[];
  email?: string;
  /** Token exchange: the client acting for the subject (the `act` claim, RFC 8693 section 4.1). */
  actor?: string;
  /** Token exchange: no later than this (seconds since the epoch), the `exp` of the token it was traded for. */
  notAfter?: number;
}

export interface AccessTokenSettings {
  issuer: string;
  /** The audience of users' tokens (password and refresh grants): the edge's. */
  audience: string;
  ttlSeconds: number;
  /** The audience of tokens services accept: client_credentials and exchanged tokens. */
  internalAudience: string;
  /** Lifetime of an exchanged token: short, it is traded again when due. */
  internalTtlSeconds: number;
}

/** The audience and lifetime of one token. */
export type TokenShape = Pick<AccessTokenSettings, 'issuer' | 'audience' | 'ttlSeconds'>;

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  scope: string;
  roles: string[];
  client_id: string;
  email?: string;
  act?: { sub: string };
}

/** The claims of a token issued at `now` (ms). */
export function buildAccessTokenClaims(
  who: AccessTokenSubject,
  scopes: readonly string[],
  settings: TokenShape,
  now: number,
  jti: string,
): AccessTokenClaims {
  const iat = Math.floor(now / 1000);
  return {
    iss: settings.issuer,
    sub: who.subject,
    aud: settings.audience,
    iat,
    exp: who.notAfter === undefined ? iat + settings.ttlSeconds : Math.min(iat + settings.ttlSeconds, who.notAfter),
    jti,
    scope: scopes.join(' '),
    roles: [...who.roles],
    client_id: who.clientId,
    ...(who.email !== undefined ? { email: who.email } : {}),
    ...(who.actor !== undefined ? { act: { sub: who.actor } } : {}),
  };
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export const SIGNING_ALG = 'ES256';

/** Signs the claims; `typ: at+jwt` marks it as an access token so it cannot pass for an ID token. */
export function signAccessToken(claims: AccessTokenClaims, key: SigningKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
}
