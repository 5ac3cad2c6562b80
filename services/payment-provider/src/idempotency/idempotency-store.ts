// Idempotency keys in PostgreSQL, as a card processor keeps them: a key is
// recorded with its answer in the one statement that makes the writes it
// answers for, each write guarded by the key's insert (a key already taken
// writes nothing and gets what the key holds). A request that fails for a
// reason that was not its own records nothing, so a retry does the work.

import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Clock } from '@souk/chassis';
import type { ProviderDatabase } from '../db.ts';

export interface StoredResponse {
  status: number;
  /** The body exactly as first sent. */
  body: string;
}

export type Claim =
  { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse } | { kind: 'in-use' } | { kind: 'mismatch' };

/**
 * A write made with a key's record, in its statement: `claimed` is a relation
 * with one row when the key was recorded and none when it was taken, so a
 * write reads from it (`insert … select … from ${claimed}`, `where exists
 * (select from ${claimed})`) to happen only with the record.
 */
export type GuardedWrite = (claimed: RawBuilder<unknown>) => RawBuilder<unknown>;

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
  /**
   * Records `response` under `key` and makes `writes` with it, in one
   * statement (atomic by itself, or part of the caller's transaction when
   * `db` is one). 'claimed': recorded and written; otherwise nothing was
   * written and the answer says what the key holds.
   */
  record(
    db: ProviderDatabase,
    key: string,
    fingerprint: string,
    response: StoredResponse,
    writes?: readonly GuardedWrite[],
  ): Promise<Claim>;
}

interface KeyRow {
  claimed: boolean;
  fingerprint: string | null;
  state: 'in_flight' | 'done' | null;
  locked_until: Date | null;
  response_status: number | null;
  response_body: string | null;
}

export function createIdempotencyStore(db: ProviderDatabase, clock: Clock): IdempotencyStore {
  /** What a key someone else recorded holds, for this request. */
  function heldBy(row: KeyRow, fp: string, now: Date): Claim | 'stale' {
    if (row.fingerprint !== fp) return { kind: 'mismatch' };
    if (row.state === 'done' && row.response_status !== null && row.response_body !== null) {
      return { kind: 'replay', response: { status: row.response_status, body: row.response_body } };
    }
    // Only versions before this one left keys in flight (a claim committed before the work): one whose
    // holder has been gone longer than its lock is dropped, and the request records its own answer.
    return row.locked_until !== null && row.locked_until < now ? 'stale' : { kind: 'in-use' };
  }

  async function lookUp(target: ProviderDatabase, key: string): Promise<KeyRow | undefined> {
    const { rows } = await sql<KeyRow>`
      select false as claimed, fingerprint, state, locked_until, response_status, response_body
      from idempotency_keys where key = ${key}`.execute(target);
    return rows[0];
  }

  return {
    async record(target, key, fp, response, writes = []) {
      for (let attempt = 0; ; attempt++) {
        const now = new Date(clock.now());
        const claimed = sql`claim`;
        const guarded = writes.map((write, i) => sql`, ${sql.id(`w${i}`)} as (${write(claimed)})`);
        // The key's insert waits for a concurrent request with the same key to end; that one's row is then
        // newer than this statement's snapshot, so it is looked up again below rather than read here.
        const { rows } = await sql<KeyRow>`
          with claim as (
            insert into idempotency_keys
              (key, fingerprint, state, locked_until, response_status, response_body, created_at, completed_at)
            values (${key}, ${fp}, 'done', ${now}, ${response.status}, ${response.body}, ${now}, ${now})
            on conflict (key) do nothing
            returning key)
          ${sql.join(guarded, sql.raw(''))}
          select true as claimed, null as fingerprint, null as state, null as locked_until,
                 null as response_status, null as response_body
          from claim
          union all
          select false, fingerprint, state, locked_until, response_status, response_body
          from idempotency_keys where key = ${key} and not exists (select from claim)`.execute(target);
        const row = rows[0] ?? (await lookUp(target, key));
        if (!row) return { kind: 'in-use' };
        if (row.claimed) return { kind: 'claimed' };
        const held = heldBy(row, fp, now);
        if (held !== 'stale') return held;
        if (attempt > 0) return { kind: 'in-use' };
        await sql`delete from idempotency_keys where key = ${key} and state = 'in_flight' and locked_until < ${now}`.execute(
          target,
        );
      }
    },
  };
}
