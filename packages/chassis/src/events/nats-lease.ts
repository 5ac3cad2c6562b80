// The NATS consumer's lease and generation, on the consuming service's row of
// souk_feed_cursor for the producer (the one lease schema: lease_owner,
// lease_until; a service uses one transport, so the row is free for it). One
// instance at a time pulls a producer's stream; `position` counts replays: the
// generation of the durable consumer the stream is read through.

import { sql, type Kysely, type RawBuilder } from 'kysely';

/** The durable consumer of a generation: generation 0 keeps the service's name, as before generations. */
export function durableName(service: string, generation: number): string {
  return generation === 0 ? service : `${service}-g${generation}`;
}

/** The lease statements on the producer's row of souk_feed_cursor (the one lease schema: lease_owner, lease_until). */
export function leaseSql(producer: string, owner: string, leaseMs: number) {
  const until = sql`clock_timestamp() + make_interval(secs => ${leaseMs / 1000})`;
  const extend = (generation: number, guard: RawBuilder<unknown>) => sql`update souk_feed_cursor set lease_until = ${until}
    where producer = ${producer} and lease_owner = ${owner} and position = ${generation} and ${guard}`;
  return {
    /** Takes the lease if free, expired or ours; the consumer generation, or undefined while another instance holds it. */
    async claim(db: Kysely<any>): Promise<number | undefined> {
      const { rows } = await sql<{ position: string }>`
        insert into souk_feed_cursor as c (producer, lease_owner, lease_until) values (${producer}, ${owner}, ${until})
        on conflict (producer) do update set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
        where c.lease_owner = ${owner} or c.lease_owner is null or c.lease_until < clock_timestamp()
        returning c.position`.execute(db);
      return rows[0] ? Number(rows[0].position) : undefined;
    },
    async renew(db: Kysely<any>, generation: number): Promise<boolean> {
      const { rows } = await sql`${extend(generation, sql`true`)} returning 1`.execute(db);
      return rows.length > 0;
    },
    /**
     * In the handler's transaction (handling.ts folds it into the inbox statement): extends the lease
     * and commits only while the lease and the generation are still ours.
     */
    fence(generation: number, guard: RawBuilder<unknown>): RawBuilder<unknown> {
      return extend(generation, guard);
    },
    async release(db: Kysely<any>): Promise<void> {
      await sql`update souk_feed_cursor set lease_owner = null, lease_until = null
        where producer = ${producer} and lease_owner = ${owner}`.execute(db);
    },
  };
}

/**
 * A replay's new generation: the lease is freed and the generation bumped, so a batch of the old
 * consumer still in flight fails its fence and rolls back, and the next session reads the new one.
 */
export async function nextGeneration(db: Kysely<any>, producer: string): Promise<{ previous: number; next: number }> {
  const { rows } = await sql<{ position: string }>`
    insert into souk_feed_cursor as c (producer, position) values (${producer}, 1)
    on conflict (producer) do update set position = c.position + 1, lease_owner = null, lease_until = null
    returning c.position`.execute(db);
  const next = Number(rows[0]!.position);
  return { previous: next - 1, next };
}
