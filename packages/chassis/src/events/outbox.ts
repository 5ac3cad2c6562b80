// The transactional outbox: an event is a row written in the same transaction
// as the state change it announces, so both commit or neither does. The relay
// delivers it after commit (relay.ts).

import { sql, type Kysely } from 'kysely';
import type { Static, TObject } from 'typebox';
import type { EventContract } from './contract.ts';
import { buildEnvelope, type CloudEvent } from './envelope.ts';
import { OUTBOX_CHANNEL } from './notifier.ts';

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
  // One notification per transaction is enough (PostgreSQL folds them anyway); this saves the round trips.
  const notified = new WeakSet<object>();
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
      // A retried command that publishes with the same id adds nothing: the first one is the event.
      await sql`insert into souk_outbox (id, type, envelope) values (${envelope.id}, ${envelope.type}, ${JSON.stringify(envelope)}::jsonb)
        on conflict (id) do nothing`.execute(trx);
      // Delivered at commit, to every instance's relay.
      if (!notified.has(trx)) {
        await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
        notified.add(trx);
      }
      return envelope;
    },
  };
}
