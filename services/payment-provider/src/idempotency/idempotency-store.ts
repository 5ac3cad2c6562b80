// Idempotency keys in PostgreSQL, as a card processor keeps them: a key is
// claimed (committed at once, so a concurrent duplicate sees it in flight),
// then completed with the response in the transaction of the work it guards,
// or released when the work failed for a reason that was not the request's.

import { createHash } from 'node:crypto';
import type { Clock } from '@souk/chassis';
import type { ProviderDatabase } from '../db.ts';

/** A claim left in flight by a process that died is taken over after this long. */
export const IDEMPOTENCY_LOCK_MS = 60_000;

export interface StoredResponse {
  status: number;
  /** The body exactly as first sent. */
  body: string;
}

export type Claim =
  { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse } | { kind: 'in-use' } | { kind: 'mismatch' };

/** JSON with object keys sorted, so the same body written in another order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What makes two requests "the same": method, path and body. */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

export interface IdempotencyStore {
  claim(key: string, fingerprint: string): Promise<Claim>;
  /** Records the response through `db` (the work's transaction, or the pool for a refused request). */
  complete(db: ProviderDatabase, key: string, response: StoredResponse): Promise<void>;
  /** Forgets an in-flight claim, so that a retry with the key runs the work again. */
  release(key: string): Promise<void>;
}

export function createIdempotencyStore(db: ProviderDatabase, clock: Clock): IdempotencyStore {
  const lockUntil = () => new Date(clock.now() + IDEMPOTENCY_LOCK_MS);
  return {
    async claim(key, fp) {
      const now = new Date(clock.now());
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ key, fingerprint: fp, state: 'in_flight', locked_until: lockUntil(), created_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { kind: 'claimed' };
      const row = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
      // Released between our insert and this read: the caller retries soon anyway.
      if (!row) return { kind: 'in-use' };
      if (row.fingerprint !== fp) return { kind: 'mismatch' };
      if (row.state === 'done' && row.response_status !== null && row.response_body !== null) {
        return { kind: 'replay', response: { status: row.response_status, body: row.response_body } };
      }
      // In flight: ours only if its holder has been gone longer than the lock (it died mid-work).
      const taken = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: lockUntil() })
        .where('key', '=', key)
        .where('state', '=', 'in_flight')
        .where('locked_until', '<', now)
        .returning('key')
        .executeTakeFirst();
      return taken ? { kind: 'claimed' } : { kind: 'in-use' };
    },

    async complete(target, key, response) {
      await target
        .updateTable('idempotency_keys')
        .set({
          state: 'done',
          response_status: response.status,
          response_body: response.body,
          completed_at: new Date(clock.now()),
        })
        .where('key', '=', key)
        .execute();
    },

    async release(key) {
      await db.deleteFrom('idempotency_keys').where('key', '=', key).where('state', '=', 'in_flight').execute();
    },
  };
}
