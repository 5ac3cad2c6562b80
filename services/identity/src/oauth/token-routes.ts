// The OAuth 2.0 token endpoint (RFC 6749) and revocation endpoint (RFC 7009).
// Bodies are forms or JSON; shape errors are reported as OAuth invalid_request,
// not as the chassis' generic validation problem.

import { TOKEN_EXCHANGE_GRANT, type App } from '@souk/chassis';
import { API_PREFIX, RevokeRequest, TokenRequest, TokenResponse } from '../../contract.ts';
import { clientIp } from '../throttle/client-ip.ts';
import type { RequestLimits } from '../throttle/request-limits.ts';
import { readClientCredentials } from './client-auth.ts';
import type { Grants } from './grants.ts';
import { negotiateOAuthErrorType, noStore, oauthError } from './oauth-errors.ts';

export const TOKEN_PATH = `${API_PREFIX}/oauth/token`;
export const REVOKE_PATH = `${API_PREFIX}/oauth/revoke`;

interface ValidationFailure {
  validation?: { instancePath?: string; message?: string; params?: { missingProperty?: string } }[];
  message: string;
}

/** One line on what is wrong with the body, for error_description. */
function describeInvalidBody(error: ValidationFailure): string {
  const first = error.validation?.[0];
  if (!first) return 'The request body must be a form (or JSON object) of OAuth parameters.';
  if (first.params?.missingProperty) return `The ${first.params.missingProperty} parameter is required.`;
  const name = (first.instancePath ?? '').replace(/^\//, '');
  return name
    ? `The ${name} parameter ${first.message ?? 'is invalid'}.`
    : 'The request body must be a form (or JSON object) of OAuth parameters.';
}

export function registerTokenRoutes(app: App, grants: Grants, limits: RequestLimits): void {
  app.post(
    TOKEN_PATH,
    {
      // Validation failures reach the handler, which answers them the OAuth way.
      attachValidation: true,
      onSend: negotiateOAuthErrorType,
      // The address's budget before any work: a refused request costs a form parse and a map lookup. Token
      // exchanges are not budgeted per address: the gateway asks for one per user session whatever the
      // user's address, they hash no password, and they need the exchanging client's secret.
      preValidation: async (request, reply) => {
        noStore(reply);
        const body = request.body as { grant_type?: unknown } | undefined;
        if (body?.grant_type === TOKEN_EXCHANGE_GRANT) return;
        limits.take('tokenPerIp', clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress), { oauth: true });
      },
      schema: { summary: 'OAuth 2.0 token endpoint', body: TokenRequest, response: { 200: TokenResponse } },
    },
    async (request, reply) => {
      noStore(reply);
      const ip = clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress);
      if (request.validationError) throw oauthError('invalid_request', describeInvalidBody(request.validationError));
      if (request.body.grant_type === 'client_credentials') {
        const read = readClientCredentials(request.headers.authorization, request.body);
        if (read?.ok) limits.take('tokenPerClient', read.credentials.clientId, { oauth: true });
      }
      return grants.exchange(request.body, request.headers.authorization, { ip });
    },
  );

  app.post(
    REVOKE_PATH,
    {
      attachValidation: true,
      onSend: negotiateOAuthErrorType,
      schema: { summary: 'OAuth 2.0 token revocation (refresh tokens)', body: RevokeRequest },
    },
    async (request, reply) => {
      noStore(reply);
      if (request.validationError) throw oauthError('invalid_request', describeInvalidBody(request.validationError));
      await grants.revoke(request.body.token, request.body, request.headers.authorization);
      // RFC 7009 section 2.2: 200 whether or not the token was known.
      return reply.code(200).send();
    },
  );
}
