// SQL of the schema registry: schemas by id, subject versions (live and
// soft-deleted), compatibility levels, and the per-subject lock that makes
// concurrent registrations of one subject take turns.

import { sql } from 'kysely';
import type { SchemaRegistryDatabase, SchemaRegistryTransaction } from '../db.ts';

export interface VersionRow {
  subject: string;
  version: number;
  id: number;
  schema: string;
  deleted: boolean;
}

/** The subject key of the global compatibility level; no real subject is empty. */
export const GLOBAL = '';

/**
 * Serialises registrations of one subject until the transaction ends: the
 * second of two identical registrations then finds the first one's version.
 */
export async function lockSubject(trx: SchemaRegistryTransaction, subject: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`schema-registry:subject:${subject}`}, 0))`.execute(trx);
}

function versionRows(db: SchemaRegistryDatabase) {
  return db
    .selectFrom('subject_versions as v')
    .innerJoin('schemas as s', 's.id', 'v.schema_id')
    .select(['v.subject', 'v.version', 's.id', 's.schema', 'v.deleted']);
}

/** Versions of a subject, oldest first; soft-deleted ones only when asked for. */
export async function versionsOf(db: SchemaRegistryDatabase, subject: string, includeDeleted: boolean): Promise<VersionRow[]> {
  let query = versionRows(db).where('v.subject', '=', subject);
  if (!includeDeleted) query = query.where('v.deleted', '=', false);
  return query.orderBy('v.version').execute();
}

export async function findByFingerprint(
  db: SchemaRegistryDatabase,
  subject: string,
  fingerprint: string,
  includeDeleted: boolean,
): Promise<VersionRow | undefined> {
  let query = versionRows(db).where('v.subject', '=', subject).where('s.fingerprint', '=', fingerprint);
  if (!includeDeleted) query = query.where('v.deleted', '=', false);
  // A live version wins over a soft-deleted copy of the same schema.
  return query.orderBy('v.deleted').orderBy('v.version', 'desc').limit(1).executeTakeFirst();
}

/** The global id of a schema text, created on first use; the same text always gets the same id. */
export async function schemaIdFor(trx: SchemaRegistryTransaction, text: string, fingerprint: string): Promise<number> {
  const find = () => trx.selectFrom('schemas').select('id').where('fingerprint', '=', fingerprint).executeTakeFirst();
  const existing = await find();
  if (existing) return existing.id;
  // Another subject may register the same text at the same moment: the loser of the insert reads the winner's id.
  const inserted = await trx
    .insertInto('schemas')
    .values({ schema: text, fingerprint })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const raced = await find();
  if (!raced) throw new Error(`schema ${fingerprint} vanished while being registered`);
  return raced.id;
}

/** Versions keep counting after soft deletes, as Confluent's do. */
export async function addVersion(trx: SchemaRegistryTransaction, subject: string, schemaId: number): Promise<number> {
  const row = await trx
    .selectFrom('subject_versions')
    .select(sql<number>`coalesce(max(version), 0) + 1`.as('next'))
    .where('subject', '=', subject)
    .executeTakeFirstOrThrow();
  await trx.insertInto('subject_versions').values({ subject, version: row.next, schema_id: schemaId }).execute();
  return row.next;
}

export async function subjects(
  db: SchemaRegistryDatabase,
  includeDeleted: boolean,
  prefix: string | undefined,
): Promise<string[]> {
  let query = db.selectFrom('subject_versions').select('subject').distinct();
  if (!includeDeleted) query = query.where('deleted', '=', false);
  if (prefix) query = query.where(sql<boolean>`starts_with(subject, ${prefix})`);
  const rows = await query.orderBy('subject').execute();
  return rows.map((r) => r.subject);
}

/** A schema by id while some subject version (live or soft-deleted) still refers to it. */
export async function schemaById(db: SchemaRegistryDatabase, id: number): Promise<{ id: number; schema: string } | undefined> {
  return db
    .selectFrom('schemas as s')
    .select(['s.id', 's.schema'])
    .where('s.id', '=', id)
    .where((eb) => eb.exists(eb.selectFrom('subject_versions as v').select('v.version').whereRef('v.schema_id', '=', 's.id')))
    .executeTakeFirst();
}

export async function versionsOfSchema(
  db: SchemaRegistryDatabase,
  id: number,
  includeDeleted: boolean,
): Promise<Array<{ subject: string; version: number }>> {
  let query = db.selectFrom('subject_versions').select(['subject', 'version']).where('schema_id', '=', id);
  if (!includeDeleted) query = query.where('deleted', '=', false);
  return query.orderBy('subject').orderBy('version').execute();
}

export async function softDelete(trx: SchemaRegistryTransaction, subject: string, versions: readonly number[]): Promise<void> {
  if (versions.length === 0) return;
  await trx
    .updateTable('subject_versions')
    .set({ deleted: true })
    .where('subject', '=', subject)
    .where('version', 'in', versions)
    .execute();
}

export async function hardDelete(trx: SchemaRegistryTransaction, subject: string, versions: readonly number[]): Promise<void> {
  if (versions.length === 0) return;
  await trx.deleteFrom('subject_versions').where('subject', '=', subject).where('version', 'in', versions).execute();
}

export async function levelOf(db: SchemaRegistryDatabase, subject: string): Promise<string | undefined> {
  const row = await db.selectFrom('compatibility_levels').select('level').where('subject', '=', subject).executeTakeFirst();
  return row?.level;
}

export async function setLevel(db: SchemaRegistryDatabase, subject: string, level: string): Promise<void> {
  await db
    .insertInto('compatibility_levels')
    .values({ subject, level })
    .onConflict((oc) => oc.column('subject').doUpdateSet({ level, updated_at: sql`now()` }))
    .execute();
}

/** Removes a level; returns the one removed, if there was one. */
export async function deleteLevel(db: SchemaRegistryDatabase, subject: string): Promise<string | undefined> {
  const row = await db.deleteFrom('compatibility_levels').where('subject', '=', subject).returning('level').executeTakeFirst();
  return row?.level;
}
