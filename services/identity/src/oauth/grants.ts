// The token endpoint's logic: who the client is, which grant it may use, and
// the tokens each grant yields (password, refresh_token, client_credentials,
// and token exchange: a user's token traded for an internal one, RFC 8693).

import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '@souk/chassis';
import type { TokenRequest, TokenResponse } from '../../contract.ts';
import type { KeyStore } from '../keys/key-store.ts';
import {
  buildAccessTokenClaims,
  signAccessToken,
  type AccessTokenSettings,
  type AccessTokenSubject,
  type TokenShape,
} from '../tokens/access-token.ts';
import { describeRejection } from '../tokens/refresh-rules.ts';
import type { RefreshTokenStore } from '../tokens/refresh-token-store.ts';
import type { SignIn } from '../users/sign-in.ts';
import type { UserStore } from '../users/user-store.ts';
import { readClientCredentials } from './client-auth.ts';
import type { Client, ClientStore, GrantType } from './clients.ts';
import { oauthError } from './oauth-errors.ts';
import { formatScope, grantScopes, parseScope } from './scopes.ts';

export const GRANT_TYPES: readonly GrantType[] = ['password', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT];

/** What a verified user's token says (the subject of an exchange). */
export interface SubjectToken {
  subject: string;
  clientId: string;
  roles: readonly string[];
  scopes: readonly string[];
  email?: string;
  /** Seconds since the epoch. */
  exp: number;
}

export interface GrantDeps {
  users: UserStore;
  clients: ClientStore;
  refreshTokens: RefreshTokenStore;
  keys: KeyStore;
  signIn: SignIn;
  now: () => number;
  settings: AccessTokenSettings;
  /** Verifies a user's token (the external audience) for an exchange; throws when it is not one. */
  verifySubjectToken: (token: string) => Promise<SubjectToken>;
  /** Told when a rotated refresh token comes back (likely stolen). */
  onReuse?: (info: { clientId: string }) => void;
}

