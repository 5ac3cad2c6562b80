// Refresh token rotation as pure rules. Every use of a refresh token replaces
// it with a new one of the same family; presenting a replaced token again
// means it was copied, so the whole family is revoked (RFC 9700 section 4.14.2).

import { createHash, randomBytes } from 'node:crypto';

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  clientId: string;
  scope: string;
  /** ms since the epoch */
  expiresAt: number;
  /** Set when the token was exchanged for a newer one. */
  rotatedAt: number | null;
  /** Set when the token (or its family) was revoked. */
  revokedAt: number | null;
}

export type RefreshRejection = 'unknown' | 'client_mismatch' | 'revoked' | 'expired';

export type RefreshDecision =
  | { outcome: 'rotate'; token: RefreshTokenRecord }
  | { outcome: 'reject'; reason: RefreshRejection }
  | { outcome: 'reuse_detected'; familyId: string };

/** What to do with a presented refresh token (`record` is undefined when its hash is unknown). */
export function decideRefresh(
  record: RefreshTokenRecord | undefined,
  request: { clientId: string; now: number },
): RefreshDecision {
  if (!record) return { outcome: 'reject', reason: 'unknown' };
  // A token is bound to the client it was issued to (RFC 6749 section 6).
  if (record.clientId !== request.clientId) return { outcome: 'reject', reason: 'client_mismatch' };
  if (record.revokedAt !== null) return { outcome: 'reject', reason: 'revoked' };
  if (record.rotatedAt !== null) return { outcome: 'reuse_detected', familyId: record.familyId };
  if (request.now >= record.expiresAt) return { outcome: 'reject', reason: 'expired' };
  return { outcome: 'rotate', token: record };
}

/** Words for `error_description`; the same for every reason a caller could probe, apart from reuse. */
export function describeRejection(reason: RefreshRejection | 'reuse_detected'): string {
  return reason === 'reuse_detected'
    ? 'The refresh token was already used; every token of this login has been revoked. Sign in again.'
    : 'The refresh token is invalid, expired or revoked.';
}

/** A new opaque refresh token: 256 random bits, base64url. */
export function generateRefreshToken(random: (bytes: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

/**
 * What the database stores instead of the token. A plain SHA-256 suffices (no
 * salt, no slow hash) because the token carries 256 bits of randomness.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
