// Named prepared statements for the chassis' statements that run once per event
// or per page (the outbox insert, the inbox record, the feed read). PostgreSQL
// parses and plans an unnamed statement at every execution; a named one is
// parsed once per connection and its plan reused. Measured on the outbox
// insert (BEGIN, insert, COMMIT, one connection): 275 → 215 µs of PostgreSQL's
// CPU and 270 → 208 µs of Node's per transaction.
//
// A statement opts in by starting with `prepared`; the pool's clients
// (database.ts) send it under a name derived from its text. Only statements
// whose text is one of a few fixed shapes belong here: each distinct text is
// one prepared statement kept per connection for its life.

import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';

const MARKER = '/* souk:prepared */';

/** Put first in a statement: the pool's clients prepare it (by name) once per connection. */
export const prepared: RawBuilder<unknown> = sql.raw(`${MARKER} `);

/** Statement texts seen so far and their names (texts are a few fixed shapes, so this stays small). */
const names = new Map<string, string>();
const MAX_NAMES = 1_000;

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `souk_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}

/**
 * A pg Client that sends statements beginning with `prepared` as named prepared statements. Kysely
 * calls `query(text, values)`; every other call goes to pg unchanged.
 */
export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; this one forwards them all and changes only (text, values) calls.
  override query(...args: unknown[]): any {
    const [text, values] = args;
    if (args.length <= 2 && typeof text === 'string' && text.trimStart().startsWith(MARKER) && Array.isArray(values)) {
      return super.query({ name: nameOf(text), text, values });
    }
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}
