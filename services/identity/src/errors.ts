// Identity's error codes; each is also listed in docs/errors.md. Errors of the
// OAuth endpoints also carry RFC 6749 `error` / `error_description` members
// (see src/oauth/oauth-errors.ts), which is why their statuses follow RFC 6749.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  emailInvalid: {
    code: 'SOUK_IDENTITY_EMAIL_INVALID',
    status: 400,
    title: 'The email address is not valid',
    description: 'Sign-up needs an address of the form name@domain.tld (at most 254 characters).',
  },
  emailTaken: {
    code: 'SOUK_IDENTITY_EMAIL_TAKEN',
    status: 409,
    title: 'An account with this email already exists',
    description:
      'Raised inside identity only (the admin account created at start by two instances at once). Sign-up never answers it: it answers 202 whether or not the email has an account, and tells the owner by a notification.',
  },
  weakPassword: {
    code: 'SOUK_IDENTITY_WEAK_PASSWORD',
    status: 400,
    title: 'The password is too weak',
    description: 'The password breaks the policy; `reasons` lists each broken rule (`rule`, `message`).',
  },
  userNotFound: {
    code: 'SOUK_IDENTITY_USER_NOT_FOUND',
    status: 404,
    title: 'User not found',
    description: 'The token names a user that no longer exists.',
  },
  userTokenRequired: {
    code: 'SOUK_IDENTITY_USER_TOKEN_REQUIRED',
    status: 403,
    title: 'This needs a user token',
    description: 'The endpoint describes the signed-in user; a client_credentials token has no user.',
  },
  invalidCredentials: {
    code: 'SOUK_IDENTITY_INVALID_CREDENTIALS',
    status: 400,
    title: 'Wrong email or password',
    description:
      'Password grant with an unknown email or a wrong password (OAuth `invalid_grant`, hence 400 as RFC 6749 5.2 requires).',
  },
  loginThrottled: {
    code: 'SOUK_IDENTITY_LOGIN_THROTTLED',
    status: 429,
    title: 'Too many failed sign-ins: wait before the next attempt',
    retryable: true,
    description:
      'After a few failed sign-ins for an account (IDENTITY_LOGIN_FREE_FAILURES) or from one client IP across accounts (IDENTITY_LOGIN_IP_FREE_FAILURES), each further failure doubles the wait before the next attempt, up to IDENTITY_LOGIN_MAX_DELAY_SECONDS; wait `Retry-After` seconds. Never a lock-out: the right password after the wait signs in.',
  },
  rateLimited: {
    code: 'SOUK_IDENTITY_RATE_LIMITED',
    status: 429,
    title: 'Too many requests from this client',
    retryable: true,
    description:
      'The client IP (or, for client_credentials, the client id) used up its budget of token requests or sign-ups (IDENTITY_TOKEN_PER_IP_*, IDENTITY_TOKEN_PER_CLIENT_*, IDENTITY_SIGNUP_PER_IP_*; see the identity README); wait `Retry-After` seconds.',
  },
  busy: {
    code: 'SOUK_IDENTITY_BUSY',
    status: 429,
    title: 'Too many password checks at once: try again shortly',
    retryable: true,
    description:
      'The bounded queue of password hashing is full, or this client IP already holds its share of it (IDENTITY_HASH_CONCURRENCY, IDENTITY_HASH_QUEUE, IDENTITY_HASH_PER_IP); shed at once instead of queueing without end. Retry after `Retry-After` seconds.',
  },
  invalidGrant: {
    code: 'SOUK_IDENTITY_INVALID_GRANT',
    status: 400,
    title: 'The refresh token is not valid',
    description:
      'The refresh token is unknown, expired, revoked, issued to another client, or was already used (which revokes its whole family). Sign in again.',
  },
  invalidClient: {
    code: 'SOUK_IDENTITY_INVALID_CLIENT',
    status: 401,
    title: 'Client authentication failed',
    description: 'Unknown client, wrong client secret, or a confidential client that sent no secret (OAuth `invalid_client`).',
  },
  unauthorizedClient: {
    code: 'SOUK_IDENTITY_UNAUTHORIZED_CLIENT',
    status: 400,
    title: 'The client may not use this grant type',
    description:
      'The storefront may use password and refresh_token; confidential clients only client_credentials (OAuth `unauthorized_client`).',
  },
  unsupportedGrantType: {
    code: 'SOUK_IDENTITY_UNSUPPORTED_GRANT_TYPE',
    status: 400,
    title: 'Unsupported grant type',
    description: 'grant_type must be password, refresh_token or client_credentials (OAuth `unsupported_grant_type`).',
  },
  invalidTokenRequest: {
    code: 'SOUK_IDENTITY_INVALID_TOKEN_REQUEST',
    status: 400,
    title: 'The token request is malformed',
    description:
      'A required parameter is missing, has the wrong type, or two client authentication methods were used (OAuth `invalid_request`).',
  },
  invalidScope: {
    code: 'SOUK_IDENTITY_INVALID_SCOPE',
    status: 400,
    title: 'The requested scope is not allowed',
    description:
      'The scope is malformed, or names a scope the client (or the refresh token) does not have (OAuth `invalid_scope`).',
  },
  invalidTarget: {
    code: 'SOUK_IDENTITY_INVALID_TARGET',
    status: 400,
    title: 'The requested audience is not one identity issues tokens for',
    description:
      'A token exchange asked for an audience or resource other than the internal audience (OAuth `invalid_target`, RFC 8693 section 2.2.2).',
  },
});
