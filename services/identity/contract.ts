// Identity's public contract: TypeBox schemas of its HTTP API (used by the
// routes for validation and OpenAPI), the shape of its access tokens and the
// events it publishes. Other services import this file (`@souk/identity/contract`).

import { defineEvent } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/identity';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

// ---- users ---------------------------------------------------------------

export const SignupRequest = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320, description: 'Trimmed and lowercased before use.' }),
    // The upper bound only guards the hash function against megabyte inputs.
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type SignupRequest = Static<typeof SignupRequest>;

/**
 * The answer to every acceptable sign-up (202), the same whether or not the
 * email already had an account: it does not reveal which addresses are
 * customers. A new account can sign in at once; the owner of an existing one
 * is told by a notification, and its password is not changed.
 */
export const SignupAccepted = Type.Object({
  email: Type.String({ description: 'Normalised: trimmed and lowercased.' }),
  message: Type.String(),
});
export type SignupAccepted = Static<typeof SignupAccepted>;

export const User = Type.Object({
  id: Type.String({ pattern: UUID_PATTERN }),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String(), { description: "'customer' and/or 'admin'" }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;

/** One broken password rule, as listed in a SOUK_IDENTITY_WEAK_PASSWORD problem's `reasons`. */
export const PasswordReason = Type.Object({
  rule: Type.Union([
    Type.Literal('too_short'),
    Type.Literal('common'),
    Type.Literal('contains_email'),
    Type.Literal('too_few_character_classes'),
  ]),
  message: Type.String(),
});
export type PasswordReason = Static<typeof PasswordReason>;

/** OpenID Connect UserInfo: `email*` with scope email, `name` with scope profile. */
export const UserInfo = Type.Object({
  sub: Type.String(),
  email: Type.Optional(Type.String()),
  email_verified: Type.Optional(Type.Boolean({ description: 'Always false: souk does not verify addresses yet.' })),
  name: Type.Optional(Type.String()),
  roles: Type.Array(Type.String()),
});
export type UserInfo = Static<typeof UserInfo>;

// ---- OAuth 2.0 ---------------------------------------------------------------

/** Token request (RFC 6749), as a form (application/x-www-form-urlencoded) or JSON. */
export const TokenRequest = Type.Object(
  {
    grant_type: Type.String({
      minLength: 1,
      description: 'password | refresh_token | client_credentials | urn:ietf:params:oauth:grant-type:token-exchange',
    }),
    username: Type.Optional(Type.String({ maxLength: 320 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    refresh_token: Type.Optional(Type.String({ maxLength: 512 })),
    scope: Type.Optional(Type.String({ maxLength: 2000 })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 512 })),
    // Token exchange (RFC 8693 section 2.1).
    subject_token: Type.Optional(Type.String({ maxLength: 4096 })),
    subject_token_type: Type.Optional(Type.String({ maxLength: 200 })),
    requested_token_type: Type.Optional(Type.String({ maxLength: 200 })),
    audience: Type.Optional(Type.String({ maxLength: 200 })),
    resource: Type.Optional(Type.String({ maxLength: 2000 })),
    actor_token: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  // RFC 6749 section 3.2: unknown parameters are ignored, not refused.
  { additionalProperties: true },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
  refresh_token: Type.Optional(Type.String({ description: 'Only for the password and refresh_token grants.' })),
  issued_token_type: Type.Optional(Type.String({ description: 'Only for a token exchange (RFC 8693 section 2.2.1).' })),
  scope: Type.String(),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** Token revocation (RFC 7009). */
export const RevokeRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    token_type_hint: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: true },
);
export type RevokeRequest = Static<typeof RevokeRequest>;

/**
 * Members every error of the OAuth endpoints carries besides the problem
 * document's (`type`, `title`, `status`, `detail`, `code`, `traceId`).
 */
export const OAuthError = Type.Object({
  error: Type.Union(
    [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'invalid_target',
      'temporarily_unavailable',
    ].map((e) => Type.Literal(e)),
  ),
  error_description: Type.String(),
  code: Type.String(),
});
export type OAuthError = Static<typeof OAuthError>;

/** Claims of an access token (JWT, ES256, header `kid` and `typ: at+jwt`). */
export const AccessTokenClaims = Type.Object({
  iss: Type.String(),
  sub: Type.String({ description: 'User id, or client id for client_credentials.' }),
  aud: Type.String(),
  exp: Type.Integer(),
  iat: Type.Integer(),
  jti: Type.String(),
  scope: Type.String({ description: 'Space-separated.' }),
  roles: Type.Array(Type.String()),
  client_id: Type.String(),
  email: Type.Optional(Type.String({ description: 'User tokens only.' })),
});
export type AccessTokenClaims = Static<typeof AccessTokenClaims>;

// ---- events --------------------------------------------------------------------

/**
 * A user account now exists: published in the transaction that inserts the
 * user, for sign-ups and for the admin account created at start alike, so
 * every user identity holds has been announced exactly once. Fields are
 * named as in the API's `User`. The content model stays open (no
 * `additionalProperties: false`): consumers must accept fields added later.
 */
export const UserRegistered = defineEvent({
  source: 'identity',
  name: 'UserRegistered',
  schema: Type.Object({
    userId: Type.String({ pattern: UUID_PATTERN }),
    email: Type.String({ minLength: 3, description: 'Normalised: trimmed and lowercased.' }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'Display name given at sign-up, if any.' }),
    roles: Type.Array(Type.String(), { description: "'customer' for sign-ups, 'admin' for the account created at start." }),
    registeredAt: Type.String({ format: 'date-time' }),
  }),
});
export type UserRegistered = Static<typeof UserRegistered.schema>;

/**
 * Someone tried to sign up with the email of an existing account: published
 * instead of an error, so sign-up does not reveal which addresses have
 * accounts, and the owner hears of it (notifications turns it into a
 * message). Carries no password and nothing of the attempt but its time.
 */
export const SignUpAttempted = defineEvent({
  source: 'identity',
  name: 'SignUpAttempted',
  schema: Type.Object({
    userId: Type.String({ pattern: UUID_PATTERN, description: 'The existing account the email belongs to.' }),
    email: Type.String({ minLength: 3, description: 'Normalised: trimmed and lowercased.' }),
    attemptedAt: Type.String({ format: 'date-time' }),
  }),
});
export type SignUpAttempted = Static<typeof SignUpAttempted.schema>;

// ---- discovery and keys ------------------------------------------------------

export const OpenIdConfiguration = Type.Object(
  {
    issuer: Type.String(),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
    revocation_endpoint: Type.String(),
    userinfo_endpoint: Type.String(),
    grant_types_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    subject_types_supported: Type.Array(Type.String()),
    id_token_signing_alg_values_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    claims_supported: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);
export type OpenIdConfiguration = Static<typeof OpenIdConfiguration>;

export const PublicJwk = Type.Object({
  kty: Type.Literal('EC'),
  crv: Type.Literal('P-256'),
  x: Type.String(),
  y: Type.String(),
  kid: Type.String(),
  alg: Type.Literal('ES256'),
  use: Type.Literal('sig'),
});
export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) });
export type Jwks = Static<typeof Jwks>;

export const KeyRotation = Type.Object({
  kid: Type.String({ description: 'The new signing key.' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type KeyRotation = Static<typeof KeyRotation>;
