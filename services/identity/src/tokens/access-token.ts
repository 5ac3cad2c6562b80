// Access tokens: JWTs (RFC 9068 profile) signed ES256 with the current key.
// The claims are built by a pure function; signing is the only I/O-free crypto step.

import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface AccessTokenSubject {
  /** `sub`: the user id, or the client id for client_credentials. */
  subject: string;
  clientId: string;
  roles: readonly string[];
  email?: string;
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

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
}

/** The claims of a token issued at `now` (ms). */
export function buildAccessTokenClaims(
  who: AccessTokenSubject,
  scopes: readonly string[],
  settings: AccessTokenSettings,
  now: number,
  jti: string,
): AccessTokenClaims {
  const iat = Math.floor(now / 1000);
  return {
    iss: settings.issuer,
    sub: who.subject,
    aud: settings.audience,
    iat,
    exp: iat + settings.ttlSeconds,
    jti,
    scope: scopes.join(' '),
    roles: [...who.roles],
    client_id: who.clientId,
    ...(who.email !== undefined ? { email: who.email } : {}),
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
