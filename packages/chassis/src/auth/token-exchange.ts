// OAuth 2.0 Token Exchange (RFC 8693), the caller's side: the gateway trades a
// user's token (audience `souk`) for a short-lived internal one (audience
// `souk-internal`, `act` naming the gateway), which is the only kind a service
// accepts. Each user token is exchanged once and the answer reused until
// shortly before it expires; concurrent requests with a new token share one
// exchange. Bounded (least recently used first out) and keyed by the token's
// SHA-256, like the verified-token cache.

import { hash } from 'node:crypto';
import { chassisErrors } from '../errors/codes.ts';
import { isSoukError } from '../errors/index.ts';
import type { TokenAnswer } from './service-token.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface TokenExchangeOptions {
  /**
   * Asks identity's token endpoint for the internal token of `subjectToken` (the client authenticates
   * itself); `clientAddress` is the user's, for identity's per-address budgets.
   */
  fetchToken: (subjectToken: string, clientAddress: string | undefined) => Promise<TokenAnswer>;
  now: () => number;
  /** Exchanged tokens kept; a few hundred bytes each. */
  maxEntries?: number;
  /** Exchange again this long before the internal token expires (at most half its lifetime). */
  refreshBeforeMs?: number;
}

export interface TokenExchanger {
  /** The internal token for a user's token exchanged before and not yet due; undefined otherwise (no promise: hot path). */
  cached(subjectToken: string): string | undefined;
  /**
   * The internal token for a user's token, exchanging it when needed. Refusals are SOUK_AUTH_TOKEN_INVALID.
   * `clientAddress`: where the request came from (identity budgets token requests per address).
   */
  exchange(subjectToken: string, clientAddress?: string): Promise<string>;
  readonly size: number;
}

export const DEFAULT_EXCHANGE_CACHE_SIZE = 10_000;

export function createTokenExchanger(options: TokenExchangeOptions): TokenExchanger {
  const maxEntries = options.maxEntries ?? DEFAULT_EXCHANGE_CACHE_SIZE;
  const refreshBeforeMs = options.refreshBeforeMs ?? 30_000;
  const entries = new Map<string, { token: string; refreshAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const keyOf = (token: string) => hash('sha256', token, 'base64url');

  function lookup(key: string): string | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (options.now() >= entry.refreshAt) {
      entries.delete(key);
      return undefined;
    }
    // Re-inserted: the least recently used entry stays first, and goes first when the cache is full.
    entries.delete(key);
    entries.set(key, entry);
    return entry.token;
  }

  async function fetchOnce(key: string, subjectToken: string, clientAddress: string | undefined): Promise<string> {
    let answer: TokenAnswer;
    try {
      answer = await options.fetchToken(subjectToken, clientAddress);
    } catch (err) {
      // Identity busy (429, its Retry-After) is passed on as it is. Identity refused the token (expired
      // meanwhile, signed by a retired key): the caller's to fix, as a 401. Anything else (identity
      // unreachable, its breaker open) is ours: a retryable 503.
      if (isSoukError(err) && err.status === 429) throw err;
      if (isSoukError(err) && err.status >= 400 && err.status < 500)
        throw chassisErrors.tokenInvalid({ detail: 'The token could not be exchanged for an internal one.', cause: err });
      throw chassisErrors.exchangeUnavailable({ cause: err, headers: { 'retry-after': '1' } });
    }
    if (typeof answer?.access_token !== 'string' || answer.access_token === '')
      throw chassisErrors.exchangeUnavailable({ detail: 'Identity answered the exchange without an access_token.' });
    const lifetimeMs = (answer.expires_in ?? 60) * 1000;
    const refreshAt = options.now() + lifetimeMs - Math.min(refreshBeforeMs, lifetimeMs / 2);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, { token: answer.access_token, refreshAt });
    return answer.access_token;
  }

  return {
    cached: (subjectToken) => lookup(keyOf(subjectToken)),
    exchange(subjectToken, clientAddress) {
      const key = keyOf(subjectToken);
      const known = lookup(key);
      if (known !== undefined) return Promise.resolve(known);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchOnce(key, subjectToken, clientAddress).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    get size() {
      return entries.size;
    },
  };
}

/** The form of an exchange request (RFC 8693 section 2.1) for an access token of `audience`. */
export function tokenExchangeRequest(subjectToken: string, audience: string): Record<string, string> {
  return {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    requested_token_type: ACCESS_TOKEN_TYPE,
    audience,
  };
}
