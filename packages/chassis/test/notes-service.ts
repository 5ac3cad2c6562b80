// A small service used by the chassis's own integration tests: one table, a
// few routes that exercise validation, auth, errors, tracing and draining.

import { Type } from 'typebox';
import { sql, type Generated } from 'kysely';
import { trace } from '@opentelemetry/api';
import { defineErrors, defineService, requestContext } from '../src/index.ts';

export interface NotesDb {
  notes: { id: Generated<string>; text: string; author: string };
}

export const notesErrors = defineErrors({
  noteNotFound: {
    code: 'SOUK_NOTES_NOT_FOUND',
    status: 404,
    title: 'Note not found',
    description: 'Test service: no such note.',
  },
});

/** Lets a test hold a request in flight until it says so. */
export const gate = { open: () => {}, wait: Promise.resolve() };
export function closeGate(): void {
  gate.wait = new Promise<void>((resolve) => {
    gate.open = resolve;
  });
}

export const notesService = defineService<NotesDb>()({
  name: 'notes',
  version: '0.0.1',
  config: Type.Object({ NOTES_GREETING: Type.String({ default: 'hello' }) }),
  migrations: {
    '001_init': {
      async up(db) {
        await db.schema
          .createTable('notes')
          .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .execute();
      },
    },
  },
  setup(ctx) {
    const { db } = ctx;
    const Note = Type.Object({ id: Type.String(), text: Type.String(), author: Type.String() });

    ctx.app.post(
      '/api/v1/notes',
      {
        preHandler: ctx.auth.required(),
        schema: {
          body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
          response: { 201: Note },
        },
      },
      async (request, reply) => {
        const note = await db
          .insertInto('notes')
          .values({ text: request.body.text, author: request.identity!.subject })
          .returningAll()
          .executeTakeFirstOrThrow();
        return reply.code(201).send(note);
      },
    );
    ctx.app.get(
      '/api/v1/notes/:id',
      { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } },
      async (request) => {
        const note = await db.selectFrom('notes').selectAll().where('id', '=', request.params.id).executeTakeFirst();
        if (!note) throw notesErrors.noteNotFound(`No note with id ${request.params.id}.`);
        return note;
      },
    );
    ctx.app.delete('/api/v1/notes/:id', { preHandler: ctx.auth.required({ roles: ['admin'] }) }, async (_request, reply) =>
      reply.code(204).send(),
    );
    ctx.app.get('/api/v1/notes-greeting', async () => ({ greeting: ctx.config.NOTES_GREETING }));
    ctx.app.get('/api/v1/whoami', async () => ({
      requestId: requestContext()?.requestId,
      traceId: trace.getActiveSpan()?.spanContext().traceId,
    }));
    ctx.app.post('/api/v1/echo-after-body', { schema: { body: Type.Object({ n: Type.Integer() }) } }, async (request) => ({
      n: request.body.n,
      requestId: requestContext()?.requestId,
      traceId: trace.getActiveSpan()?.spanContext().traceId,
    }));
    ctx.app.get('/api/v1/slow', async () => {
      await gate.wait;
      return { done: true };
    });
    ctx.app.get('/api/v1/bug', async () => {
      throw new TypeError('secret internals');
    });
    // The database dropping the connection under a request, as a restart or a crash of the server does.
    // A deadlock as PostgreSQL reports it (SQLSTATE 40P01), raised by the server for real.
    ctx.app.get('/api/v1/deadlock', async () => {
      await sql`do $$ begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`.execute(db);
      return { unreachable: true };
    });
    ctx.app.get('/api/v1/database-gone', async () => {
      await sql`select pg_terminate_backend(pg_backend_pid())`.execute(db);
      return { unreachable: true };
    });
  },
});
