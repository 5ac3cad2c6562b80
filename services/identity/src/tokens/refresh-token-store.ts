// Refresh tokens in the database, stored as hashes. Rotation happens in one
// transaction with the presented token's row locked, so two concurrent uses of
// the same token cannot both obtain a successor.

import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { IdentityDatabase, RefreshTokenTable } from '../db.ts';
import {
  decideRefresh,
  generateRefreshToken,
  hashRefreshToken,
  type RefreshDecision,
  type RefreshTokenRecord,
} from './refresh-rules.ts';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: number;
}

export type RotationResult =
  | { outcome: 'rotated'; userId: string; scope: string; next: IssuedRefreshToken }
  | Exclude<RefreshDecision, { outcome: 'rotate' }>;

function toRecord(row: Omit<Selectable<RefreshTokenTable>, 'token_hash' | 'created_at'>): RefreshTokenRecord {
  return {
    id: row.id,
    familyId: row.family_id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    expiresAt: row.expires_at.getTime(),
    rotatedAt: row.rotated_at?.getTime() ?? null,
    revokedAt: row.revoked_at?.getTime() ?? null,
  };
}

export function createRefreshTokenStore(db: IdentityDatabase, ttlMs: number) {
  const columns = ['id', 'family_id', 'user_id', 'client_id', 'scope', 'expires_at', 'rotated_at', 'revoked_at'] as const;

  async function insert(
    exec: IdentityDatabase,
    grant: { userId: string; clientId: string; scope: string; familyId: string },
    now: number,
  ): Promise<IssuedRefreshToken> {
    const token = generateRefreshToken();
    const expiresAt = now + ttlMs;
    await exec
      .insertInto('refresh_tokens')
      .values({
        id: randomUUID(),
        token_hash: hashRefreshToken(token),
        family_id: grant.familyId,
        user_id: grant.userId,
        client_id: grant.clientId,
        scope: grant.scope,
        created_at: new Date(now),
        expires_at: new Date(expiresAt),
        rotated_at: null,
        revoked_at: null,
      })
      .execute();
    return { token, familyId: grant.familyId, expiresAt };
  }

  async function revokeFamily(exec: IdentityDatabase, familyId: string, now: number): Promise<void> {
    await exec
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date(now) })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  return {
    /** A new token starting a new family (a fresh sign-in). */
    issue(grant: { userId: string; clientId: string; scope: string }, now: number): Promise<IssuedRefreshToken> {
      return insert(db, { ...grant, familyId: randomUUID() }, now);
    },

    /**
     * Exchanges a presented token for its successor, or says why not (revoking
     * the family on reuse). `check` may throw to refuse a live token; nothing
     * is written then, so the token stays usable.
     */
    rotate(token: string, clientId: string, now: number, check?: (token: RefreshTokenRecord) => void): Promise<RotationResult> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('refresh_tokens')
          .select(columns)
          .where('token_hash', '=', hashRefreshToken(token))
          .forUpdate()
          .executeTakeFirst();
        const decision = decideRefresh(row && toRecord(row), { clientId, now });
        if (decision.outcome === 'reuse_detected') await revokeFamily(trx, decision.familyId, now);
        if (decision.outcome !== 'rotate') return decision;
        const record = decision.token;
        check?.(record);
        await trx
          .updateTable('refresh_tokens')
          .set({ rotated_at: new Date(now) })
          .where('id', '=', record.id)
          .execute();
        const next = await insert(trx, { userId: record.userId, clientId, scope: record.scope, familyId: record.familyId }, now);
        return { outcome: 'rotated', userId: record.userId, scope: record.scope, next };
      });
    },

    /**
     * RFC 7009 revocation: ends the whole sign-in the token belongs to. Unknown
     * tokens and tokens of other clients are ignored, as the RFC asks.
     */
    async revoke(token: string, clientId: string, now: number): Promise<boolean> {
      const row = await db
        .selectFrom('refresh_tokens')
        .select(['family_id', 'client_id'])
        .where('token_hash', '=', hashRefreshToken(token))
        .executeTakeFirst();
      if (!row || row.client_id !== clientId) return false;
      await revokeFamily(db, row.family_id, now);
      return true;
    },

    /** Deletes tokens expired for more than a day (kept a while so a late reuse is still recognised). */
    async prune(now: number): Promise<number> {
      const result = await db
        .deleteFrom('refresh_tokens')
        .where('expires_at', '<', new Date(now - 86_400_000))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type RefreshTokenStore = ReturnType<typeof createRefreshTokenStore>;
