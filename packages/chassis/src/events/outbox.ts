// The transactional outbox: an event is a row written in the same transaction
// as the state change it announces, so both commit or neither does. Its key
// (db/commit-order.ts) orders the feed; consumers read it from the feed route
// after commit, or the relay hands it to a broker (relay.ts).

import { sql, type Kysely } from 'kysely';
import type { Static, TObject } from 'typebox';
import type { EventContract } from './contract.ts';
import { buildEnvelope, type CloudEvent } from './envelope.ts';
import { OUTBOX_CHANNEL } from './notifier.ts';
import { commitKey } from '../db/commit-order.ts';

export interface PublishOptions {
  /** CloudEvents `subject`: the entity the event is about (a product id, a user id). */
  subject?: string;
  /** Event id; defaults to a random UUID. Give one to make a retried command publish the same event. */
  id?: string;
  time?: Date;
}

export interface Outbox {
  publish<S extends TObject>(
    trx: Kysely<any>,
    contract: EventContract<S>,
    data: Static<S>,
    options?: PublishOptions,
  ): Promise<CloudEvent>;
}

export function createOutbox(deps: {
  service: string;
  publishes: readonly EventContract[];
  schemaIds: ReadonlyMap<string, number>;
}): Outbox {
  const declared = new Set(deps.publishes.map((c) => c.type));
  // Per transaction: the events written so far (their rank orders them within it, db/commit-order.ts),
  // and the types already notified. One notification per transaction and event type (PostgreSQL
  // delivers them at commit): a held feed read wakes only for the types it waits for.
  const written = new WeakMap<object, { count: number; types: Set<string> }>();
  return {
    async publish(trx, contract, data, options = {}) {
      if (!trx.isTransaction) {
        throw new Error(
          `publish(${contract.name}) needs the transaction of the state change it announces (db.transaction().execute(trx => ...))`,
        );
      }
      if (contract.source !== deps.service || !declared.has(contract.type)) {
        throw new Error(`${deps.service} does not declare ${contract.type} in its events.publishes`);
      }
      const checked = contract.checkPublished(data);
      if (!checked.ok) {
        const issues = checked.issues.map((i) => `${i.instancePath || '/'} ${i.message}`).join('; ');
        throw new Error(`${contract.type} payload does not match its contract: ${issues}`);
      }
      const schemaId = deps.schemaIds.get(contract.type);
      const envelope = buildEnvelope({
        service: deps.service,
        type: contract.type,
        data,
        ...(options.subject !== undefined ? { subject: options.subject } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(options.time !== undefined ? { time: options.time } : {}),
        ...(schemaId !== undefined ? { schemaId } : {}),
      });
      let mine = written.get(trx);
      if (!mine) written.set(trx, (mine = { count: 0, types: new Set() }));
      const notify = !mine.types.has(envelope.type);
      // The row's place in the feed comes from this transaction (db/commit-order.ts), with the
      // notification in the same statement. A retried command that publishes with the same id adds
      // nothing: the first one is the event (its rank is simply not used).
      await sql`
        insert into souk_outbox (commit_key, id, type, envelope)
        select ${commitKey(mine.count, 'souk_outbox')}, ${envelope.id}, ${envelope.type}, ${JSON.stringify(envelope)}::jsonb
        ${notify ? sql`from pg_notify(${OUTBOX_CHANNEL}, ${envelope.type})` : sql``}
        on conflict (id) do nothing`.execute(trx);
      mine.count++;
      mine.types.add(envelope.type);
      return envelope;
    },
  };
}
