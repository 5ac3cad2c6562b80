// Verifies access tokens against the identity service's published key set,
// cached and refreshed when a token names a key the cache does not know
// (which is how a key rotation reaches every verifier). A token that verified
// is trusted again without a signature check until it expires, as long as its
// key stays in the key set (token-cache.ts).

import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Identity } from '../context.ts';
import { chassisErrors } from '../errors/codes.ts';
import { createTokenCache, DEFAULT_TOKEN_CACHE_SIZE } from './token-cache.ts';

/** Fetches the current JSON Web Key Set (from identity's JWKS endpoint, or locally inside identity). */
export type KeySource = () => Promise<JSONWebKeySet>;

export interface JwtVerifierOptions {
  keySource: KeySource;
  issuer: string;
  audience: string;
  now?: () => number;
  /** How long a fetched key set is used before it is fetched again. */
  maxAgeMs?: number;
  /** Shortest interval between two fetches caused by unknown key ids (guards against token floods). */
  cooldownMs?: number;
  /** Verified tokens remembered until they expire (least recently used first out); 0 checks every signature. */
  tokenCacheSize?: number;
}

export interface JwtVerifier {
  /** The caller behind a bearer token; throws SOUK_AUTH_TOKEN_INVALID. */
  verify(token: string): Promise<Identity>;
  /**
   * The caller behind a token verified before, without a promise (hot paths):
   * undefined when only `verify` can tell (unknown token, key set due for a refresh).
   */
  verifyCached(token: string): Identity | undefined;
  /** Drops the cached key set and every token verified with it (tests, or after a forced rotation). */
  invalidate(): void;
}

export const ALGORITHMS = ['ES256', 'EdDSA'];

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const cooldownMs = options.cooldownMs ?? 5_000;
  let cached: { keys: ReturnType<typeof createLocalJWKSet>; fetchedAt: number } | undefined;
  // Only refetches caused by unknown key ids are rate-limited: a routine refresh
  // just before a rotation must not make the new key wait out the cooldown.
  let lastUnknownKeyFetch = Number.NEGATIVE_INFINITY;
  let inflight: Promise<ReturnType<typeof createLocalJWKSet>> | undefined;
  const verified = createTokenCache(options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);
  // The key ids of the last key set fetched: a token is remembered only while its key is among them.
  let knownKids = new Set<string>();
  // Counts invalidations, so that a verification that began before one does not remember its token after it.
  let generation = 0;

  async function load(): Promise<ReturnType<typeof createLocalJWKSet>> {
    // One fetch at a time however many requests arrive with an unknown key.
    inflight ??= options
      .keySource()
      .then((jwks) => {
        cached = { keys: createLocalJWKSet(jwks), fetchedAt: now() };
        knownKids = new Set(jwks.keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])));
        // A key gone from the set (retired, or removed after a compromise) takes its tokens with it.
        verified.retainKeys(knownKids);
        return cached.keys;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  async function keys(): Promise<ReturnType<typeof createLocalJWKSet>> {
    if (cached && now() - cached.fetchedAt < maxAgeMs) return cached.keys;
    try {
      return await load();
    } catch (err) {
      if (!cached) throw err;
      // Identity unreachable: keep verifying with the keys we have rather than refusing
      // every caller, and try the refresh again only after the cooldown.
      cached.fetchedAt = now() - maxAgeMs + cooldownMs;
      return cached.keys;
    }
  }

  async function check(token: string, keySet: ReturnType<typeof createLocalJWKSet>): Promise<Identity> {
    const started = generation;
    const { payload, protectedHeader } = await jwtVerify(token, keySet, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ALGORITHMS,
      currentDate: new Date(now()),
    });
    const identity = toIdentity(payload);
    // Only tokens that say when they expire and which key signed them are remembered: without
    // `exp` there is no end to the trust, without `kid` no way to drop them with their key.
    const { kid } = protectedHeader;
    if (typeof payload.exp === 'number' && typeof kid === 'string' && knownKids.has(kid) && generation === started) {
      verified.set(token, { identity, kid, exp: payload.exp, ...(typeof payload.nbf === 'number' ? { nbf: payload.nbf } : {}) });
    }
    return identity;
  }

  return {
    verifyCached(token) {
      // Only while the key set is fresh: a due refresh (in verify) may drop the token's key first.
      if (!cached || now() - cached.fetchedAt >= maxAgeMs) return undefined;
      return verified.get(token, now());
    },
    async verify(token) {
      let keySet: ReturnType<typeof createLocalJWKSet>;
      try {
        keySet = await keys();
      } catch (cause) {
        // Not the caller's fault: a 503 tells clients to retry, a 401 would tell them to log in again.
        throw chassisErrors.keysUnavailable({ cause, headers: { 'retry-after': '1' } });
      }
      // After keys(): a due refresh of the key set runs first and drops the tokens of keys that left it.
      const known = verified.get(token, now());
      if (known) return known;
      try {
        return await check(token, keySet);
      } catch (err) {
        const unknownKey = err instanceof joseErrors.JWKSNoMatchingKey;
        if (unknownKey && now() - lastUnknownKeyFetch >= cooldownMs) {
          lastUnknownKeyFetch = now();
          let fresh: ReturnType<typeof createLocalJWKSet>;
          try {
            fresh = await load();
          } catch (cause) {
            throw chassisErrors.keysUnavailable({ cause, headers: { 'retry-after': '1' } });
          }
          try {
            return await check(token, fresh);
          } catch (retryErr) {
            throw invalid(retryErr);
          }
        }
        throw invalid(err);
      }
    },
    invalidate() {
      cached = undefined;
      generation++;
      verified.clear();
    },
  };
}

function invalid(err: unknown) {
  const reason =
    err instanceof joseErrors.JWTExpired
      ? 'The token has expired.'
      : err instanceof joseErrors.JWTClaimValidationFailed
        ? `The token's ${err.claim} claim is not accepted.`
        : err instanceof joseErrors.JWKSNoMatchingKey
          ? 'The token is signed by an unknown key.'
          : 'The token could not be verified.';
  return chassisErrors.tokenInvalid({ detail: reason, cause: err });
}

function toIdentity(payload: JWTPayload): Identity {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('token without sub');
  const scope = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return {
    subject: payload.sub,
    roles,
    scopes: scope,
    ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
    // A client_credentials token is the client acting for itself: its subject is the client id. A user's
    // token also names the client it was issued to (the storefront), but its caller is the user.
    ...(typeof payload.client_id === 'string' && payload.client_id === payload.sub ? { clientId: payload.client_id } : {}),
  };
}
