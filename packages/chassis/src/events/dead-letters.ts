// The dead-letter list: events a handler kept failing on, parked with their
// error so nothing acknowledged is lost. Operators list and inspect them and,
// once the cause is fixed, redrive them through the same handler and inbox.

import { sql, type Kysely } from 'kysely';
import { Type } from 'typebox';
import { chassisErrors } from '../errors/index.ts';
import type { App } from '../server/app.ts';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { CloudEvent } from './envelope.ts';
import type { Handling } from './handling.ts';

export interface DeadLetter {
  deadLetterId: number;
  eventId: string;
  source: string;
  type: string;
  error: string;
  attempts: number;
  deadAt: string;
  redrivenAt: string | null;
  event?: CloudEvent;
}

export interface DeadLetters {
  list(options?: { includeRedriven?: boolean; limit?: number }): Promise<DeadLetter[]>;
  get(id: number): Promise<DeadLetter | undefined>;
  /** Hands the event to its handler again; a failure keeps it parked with the new error and rethrows. */
  redrive(id: number): Promise<{ outcome: 'handled' | 'duplicate' }>;
}

export function createDeadLetters(db: Kysely<any>, handling: Handling): DeadLetters {
  const select = (withEvent: boolean) => sql`
    select dead_letter_id, id, source, type, error, attempts, dead_at, redriven_at ${withEvent ? sql`, envelope` : sql``}
    from souk_dead_letter`;
  const get = async (id: number) => {
    const { rows } = await sql<Row>`${select(true)} where dead_letter_id = ${id}`.execute(db);
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  };
  return {
    async list({ includeRedriven = false, limit = 100 } = {}) {
      const filter = includeRedriven ? sql`` : sql`where redriven_at is null`;
      const { rows } = await sql<Row>`${select(false)} ${filter} order by dead_letter_id limit ${limit}`.execute(db);
      return rows.map(toDeadLetter);
    },
    get,
    async redrive(id) {
      const letter = await get(id);
      if (!letter?.event) throw chassisErrors.deadLetterNotFound({ detail: `No dead letter ${id}` });
      try {
        const outcome = await handling.handleNow(letter.event);
        await sql`update souk_dead_letter set redriven_at = now() where dead_letter_id = ${id}`.execute(db);
        return { outcome };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await sql`update souk_dead_letter set error = ${error}, attempts = attempts + 1 where dead_letter_id = ${id}`.execute(db);
        throw chassisErrors.redriveFailed({
          detail: `Dead letter ${id} (${letter.type} ${letter.eventId}) failed again: ${error}`,
          cause: err,
        });
      }
    },
  };
}

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export function registerDeadLetterRoutes(app: App, deadLetters: DeadLetters, admin: PreHandler): void {
  const base = '/_admin/events/dead-letters';
  app.get(
    base,
    {
      onRequest: admin,
      schema: {
        hide: true,
        querystring: Type.Object({
          includeRedriven: Type.Boolean({ default: false }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (req) => ({ deadLetters: await deadLetters.list(req.query) }),
  );
  app.get(`${base}/:id`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) => {
    const letter = await deadLetters.get(req.params.id);
    if (!letter) throw chassisErrors.deadLetterNotFound({ detail: `No dead letter ${req.params.id}` });
    return letter;
  });
  app.post(`${base}/:id/redrive`, { onRequest: admin, schema: { hide: true, params: IdParams } }, async (req) => ({
    deadLetterId: req.params.id,
    ...(await deadLetters.redrive(req.params.id)),
  }));
}

interface Row {
  dead_letter_id: number;
  id: string;
  source: string;
  type: string;
  error: string;
  attempts: number;
  dead_at: Date;
  redriven_at: Date | null;
  envelope?: CloudEvent;
}

function toDeadLetter(r: Row): DeadLetter {
  return {
    deadLetterId: r.dead_letter_id,
    eventId: r.id,
    source: r.source,
    type: r.type,
    error: r.error,
    attempts: r.attempts,
    deadAt: r.dead_at.toISOString(),
    redrivenAt: r.redriven_at?.toISOString() ?? null,
    ...(r.envelope ? { event: r.envelope } : {}),
  };
}
