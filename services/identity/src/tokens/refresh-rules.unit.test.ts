// Refresh token rotation rules: rotate a live token, reject bad ones, detect reuse.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRefresh, generateRefreshToken, hashRefreshToken, type RefreshTokenRecord } from './refresh-rules.ts';

const T0 = Date.UTC(2025, 0, 1);
const live: RefreshTokenRecord = {
  id: 't1',
  familyId: 'f1',
  userId: 'u1',
  clientId: 'storefront',
  scope: 'openid',
  expiresAt: T0 + 1000,
  rotatedAt: null,
  revokedAt: null,
};
const request = { clientId: 'storefront', now: T0 };

describe('refresh token rules', () => {
  it('rotates a live token', () => {
    assert.deepEqual(decideRefresh(live, request), { outcome: 'rotate', token: live });
  });

  it('rejects an unknown token', () => {
    assert.deepEqual(decideRefresh(undefined, request), { outcome: 'reject', reason: 'unknown' });
  });

  it('rejects a token issued to another client', () => {
    assert.deepEqual(decideRefresh(live, { ...request, clientId: 'other' }), { outcome: 'reject', reason: 'client_mismatch' });
  });

  it('rejects an expired token', () => {
    assert.deepEqual(decideRefresh(live, { ...request, now: T0 + 1000 }), { outcome: 'reject', reason: 'expired' });
  });

  it('rejects a revoked token', () => {
    assert.deepEqual(decideRefresh({ ...live, revokedAt: T0 }, request), { outcome: 'reject', reason: 'revoked' });
  });

  it('detects the reuse of a rotated token, even after it expired', () => {
    const rotated = { ...live, rotatedAt: T0 - 1 };
    assert.deepEqual(decideRefresh(rotated, request), { outcome: 'reuse_detected', familyId: 'f1' });
    assert.deepEqual(decideRefresh(rotated, { ...request, now: T0 + 5000 }), { outcome: 'reuse_detected', familyId: 'f1' });
  });

  it('makes random tokens and stores only their hash', () => {
    const a = generateRefreshToken();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, generateRefreshToken());
    assert.match(hashRefreshToken(a), /^[0-9a-f]{64}$/);
    assert.equal(
      generateRefreshToken((n) => Buffer.alloc(n, 1)),
      Buffer.alloc(32, 1).toString('base64url'),
    );
  });
});
