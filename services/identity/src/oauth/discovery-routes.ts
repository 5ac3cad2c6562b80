// OpenID Connect discovery (/.well-known/openid-configuration) and the JWKS.
// Both paths are the ones the gateway exposes publicly, under AUTH_ISSUER.

import type { App } from '@souk/chassis';
import {
  API_PREFIX,
  Jwks,
  OpenIdConfiguration,
  type Jwks as JwksBody,
  type OpenIdConfiguration as OpenIdConfigurationBody,
} from '../../contract.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { SIGNING_ALG } from '../tokens/access-token.ts';
import { GRANT_TYPES } from './grants.ts';
import { USER_SCOPES } from './scopes.ts';
import { REVOKE_PATH, TOKEN_PATH } from './token-routes.ts';

/** Long enough to spare the database, short enough that a dropped key disappears soon. */
const PUBLIC_CACHE = 'public, max-age=300';
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];

/** The discovery document for an issuer (no trailing slash). */
export function openIdConfiguration(issuer: string): OpenIdConfigurationBody {
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}${REVOKE_PATH}`,
    userinfo_endpoint: `${issuer}${API_PREFIX}/userinfo`,
    grant_types_supported: [...GRANT_TYPES],
    // No authorization endpoint (yet), hence no response type; the member is
    // required by OIDC Discovery and RFC 8414, so it is present and empty.
    response_types_supported: [],
    subject_types_supported: ['public'],
    // Identity issues no ID tokens; this is the algorithm of everything it signs.
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    scopes_supported: [...USER_SCOPES],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'jti',
      'scope',
      'roles',
      'client_id',
      'email',
      'email_verified',
      'name',
    ],
  };
}

export function registerDiscoveryRoutes(app: App, deps: { issuer: string; keys: KeyStore }): void {
  const issuer = deps.issuer.replace(/\/+$/, '');
  const document = openIdConfiguration(issuer);

  app.get(
    '/.well-known/openid-configuration',
    { schema: { summary: 'OpenID Connect discovery', response: { 200: OpenIdConfiguration } } },
    async (_request, reply) => {
      reply.header('cache-control', PUBLIC_CACHE);
      return document;
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public keys that verify access tokens', response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', PUBLIC_CACHE);
      // The store only holds ES256 P-256 keys exported with kid, alg and use.
      return (await deps.keys.jwks()) as JwksBody;
    },
  );
}
