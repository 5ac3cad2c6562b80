// The transactional outbox: an event is a row written in the same transaction
// as the state change it announces, so both commit or neither does. Its key
// (db/commit-order.ts) orders the feed; consumers read it from the feed route
// after commit, or the relay hands it to a broker (relay.ts).

import { sql, type Kysely, type RawBuilder } from 'kysely';
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
  /**
   * The outbox write of `events` as a statement to make part of the state change's own statement (a CTE
   * of it), so that one statement is the state change and its announcement, atomic with no transaction
   * around it. Rows are written only if `when` (a relation of that statement) has a row. Run through
   * `db`: a transaction of the caller's (the rows rank after those it published before) or the pool.
   */
  publishing<S extends TObject>(
    db: Kysely<any>,
    events: readonly Publication<S>[],
    when: RawBuilder<unknown>,
  ): RawBuilder<unknown>;
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

  /** The insert of `events` (at least one), with the notifications the transaction of `db` owes. */
  function insertion(db: Kysely<any>, envelopes: readonly CloudEvent[], when?: RawBuilder<unknown>): RawBuilder<unknown> {
    // A statement with no transaction around it is one of its own: its rows rank from 0 and notify every type.
    const mine = (db.isTransaction ? written.get(db) : undefined) ?? { count: 0, types: new Set<string>() };
    if (db.isTransaction) written.set(db, mine);
    const notify = [...new Set(envelopes.map((e) => e.type))].filter((t) => !mine.types.has(t));
    const keys = commitKeys(mine.count, envelopes.length, 'souk_outbox');
    mine.count += envelopes.length;
    for (const t of notify) mine.types.add(t);
    // The rows' places in the feed come from this transaction (db/commit-order.ts): the ranks after
    // those it wrote before, in the order given. The notifications go in the same statement, one per
    // type this transaction had not published yet. A retried command that publishes with the same id
    // adds nothing: the first one is the event (its rank is simply not used).
    return sql`
      insert into souk_outbox (commit_key, id, type, envelope)
      select ${keys} + e.i - 1, e.envelope ->> 'id', e.envelope ->> 'type', e.envelope
      from jsonb_array_elements(${JSON.stringify(envelopes)}::jsonb) with ordinality as e(envelope, i),
           (select count(pg_notify(${OUTBOX_CHANNEL}, t)) from unnest(${notify}::text[]) t) notified
      ${when ? sql`where exists (select from ${when})` : sql``}
      order by e.i
      on conflict (id) do nothing`;
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
    await insertion(trx, envelopes).execute(trx);
    return envelopes;
  }

  return {
    async publish(trx, contract, data, options) {
      const [envelope] = await publishAll(trx, [{ contract, data, ...(options ? { options } : {}) }]);
      return envelope!;
    },
    publishAll: (trx, events) => publishAll(trx, events),
    publishing(db, events, when) {
      if (events.length === 0) throw new Error('publishing needs at least one event');
      return insertion(db, events.map(envelopeOf), when);
    },
  };
}
