// Reading subjects, versions and schemas by id, and deleting them the way
// Confluent does: soft first (the version stays readable by id and with
// ?deleted=true), then permanently.

import type { SchemaRegistryDatabase } from '../db.ts';
import { registryErrors } from '../errors.ts';
import { SCHEMA_TYPE } from './schema-text.ts';
import * as store from './registry-store.ts';

/** A version as served: `GET /subjects/{subject}/versions/{version}`. */
export interface VersionView {
  subject: string;
  id: number;
  version: number;
  schemaType: typeof SCHEMA_TYPE;
  schema: string;
}

/** A version as named in a path: a number, or the latest one. */
export type VersionSpec = number | 'latest';

export function toView(row: store.VersionRow): VersionView {
  return { subject: row.subject, id: row.id, version: row.version, schemaType: SCHEMA_TYPE, schema: row.schema };
}

export const subjectNotFound = (subject: string) => registryErrors.subjectNotFound(`Subject '${subject}' not found.`);
export const versionNotFound = (version: VersionSpec) => registryErrors.versionNotFound(`Version ${version} not found.`);

/** The version a spec names among `rows` (oldest first), or undefined. */
export function pickVersion<R extends { version: number }>(rows: readonly R[], spec: VersionSpec): R | undefined {
  return spec === 'latest' ? rows[rows.length - 1] : rows.find((r) => r.version === spec);
}

export interface Subjects {
  list(options: { deleted: boolean; prefix?: string }): Promise<string[]>;
  versions(subject: string, deleted: boolean): Promise<number[]>;
  version(subject: string, spec: VersionSpec, deleted: boolean): Promise<VersionView>;
  schema(id: number): Promise<{ schema: string; schemaType: typeof SCHEMA_TYPE }>;
  usesOfSchema(id: number, deleted: boolean): Promise<Array<{ subject: string; version: number }>>;
  deleteSubject(subject: string, permanent: boolean): Promise<number[]>;
  deleteVersion(subject: string, spec: VersionSpec, permanent: boolean): Promise<number>;
}

export function createSubjects(db: SchemaRegistryDatabase): Subjects {
  const existingVersions = async (subject: string, deleted: boolean) => {
    const rows = await store.versionsOf(db, subject, deleted);
    if (rows.length === 0) throw subjectNotFound(subject);
    return rows;
  };
  const schemaOrThrow = async (id: number) => {
    const found = await store.schemaById(db, id);
    if (!found) throw registryErrors.schemaNotFound(`Schema ${id} not found`);
    return found;
  };

  return {
    list: ({ deleted, prefix }) => store.subjects(db, deleted, prefix),
    async versions(subject, deleted) {
      return (await existingVersions(subject, deleted)).map((r) => r.version);
    },
    async version(subject, spec, deleted) {
      const row = pickVersion(await existingVersions(subject, deleted), spec);
      if (!row) throw versionNotFound(spec);
      return toView(row);
    },
    async schema(id) {
      return { schema: (await schemaOrThrow(id)).schema, schemaType: SCHEMA_TYPE };
    },
    async usesOfSchema(id, deleted) {
      await schemaOrThrow(id);
      return store.versionsOfSchema(db, id, deleted);
    },
    deleteSubject: (subject, permanent) =>
      db.transaction().execute(async (trx) => {
        await store.lockSubject(trx, subject);
        const all = await store.versionsOf(trx, subject, true);
        if (all.length === 0) throw subjectNotFound(subject);
        const live = all.filter((r) => !r.deleted).map((r) => r.version);
        if (!permanent) {
          if (live.length === 0)
            throw registryErrors.subjectSoftDeleted(
              `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
            );
          await store.softDelete(trx, subject, live);
          return live;
        }
        if (live.length > 0)
          throw registryErrors.subjectNotSoftDeleted(
            `Subject '${subject}' was not deleted first before being permanently deleted`,
          );
        const versions = all.map((r) => r.version);
        await store.hardDelete(trx, subject, versions);
        // A subject deleted for good forgets its own compatibility level too.
        await store.deleteLevel(trx, subject);
        return versions;
      }),
    deleteVersion: (subject, spec, permanent) =>
      db.transaction().execute(async (trx) => {
        await store.lockSubject(trx, subject);
        const all = await store.versionsOf(trx, subject, true);
        if (all.length === 0) throw subjectNotFound(subject);
        // "latest" is the latest live version, or for a permanent delete the latest soft-deleted one too.
        const target = pickVersion(permanent || spec !== 'latest' ? all : all.filter((r) => !r.deleted), spec);
        if (!target) throw versionNotFound(spec);
        if (!permanent && target.deleted) {
          throw registryErrors.versionSoftDeleted(
            `Subject '${subject}' Version ${target.version} was soft deleted. Set permanent=true to delete permanently`,
          );
        }
        if (permanent && !target.deleted) {
          throw registryErrors.versionNotSoftDeleted(
            `Subject '${subject}' Version ${target.version} was not deleted first before being permanently deleted`,
          );
        }
        await (permanent ? store.hardDelete : store.softDelete)(trx, subject, [target.version]);
        return target.version;
      }),
  };
}
