// The transactional outbox: an event is a row written in the same transaction
// as the state change it announces, so both commit or neither does. Its key
// (db/commit-order.ts) orders the feed; consumers read it from the feed route
// after commit, or the relay hands it to a broker (relay.ts).

import { sql, type Kysely } from 'kysely';
import type { Static, TObject } from 'typebox';
import type { EventContract } from './contract.ts';
import { buildEnvelope, type CloudEvent } from './envelope.ts';
import { OUTBOX_CHANNEL } from './notifier.ts';
import { commitKeys } from '../db/commit-order.ts';

export interface PublishOptions {
  /** CloudEvents `subject`: the entity the event is about (a product id, a user id). */
  subject?: string;
  /** Event id; defaults to a random UUID. Give one to make a retried command publish the same event. */
  id?: string;
  time?: Date;
}

/** One event of a `publishAll`: its contract, payload and options, as `publish` takes them. */
export interface Publication<S extends TObject = TObject> {
  contract: EventContract<S>;
  data: Static<S>;
  options?: PublishOptions;
}

export interface Outbox {
  publish<S extends TObject>(
    trx: Kysely<any>,
    contract: EventContract<S>,
    data: Static<S>,
    options?: PublishOptions,
  ): Promise<CloudEvent>;
  /**
   * Several events in one statement (one round trip), in the order given, after those the
   * transaction published before: the same as `publish` for each in turn, for a transaction that
   * announces several changes at once. Every payload is checked before anything is written.
   */
  publishAll<S extends TObject>(trx: Kysely<any>, events: readonly Publication<S>[]): Promise<CloudEvent[]>;
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

  function envelopeOf({ contract, data, options = {} }: Publication): CloudEvent {
    if (contract.source !== deps.service || !declared.has(contract.type)) {
      throw new Error(`${deps.service} does not declare ${contract.type} in its events.publishes`);
    }
    const checked = contract.checkPublished(data);
    if (!checked.ok) {
      const issues = checked.issues.map((i) => `${i.instancePath || '/'} ${i.message}`).join('; ');
      throw new Error(`${contract.type} payload does not match its contract: ${issues}`);
    }
    const schemaId = deps.schemaIds.get(contract.type);
    return buildEnvelope({
      service: deps.service,
      type: contract.type,
      data,
      ...(options.subject !== undefined ? { subject: options.subject } : {}),
      ...(options.id !== undefined ? { id: options.id } : {}),
      ...(options.time !== undefined ? { time: options.time } : {}),
      ...(schemaId !== undefined ? { schemaId } : {}),
    });
  }

  async function publishAll(trx: Kysely<any>, events: readonly Publication[]): Promise<CloudEvent[]> {
    if (!trx.isTransaction) {
      const names = [...new Set(events.map((e) => e.contract.name))].join(', ');
      throw new Error(
        `publish(${names}) needs the transaction of the state change it announces (db.transaction().execute(trx => ...))`,
      );
    }
    const envelopes = events.map(envelopeOf);
    if (envelopes.length === 0) return envelopes;
    let mine = written.get(trx);
    if (!mine) written.set(trx, (mine = { count: 0, types: new Set() }));
    const notify = [...new Set(envelopes.map((e) => e.type))].filter((t) => !mine.types.has(t));
    // The rows' places in the feed come from this transaction (db/commit-order.ts): the ranks after
    // those it wrote before, in the order given. The notifications go in the same statement, one per
    // type this transaction had not published yet. A retried command that publishes with the same id
    // adds nothing: the first one is the event (its rank is simply not used).
    await sql`
      insert into souk_outbox (commit_key, id, type, envelope)
      select ${commitKeys(mine.count, envelopes.length, 'souk_outbox')} + e.i - 1, e.envelope ->> 'id', e.envelope ->> 'type', e.envelope
      from jsonb_array_elements(${JSON.stringify(envelopes)}::jsonb) with ordinality as e(envelope, i),
           (select count(pg_notify(${OUTBOX_CHANNEL}, t)) from unnest(${notify}::text[]) t) notified
      order by e.i
      on conflict (id) do nothing`.execute(trx);
    mine.count += envelopes.length;
    for (const t of notify) mine.types.add(t);
    return envelopes;
  }

  return {
    async publish(trx, contract, data, options) {
      const [envelope] = await publishAll(trx, [{ contract, data, ...(options ? { options } : {}) }]);
      return envelope!;
    },
    publishAll: (trx, events) => publishAll(trx, events),
  };
}
