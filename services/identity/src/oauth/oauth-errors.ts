// OAuth endpoints answer errors the way RFC 6749 section 5.2 and RFC 7009 need
// (`error`, `error_description`, status 400 or 401 + WWW-Authenticate) while
// staying souk problem documents (`type`, `code`, `traceId`...). The media
// type is negotiated: OAuth clients get application/json, which libraries such
// as openid-client insist on; callers asking for problem+json get that.

import { PROBLEM_CONTENT_TYPE, type ErrorFactory, type SoukError, type SoukErrorOptions } from '@souk/chassis';
import { errors } from '../errors.ts';
import { CLIENT_CHALLENGE } from './client-auth.ts';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  // RFC 6749 section 4.1.2.1 (registered for the authorization endpoint): the
  // closest OAuth word for "not now", used with 429 for rate limits and shedding.
  | 'temporarily_unavailable';

const DEFAULT_FACTORY: Record<OAuthErrorCode, ErrorFactory> = {
  invalid_request: errors.invalidTokenRequest,
  invalid_client: errors.invalidClient,
  invalid_grant: errors.invalidGrant,
  unauthorized_client: errors.unauthorizedClient,
  unsupported_grant_type: errors.unsupportedGrantType,
  invalid_scope: errors.invalidScope,
  invalid_target: errors.invalidTarget,
  temporarily_unavailable: errors.rateLimited,
};

/** A souk error that also reads as an RFC 6749 error response. */
export function oauthError(
  error: OAuthErrorCode,
  description: string,
  options: { factory?: ErrorFactory } & Omit<SoukErrorOptions, 'detail'> = {},
): SoukError {
  const { factory = DEFAULT_FACTORY[error], ...rest } = options;
  const headers = error === 'invalid_client' ? { 'www-authenticate': CLIENT_CHALLENGE, ...rest.headers } : rest.headers;
  return factory({
    ...rest,
    detail: description,
    ...(headers ? { headers } : {}),
    extensions: { ...rest.extensions, error, error_description: description },
  });
}

// Only what these helpers touch of Fastify's request and reply.
interface RequestLike {
  headers: { accept?: string | undefined };
}
interface ReplyLike {
  getHeader(name: string): unknown;
  header(name: string, value: string): unknown;
}

/** Whether the caller listed problem+json in Accept (the souk service client does; OAuth libraries do not). */
export function acceptsProblemJson(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.trim().toLowerCase().startsWith(PROBLEM_CONTENT_TYPE));
}

/**
 * Route `onSend` hook for the OAuth endpoints. Problems the chassis raised
 * before the handler ran (unparsable JSON, wrong media type, body too large)
 * get the OAuth members too, and the document is served as application/json
 * unless the caller asked for problem+json.
 */
export async function negotiateOAuthErrorType(
  request: RequestLike,
  reply: ReplyLike & { statusCode: number },
  payload: unknown,
): Promise<unknown> {
  const header = reply.getHeader('content-type');
  const type = typeof header === 'string' ? header : '';
  if (!type.startsWith(PROBLEM_CONTENT_TYPE)) return payload;
  if (!acceptsProblemJson(request.headers.accept)) reply.header('content-type', 'application/json; charset=utf-8');
  if (typeof payload !== 'string' || reply.statusCode >= 500) return payload;
  try {
    const problem = JSON.parse(payload) as Record<string, unknown>;
    if (typeof problem.error === 'string') return payload;
    const error: OAuthErrorCode = reply.statusCode === 401 ? 'invalid_client' : 'invalid_request';
    return JSON.stringify({ error, error_description: problem.detail ?? problem.title, ...problem });
  } catch {
    return payload;
  }
}

/** RFC 6749 section 5.1: token responses must not be cached. */
export function noStore(reply: ReplyLike): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}