/** The client parameters of a token or revocation request body. */
export interface ClientParams {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** What the token endpoint knows of the caller besides the body. */
export interface RequestContext {
  /** The client IP (src/throttle/client-ip.ts). */
  ip: string;
}

function isGrantType(value: string): value is GrantType {
  return (GRANT_TYPES as readonly string[]).includes(value);
}

function required(body: TokenRequest, name: 'username' | 'password' | 'refresh_token' | 'subject_token'): string {
  const value = body[name];
  if (value === undefined || value === '')
    throw oauthError('invalid_request', `The ${name} parameter is required for this grant.`);
  return value;
}

function requestedScopes(body: TokenRequest): string[] {
  const parsed = parseScope(body.scope);
  if (!parsed.ok) throw oauthError('invalid_scope', parsed.description);
  return parsed.scopes;
}

export function createGrants(deps: GrantDeps) {
  async function authenticateClient(authorization: string | undefined, body: ClientParams): Promise<Client> {
    const read = readClientCredentials(authorization, body);
    if (!read) throw oauthError('invalid_client', 'The request names no client: send client_id, or client credentials.');
    if (!read.ok) throw oauthError(read.error, read.description);
    const { clientId, clientSecret } = read.credentials;
    const publicClient = deps.clients.publicClient(clientId);
    if (clientSecret === undefined) {
      if (!publicClient) throw oauthError('invalid_client', 'Unknown client, or a confidential client that sent no secret.');
      return publicClient;
    }
    if (publicClient) throw oauthError('invalid_client', `${clientId} is a public client and has no secret.`);
    const client = await deps.clients.authenticate(clientId, clientSecret);
    if (!client) throw oauthError('invalid_client', 'Unknown client or wrong client secret.');
    return client;
  }

  const { settings } = deps;
  /** Users' tokens: for the edge, which exchanges them before anything reaches a service. */
  const external: TokenShape = settings;
  /** Services' own tokens (client_credentials): only ever presented inside. */
  const internal: TokenShape = { issuer: settings.issuer, audience: settings.internalAudience, ttlSeconds: settings.ttlSeconds };
  /** Exchanged tokens: internal and short-lived. */
  const exchanged: TokenShape = { ...internal, ttlSeconds: settings.internalTtlSeconds };

  async function accessToken(who: AccessTokenSubject, scopes: readonly string[], shape: TokenShape): Promise<string> {
    const claims = buildAccessTokenClaims(who, scopes, shape, deps.now(), randomUUID());
    return signAccessToken(claims, await deps.keys.signingKey());
  }

  function respond(access_token: string, scopes: readonly string[], refresh_token?: string): TokenResponse {
    return {
      access_token,
      token_type: 'Bearer',
      expires_in: deps.settings.ttlSeconds,
      ...(refresh_token !== undefined ? { refresh_token } : {}),
      scope: formatScope(scopes),
    };
  }

  async function passwordGrant(client: Client, body: TokenRequest, context: RequestContext): Promise<TokenResponse> {
    const username = required(body, 'username');
    const password = required(body, 'password');
    const scopes = grantScopes(requestedScopes(body), client.scopes);
    if (!scopes.ok) throw oauthError('invalid_scope', scopes.description);
    const user = await deps.signIn(username, password, context.ip);
    const who = { subject: user.id, clientId: client.clientId, roles: user.roles, email: user.email };
    const refresh = await deps.refreshTokens.issue(
      { userId: user.id, clientId: client.clientId, scope: formatScope(scopes.scopes) },
      deps.now(),
    );
    return respond(await accessToken(who, scopes.scopes, external), scopes.scopes, refresh.token);
  }

  async function refreshGrant(client: Client, body: TokenRequest): Promise<TokenResponse> {
    const presented = required(body, 'refresh_token');
    const requested = requestedScopes(body);
    let scopes: string[] = [];
    const result = await deps.refreshTokens.rotate(presented, client.clientId, deps.now(), (token) => {
      // A refresh may narrow the scope of the access token, never widen it (RFC 6749 section 6).
      const granted = grantScopes(requested, token.scope.split(' ').filter(Boolean));
      if (!granted.ok) throw oauthError('invalid_scope', granted.description);
      scopes = granted.scopes;
    });
    if (result.outcome === 'reuse_detected') {
      deps.onReuse?.({ clientId: client.clientId });
      throw oauthError('invalid_grant', describeRejection('reuse_detected'));
    }
    if (result.outcome === 'reject') throw oauthError('invalid_grant', describeRejection(result.reason));
    // Roles are read again, so a promotion or demotion shows in the next access token.
    const user = await deps.users.findById(result.userId);
    if (!user) throw oauthError('invalid_grant', describeRejection('unknown'));
    const who = { subject: user.id, clientId: client.clientId, roles: user.roles, email: user.email };
    return respond(await accessToken(who, scopes, external), scopes, result.next.token);
  }

  async function clientCredentialsGrant(client: Client, body: TokenRequest): Promise<TokenResponse> {
    const scopes = grantScopes(requestedScopes(body), client.scopes);
    if (!scopes.ok) throw oauthError('invalid_scope', scopes.description);
    // A service acts as itself: no user, no roles, no refresh token (RFC 6749 section 4.4.3).
    const token = await accessToken({ subject: client.clientId, clientId: client.clientId, roles: [] }, scopes.scopes, internal);
    return respond(token, scopes.scopes);
  }

  /**
   * RFC 8693: the client (the gateway) trades a user's token for an internal one with the same subject, roles
   * and scopes (or fewer), `act` naming the client, living no longer than the token it replaces.
   */
  async function tokenExchangeGrant(client: Client, body: TokenRequest): Promise<TokenResponse> {
    const subjectToken = required(body, 'subject_token');
    if (body.subject_token_type !== ACCESS_TOKEN_TYPE)
      throw oauthError('invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    if (body.requested_token_type !== undefined && body.requested_token_type !== ACCESS_TOKEN_TYPE)
      throw oauthError('invalid_request', `Only ${ACCESS_TOKEN_TYPE} can be requested.`);
    // Delegation chains are not needed here: the authenticated client is the actor.
    if (body.actor_token !== undefined)
      throw oauthError('invalid_request', 'actor_token is not supported: the authenticated client is the actor.');
    if (body.resource !== undefined || (body.audience !== undefined && body.audience !== settings.internalAudience))
      throw oauthError('invalid_target', `Tokens are exchanged only for the audience ${settings.internalAudience}.`);
    let subject: SubjectToken;
    try {
      subject = await deps.verifySubjectToken(subjectToken);
    } catch (err) {
      // Identity's keys unavailable is not the caller's fault: let the 503 through.
      if ((err as { status?: number }).status === 503) throw err;
      throw oauthError('invalid_grant', "The subject_token is not a valid user's access token of this issuer.", { cause: err });
    }
    const scopes = grantScopes(requestedScopes(body), subject.scopes);
    if (!scopes.ok) throw oauthError('invalid_scope', scopes.description);
    const who: AccessTokenSubject = {
      subject: subject.subject,
      clientId: subject.clientId,
      roles: subject.roles,
      ...(subject.email !== undefined ? { email: subject.email } : {}),
      actor: client.clientId,
      notAfter: subject.exp,
    };
    const claims = buildAccessTokenClaims(who, scopes.scopes, exchanged, deps.now(), randomUUID());
    return {
      access_token: await signAccessToken(claims, await deps.keys.signingKey()),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: Math.max(0, claims.exp - claims.iat),
      scope: formatScope(scopes.scopes),
    };
  }

  const handlers: Record<GrantType, (client: Client, body: TokenRequest, context: RequestContext) => Promise<TokenResponse>> = {
    password: passwordGrant,
    refresh_token: refreshGrant,
    client_credentials: clientCredentialsGrant,
    [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
  };

  return {
    /** Answers a token request (already shape-checked) or throws an OAuth-flavoured error. */
    async exchange(body: TokenRequest, authorization: string | undefined, context: RequestContext): Promise<TokenResponse> {
      if (!isGrantType(body.grant_type)) {
        throw oauthError(
          'unsupported_grant_type',
          `grant_type ${JSON.stringify(body.grant_type)} is not supported; use ${GRANT_TYPES.join(', ')}.`,
        );
      }
      const client = await authenticateClient(authorization, body);
      if (!client.grantTypes.includes(body.grant_type)) {
        throw oauthError('unauthorized_client', `Client ${client.clientId} may not use the ${body.grant_type} grant.`);
      }
      return handlers[body.grant_type](client, body, context);
    },

    /** RFC 7009: revokes a refresh token (and its family) of the authenticated client. */
    async revoke(token: string, params: ClientParams, authorization: string | undefined): Promise<void> {
      const client = await authenticateClient(authorization, params);
      await deps.refreshTokens.revoke(token, client.clientId, deps.now());
    },
  };
}

export type Grants = ReturnType<typeof createGrants>;
