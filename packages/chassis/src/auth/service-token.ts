// The service's own access token (OAuth 2.0 client_credentials), for calls it
// makes on its own behalf: a saga step resumed after a restart has no caller
// whose token it could forward. Cached until shortly before it expires; one
// fetch at a time however many calls need it. Each fetch costs identity a
// scrypt check of the client secret (≈ 90 ms of CPU), so a token is fetched
// again only when it is due or when a called service refused that very token.

import { chassisErrors } from '../errors/codes.ts';

/** Gives a bearer token for the service itself. */
export type ServiceTokenSource = () => Promise<string>;

/** What the token endpoint answered (RFC 6749 section 5.1). */
export interface TokenAnswer {
  access_token: string;
  expires_in?: number;
}

export interface ServiceTokenOptions {
  /** Calls the token endpoint with the client's credentials. */
  fetchToken: () => Promise<TokenAnswer>;
  now: () => number;
  /** Fetch a new token this long before the old one expires. */
  refreshBeforeMs?: number;
}

/** Form-encoding of a client_secret_basic credential (RFC 6749 section 2.3.1). */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

export interface CachedServiceToken {
  source: ServiceTokenSource;
  /**
   * Drops the cached token because a called service refused it. Given the refused token, only
   * that one is dropped: refusals of an old token arriving after a new one was fetched (calls
   * that were in flight together) must not each cost another fetch.
   */
  invalidate(refused?: string): void;
}

export function cachedServiceToken(options: ServiceTokenOptions): CachedServiceToken {
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const fetchOnce = async (): Promise<string> => {
    const answer = await options.fetchToken();
    if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
      throw chassisErrors.serviceTokenUnavailable({ detail: 'The token endpoint answered without an access_token.' });
    }
    const lifetimeMs = (answer.expires_in ?? 300) * 1000;
    cached = { token: answer.access_token, refreshAt: options.now() + Math.max(lifetimeMs - refreshBeforeMs, lifetimeMs / 2) };
    return answer.access_token;
  };

  return {
    source: async () => {
      if (cached && options.now() < cached.refreshAt) return cached.token;
      inFlight ??= fetchOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate: (refused) => {
      if (refused === undefined || cached?.token === refused) cached = undefined;
    },
  };
}
