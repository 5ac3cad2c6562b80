// A stand-in producer for consumers' integration tests: a chassis service with
// the producer's name and event contracts and no tables of its own, which
// publishes through its real outbox and feed. The consumer under test
// reads genuine events without the real producer (and its own dependencies)
// running. Its feed takes tokens of the shared test issuer (sharedTestIssuer).

import { sql } from 'kysely';
import type { Static, TObject } from 'typebox';
import { defineService, startService, type RunningService } from '../service.ts';
import type { EventContract } from '../events/contract.ts';
import type { PublishOptions } from '../events/outbox.ts';
import { createTestDatabase } from './database.ts';
import { sharedTestIssuer } from './issuer.ts';
import { readableBound } from '../db/commit-order.ts';

export interface StandInProducer {
  url: string;
  svc: RunningService;
  /** Publishes `data` as `contract` in a transaction of its own, as the real service would with its state change; returns the event id. */
  publish<S extends TObject>(contract: EventContract<S>, data: Static<S>, options?: PublishOptions): Promise<string>;
  /** The feed's last position (its number of events) once every published event is readable; undefined before. */
  head(): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function startStandInProducer(
  name: string,
  publishes: readonly EventContract<any>[],
  env: Record<string, string> = {},
): Promise<StandInProducer> {
  const database = await createTestDatabase(`standin_${name}`);
  const definition = defineService({ name, version: '0.0.0-test', migrations: {}, events: { publishes }, setup() {} });
  const svc = await startService(definition, {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', EVENTS_POLL_INTERVAL_MS: '50', ...env },
  }).catch(async (err: unknown) => {
    await database.drop();
    throw err;
  });
  svc.ctx.auth.setKeySource((await sharedTestIssuer()).keySource);
  return {
    url: svc.url,
    svc,
    async publish(contract, data, options) {
      const envelope = await svc.ctx.db.transaction().execute((trx) => svc.ctx.events.publish(trx, contract, data, options));
      return envelope.id;
    },
    async head() {
      const { rows } = await sql<{ head: string | null; waiting: string }>`
        with b as materialized (select ${readableBound('souk_outbox', 'commit_key', { precise: true })} as bound)
        select count(*) filter (where commit_key < b.bound) as head, count(*) filter (where commit_key >= b.bound) as waiting
        from souk_outbox, b`.execute(svc.ctx.db);
      return Number(rows[0]?.waiting) > 0 ? undefined : Number(rows[0]?.head ?? 0);
    },
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}
