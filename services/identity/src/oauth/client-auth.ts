// Reads how an OAuth client identified itself on a request: HTTP Basic
// (client_secret_basic), body parameters (client_secret_post) or client_id
// alone (public clients, "none"). Pure; the secret is checked elsewhere.

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  method: ClientAuthMethod;
}

export type ClientAuthResult =
  { ok: true; credentials: ClientCredentials } | { ok: false; error: 'invalid_request' | 'invalid_client'; description: string };

// RFC 6749 section 2.3.1: id and secret are form-urlencoded before base64.
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function fromBasic(header: string): ClientAuthResult {
  const match = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const id = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
  const secret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
  if (!id || secret === undefined) {
    return { ok: false, error: 'invalid_client', description: 'The Basic authorization header is malformed.' };
  }
  return { ok: true, credentials: { clientId: id, clientSecret: secret, method: 'client_secret_basic' } };
}

/**
 * The client behind a token or revocation request. `authorization` is the
 * Authorization header; `body` the parsed form. Undefined when the request
 * names no client at all.
 */
export function readClientCredentials(
  authorization: string | undefined,
  body: { client_id?: string; client_secret?: string },
): ClientAuthResult | undefined {
  const basic = authorization !== undefined && /^Basic\s/i.test(authorization);
  if (basic) {
    // RFC 6749 section 2.3: a client must not use more than one method per request.
    if (body.client_secret !== undefined) {
      return {
        ok: false,
        error: 'invalid_request',
        description: 'Use either HTTP Basic or client_secret in the body, not both.',
      };
    }
    const result = fromBasic(authorization);
    if (result.ok && body.client_id !== undefined && body.client_id !== result.credentials.clientId) {
      return {
        ok: false,
        error: 'invalid_request',
        description: 'client_id in the body differs from the one in the Authorization header.',
      };
    }
    return result;
  }
  if (body.client_id === undefined || body.client_id === '') {
    return body.client_secret === undefined
      ? undefined
      : { ok: false, error: 'invalid_request', description: 'client_secret was sent without client_id.' };
  }
  if (body.client_secret !== undefined) {
    return {
      ok: true,
      credentials: { clientId: body.client_id, clientSecret: body.client_secret, method: 'client_secret_post' },
    };
  }
  return { ok: true, credentials: { clientId: body.client_id, method: 'none' } };
}

/** The WWW-Authenticate challenge sent with invalid_client. */
export const CLIENT_CHALLENGE = 'Basic realm="souk", charset="UTF-8"';
