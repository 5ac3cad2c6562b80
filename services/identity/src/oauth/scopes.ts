// Scope strings (RFC 6749 section 3.3) and the rule deciding which scopes a
// token request gets.

/**
 * Not a scope a token carries but a permission a client is granted: it may trade users' tokens for internal
 * ones (RFC 8693). Only the gateway (and the devhost's operator tools) hold it.
 */
export const TOKEN_EXCHANGE_PERMISSION = 'identity:token-exchange';

/** Scopes a user's token may carry. */
export const USER_SCOPES: readonly string[] = ['openid', 'profile', 'email'];

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export type ScopeParse = { ok: true; scopes: string[] } | { ok: false; description: string };

/** Splits a space-separated scope parameter; absent or blank means "none requested". */
export function parseScope(raw: string | undefined): ScopeParse {
  if (raw === undefined || raw.trim() === '') return { ok: true, scopes: [] };
  const scopes = [...new Set(raw.split(' ').filter((s) => s !== ''))];
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) return { ok: false, description: `"${bad}" is not a valid scope token.` };
  return { ok: true, scopes };
}

export type ScopeGrant = { ok: true; scopes: string[] } | { ok: false; description: string };

/**
 * The scopes to grant: all allowed ones when none are requested, otherwise
 * the requested ones, provided every one of them is allowed.
 */
export function grantScopes(requested: readonly string[], allowed: readonly string[]): ScopeGrant {
  if (requested.length === 0) return { ok: true, scopes: [...allowed] };
  const refused = requested.filter((s) => !allowed.includes(s));
  if (refused.length > 0) return { ok: false, description: `Scope not allowed for this client: ${refused.join(' ')}.` };
  return { ok: true, scopes: [...requested] };
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}
