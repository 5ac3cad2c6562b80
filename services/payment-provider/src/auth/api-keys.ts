// API key authentication, processor style: `Authorization: Bearer <key>` with
// the merchant key for the API and the admin key for /v1/_admin. Not souk's
// JWTs: the provider is a third party and knows nothing of souk's identity.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeys } from '../config.ts';
import { errors } from '../errors.ts';

export type KeyKind = 'merchant' | 'admin';

/** What the hooks read of a request (structural, so any Fastify request fits). */
export interface KeyedRequest {
  headers: { authorization?: string | undefined };
}

export type KeyHook = (request: KeyedRequest) => Promise<void>;

/**
 * Compares in constant time. Both sides are hashed first so the comparison
 * has equal lengths and its time says nothing about the key's length either.
 */
export function sameKey(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Which key the header carries, if any of ours. Both are compared, so the time does not tell which one matched. */
export function keyKind(header: string | undefined, keys: ApiKeys): KeyKind | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  const merchant = sameKey(given, keys.merchant);
  const admin = sameKey(given, keys.admin);
  return merchant ? 'merchant' : admin ? 'admin' : undefined;
}

const challenge = { 'www-authenticate': 'Bearer realm="payment-provider"' };

/** onRequest hooks: the merchant API and the admin API. */
export function apiKeyHooks(keys: ApiKeys): { merchant: KeyHook; admin: KeyHook } {
  return {
    async merchant(request): Promise<void> {
      if (keyKind(request.headers.authorization, keys) !== 'merchant') {
        throw errors.unauthenticated({
          detail: 'Send the merchant API key as `Authorization: Bearer <key>`.',
          headers: challenge,
        });
      }
    },
    async admin(request): Promise<void> {
      const kind = keyKind(request.headers.authorization, keys);
      if (kind === 'merchant') throw errors.forbidden('The merchant key cannot change the simulator: use the admin key.');
      if (kind !== 'admin')
        throw errors.unauthenticated({ detail: 'Send the admin key as `Authorization: Bearer <key>`.', headers: challenge });
    },
  };
}
